import { ProtocolDecodeError, ProtocolEncodeError } from "./protocol-error.js";
import { Reader } from "./reader.js";
import type { Writer } from "./writer.js";

/**
 * The few shared pieces the generated codecs (src/protocol/generated/) call into: the tagged
 * field section of flexible versions, and the errors they raise. Everything version-specific is
 * generated; nothing here looks at a spec.
 *
 * Tagged field section (flexible versions, at the end of every struct):
 *   count uvarint | count × (tag uvarint, size uvarint, size bytes)
 * Kafka writes tags in ascending order, each at most once; a reader keeps unknown tags as raw bytes.
 */

/** A tagged field as raw bytes: an unknown one kept from decoding, or one to send as is. */
export interface TaggedField {
  tag: number;
  data: Buffer;
}

/** The zero-length bytes value, shared by every decoded default (Buffers of length 0 hold nothing). */
export const EMPTY_BYTES: Buffer = Buffer.alloc(0);

/** The default array of an input left out: shared and frozen, since encoders only read it. */
export const EMPTY_ARRAY: readonly never[] = Object.freeze([]);

/** Tagged fields after this many in one struct mean garbage: Kafka itself has a handful at most. */
const TAGGED_FIELDS_MAX = 4096;

/**
 * Writes a tagged field section: the known fields (already encoded, in ascending tag order) merged
 * with the unknown ones, in ascending tag order as Kafka does.
 */
export function writeTaggedFields(
  w: Writer,
  known: readonly TaggedField[] | undefined,
  unknown: readonly TaggedField[] | undefined,
  label: string,
  version: number,
): void {
  if (unknown === undefined || unknown.length === 0) {
    if (known === undefined) {
      w.unsignedVarint(0);
      return;
    }
    w.unsignedVarint(known.length);
    for (const f of known) writeTaggedField(w, f);
    return;
  }
  const all = [...(known ?? []), ...unknown].sort((a, b) => a.tag - b.tag);
  for (let i = 0; i < all.length; i++) {
    const f = all[i] as TaggedField;
    if (!Number.isInteger(f.tag) || f.tag < 0 || f.tag > 0x7fffffff) {
      throw new ProtocolEncodeError(`cannot encode ${label} at version ${version}: invalid tag ${f.tag}`);
    }
    if (i > 0 && (all[i - 1] as TaggedField).tag === f.tag) {
      throw new ProtocolEncodeError(
        `cannot encode ${label} at version ${version}: tag ${f.tag} is set twice`,
      );
    }
  }
  w.unsignedVarint(all.length);
  for (const f of all) writeTaggedField(w, f);
}

function writeTaggedField(w: Writer, f: TaggedField): void {
  w.unsignedVarint(f.tag);
  w.unsignedVarint(f.data.length);
  w.raw(f.data);
}

/** Reads a tagged field section of a struct that defines no tagged field of its own. */
export function readUnknownTaggedFields(r: Reader): TaggedField[] | undefined {
  const count = r.unsignedVarint();
  if (count === 0) return undefined;
  checkTaggedFieldCount(r, count);
  const out: TaggedField[] = [];
  for (let i = 0; i < count; i++) {
    const tag = r.unsignedVarint();
    const size = r.unsignedVarint();
    out.push({ tag, data: r.slice(size) });
  }
  return out;
}

/** Each tagged field takes at least two bytes (tag and size), so a count is bounded by what remains. */
export function checkTaggedFieldCount(r: Reader, count: number): void {
  if (count > TAGGED_FIELDS_MAX || count * 2 > r.remaining) {
    throw new ProtocolDecodeError(
      `${count} tagged fields cannot fit in ${r.remaining} remaining bytes`,
      "BRK_ERR_PROTOCOL_LENGTH",
    );
  }
}

/** A reader over the `size` bytes of one known tagged field; the outer reader moves past them. */
export function taggedFieldReader(r: Reader, size: number): Reader {
  r.ensure(size);
  const tr = new Reader(r.buf, r.pos, r.pos + size);
  r.pos += size;
  return tr;
}

/** A known tagged field must fill exactly the size it declared, or the bytes are not Kafka's. */
export function taggedFieldEnd(tr: Reader, label: string): void {
  if (tr.remaining !== 0) {
    throw new ProtocolDecodeError(
      `tagged field ${label} has ${tr.remaining} bytes left over after its value`,
    );
  }
}

export function unsupportedVersionEncodeError(name: string, version: number): ProtocolEncodeError {
  return new ProtocolEncodeError(`${name} has no version ${version}`, "BRK_ERR_PROTOCOL_VERSION");
}

export function unsupportedVersionDecodeError(name: string, version: number): ProtocolDecodeError {
  return new ProtocolDecodeError(`${name} has no version ${version}`, "BRK_ERR_PROTOCOL_VERSION");
}

export function absentFieldEncodeError(label: string, version: number): ProtocolEncodeError {
  return new ProtocolEncodeError(
    `cannot encode ${label} at version ${version}: the field is not in that version and its value is not the default`,
  );
}

export function nullFieldEncodeError(label: string, version: number): ProtocolEncodeError {
  return new ProtocolEncodeError(`cannot encode ${label} at version ${version}: null is not allowed there`);
}

export function taggedFieldsEncodeError(label: string, version: number): ProtocolEncodeError {
  return new ProtocolEncodeError(
    `cannot encode ${label} at version ${version}: tagged fields are set but that version is not flexible`,
  );
}

export function nullFieldDecodeError(label: string, version: number): ProtocolDecodeError {
  return new ProtocolDecodeError(`${label} is null but is not nullable at version ${version}`);
}

export function invalidTagDecodeError(label: string, tag: number, version: number): ProtocolDecodeError {
  return new ProtocolDecodeError(`${label}: tag ${tag} is not valid at version ${version}`);
}
