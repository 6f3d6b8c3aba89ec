/**
 * Just enough ASN.1 (DER, and BER's indefinite lengths that some PKCS#12 writers use) to walk a
 * PKCS#12 key store: Node reads PEM and PKCS#8 keys itself but offers no reader for PKCS#12
 * trust stores (certificates without a key), which Kafka's `ssl.truststore.type=PKCS12` names.
 */
export class Asn1Error extends Error {
  constructor(message: string) {
    super(message);
    this.name = "Asn1Error";
  }
}

export const Asn1Tag = {
  integer: 0x02,
  octetString: 0x04,
  oid: 0x06,
  sequence: 0x30,
  set: 0x31,
  /** [0], constructed: explicit tagging (ContentInfo's content, a bag's value). */
  context0: 0xa0,
  /** [0], primitive: an implicitly tagged OCTET STRING (EncryptedContentInfo's content). */
  context0Primitive: 0x80,
} as const;

export interface Asn1Node {
  /** The identifier octet (class, constructed bit and tag number below 31). */
  readonly tag: number;
  /** The content octets (for an indefinite length, everything up to the end-of-contents marker). */
  readonly content: Buffer;
  readonly indefinite: boolean;
}

const MAX_DEPTH = 32;

/** The element starting at `offset` and where the next one starts. */
export function readNode(buffer: Buffer, offset = 0, depth = 0): { node: Asn1Node; end: number } {
  if (depth > MAX_DEPTH) throw new Asn1Error("nested too deeply");
  if (offset + 2 > buffer.length) throw new Asn1Error("truncated element");
  const tag = buffer[offset] as number;
  if ((tag & 0x1f) === 0x1f) throw new Asn1Error("multi-byte tags are not used by PKCS#12");
  let at = offset + 1;
  const first = buffer[at++] as number;
  if (first === 0x80) {
    if ((tag & 0x20) === 0) throw new Asn1Error("indefinite length on a primitive element");
    // Children until the end-of-contents marker (two zero octets).
    let cursor = at;
    while (cursor + 2 <= buffer.length && !(buffer[cursor] === 0 && buffer[cursor + 1] === 0)) {
      cursor = readNode(buffer, cursor, depth + 1).end;
    }
    if (cursor + 2 > buffer.length) throw new Asn1Error("missing end of contents");
    return { node: { tag, content: buffer.subarray(at, cursor), indefinite: true }, end: cursor + 2 };
  }
  let length = first;
  if (first > 0x80) {
    const bytes = first & 0x7f;
    if (bytes > 4 || at + bytes > buffer.length) throw new Asn1Error("bad length");
    length = 0;
    for (let i = 0; i < bytes; i++) length = length * 256 + (buffer[at++] as number);
  }
  if (at + length > buffer.length) throw new Asn1Error("element runs past its container");
  return { node: { tag, content: buffer.subarray(at, at + length), indefinite: false }, end: at + length };
}

/** The elements inside a constructed element. */
export function children(node: Asn1Node): Asn1Node[] {
  const out: Asn1Node[] = [];
  for (let at = 0; at < node.content.length; ) {
    const { node: child, end } = readNode(node.content, at);
    out.push(child);
    at = end;
  }
  return out;
}

export function expect(node: Asn1Node | undefined, tag: number, what: string): Asn1Node {
  if (node === undefined || node.tag !== tag) throw new Asn1Error(`expected ${what}`);
  return node;
}

/** The n-th child, which must have `tag`. */
export function child(node: Asn1Node, index: number, tag: number, what: string): Asn1Node {
  return expect(children(node)[index], tag, what);
}

export function oidOf(node: Asn1Node): string {
  const bytes = expect(node, Asn1Tag.oid, "an object identifier").content;
  if (bytes.length === 0) throw new Asn1Error("empty object identifier");
  const first = bytes[0] as number;
  const parts = [Math.min(2, Math.floor(first / 40)), first - Math.min(2, Math.floor(first / 40)) * 40];
  let value = 0;
  for (let i = 1; i < bytes.length; i++) {
    const b = bytes[i] as number;
    value = value * 128 + (b & 0x7f);
    if ((b & 0x80) === 0) {
      parts.push(value);
      value = 0;
    }
  }
  return parts.join(".");
}

export function integerOf(node: Asn1Node): number {
  const bytes = expect(node, Asn1Tag.integer, "an integer").content;
  if (bytes.length === 0 || bytes.length > 6) throw new Asn1Error("integer out of range");
  return bytes.readIntBE(0, bytes.length);
}

/** An OCTET STRING's bytes; a constructed one (BER) is the concatenation of its parts. */
export function octetsOf(node: Asn1Node): Buffer {
  if (node.tag === Asn1Tag.octetString || node.tag === Asn1Tag.context0Primitive) return node.content;
  if (node.tag === (Asn1Tag.octetString | 0x20) || node.tag === Asn1Tag.context0) {
    return Buffer.concat(children(node).map(octetsOf));
  }
  throw new Asn1Error("expected an octet string");
}
