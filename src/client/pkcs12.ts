import { createDecipheriv, createHash, createHmac, pbkdf2Sync, timingSafeEqual } from "node:crypto";
import {
  type Asn1Node,
  Asn1Tag,
  child,
  children,
  expect,
  integerOf,
  octetsOf,
  oidOf,
  readNode,
} from "./asn1-der.js";

/**
 * Reads a PKCS#12 file (`.p12`, `.pfx`: Java's default key store type since 9, keytool's and
 * `openssl pkcs12 -export`'s output) into certificates and decrypted private keys. Node's `pfx`
 * option loads a key with its chain but refuses a store without a key, which is what a trust store
 * is; one reader for both keeps their errors alike. Supported: PBES2 (PBKDF2 with HMAC-SHA1/2,
 * AES-CBC or 3DES: OpenSSL 3's and Java 12+'s defaults), PKCS#12's SHA-1/3DES scheme (OpenSSL 1's
 * key encryption), no encryption, and the HMAC integrity check. RC2 (old keytools' and OpenSSL 1's
 * certificate encryption) is not in Node's OpenSSL 3 and is refused with what to do instead.
 */
export class Pkcs12Error extends Error {
  constructor(message: string) {
    super(message);
    this.name = "Pkcs12Error";
  }
}

export interface Pkcs12Contents {
  /** DER certificates in the order the file lists them. */
  readonly certificates: readonly Buffer[];
  /** Private keys as DER PKCS#8 PrivateKeyInfo, decrypted. */
  readonly keys: readonly Buffer[];
}

const OID = {
  data: "1.2.840.113549.1.7.1",
  encryptedData: "1.2.840.113549.1.7.6",
  keyBag: "1.2.840.113549.1.12.10.1.1",
  shroudedKeyBag: "1.2.840.113549.1.12.10.1.2",
  certBag: "1.2.840.113549.1.12.10.1.3",
  x509Certificate: "1.2.840.113549.1.9.22.1",
  pbes2: "1.2.840.113549.1.5.13",
  pbkdf2: "1.2.840.113549.1.5.12",
  pbeSha1TripleDes: "1.2.840.113549.1.12.1.3",
  pbeSha1Rc2_128: "1.2.840.113549.1.12.1.5",
  pbeSha1Rc2_40: "1.2.840.113549.1.12.1.6",
} as const;

/** Digest algorithm OIDs (MACs) and HMAC OIDs (PBKDF2's PRF), by Node's digest names. */
const DIGESTS = new Map([
  ["1.3.14.3.2.26", "sha1"],
  ["2.16.840.1.101.3.4.2.4", "sha224"],
  ["2.16.840.1.101.3.4.2.1", "sha256"],
  ["2.16.840.1.101.3.4.2.2", "sha384"],
  ["2.16.840.1.101.3.4.2.3", "sha512"],
]);
const HMACS = new Map([
  ["1.2.840.113549.2.7", "sha1"],
  ["1.2.840.113549.2.8", "sha224"],
  ["1.2.840.113549.2.9", "sha256"],
  ["1.2.840.113549.2.10", "sha384"],
  ["1.2.840.113549.2.11", "sha512"],
]);
const CIPHERS = new Map([
  ["2.16.840.1.101.3.4.1.2", { name: "aes-128-cbc", keyBytes: 16 }],
  ["2.16.840.1.101.3.4.1.22", { name: "aes-192-cbc", keyBytes: 24 }],
  ["2.16.840.1.101.3.4.1.42", { name: "aes-256-cbc", keyBytes: 32 }],
  ["1.2.840.113549.3.7", { name: "des-ede3-cbc", keyBytes: 24 }],
]);

/** What Java says for a wrong store password; Kafka prints it under "Failed to load SSL keystore". */
export const WRONG_PASSWORD = "keystore password was incorrect";

/**
 * The certificates and keys of a PKCS#12 file. `password` opens the store (and is checked against
 * its MAC); `keyPassword`, when given, decrypts the keys instead (Java lets them differ).
 * Encrypted contents with no password are an error; with no password and no encryption (a
 * password-less trust store), the MAC is not checked, as Java's "integrity checking is disabled".
 */
export function readPkcs12(
  data: Buffer,
  password: string | null,
  keyPassword?: string | null,
): Pkcs12Contents {
  try {
    return read(data, password, keyPassword ?? password);
  } catch (error) {
    if (error instanceof Pkcs12Error) throw error;
    throw new Pkcs12Error(`not a readable PKCS#12 file (${(error as Error).message})`);
  }
}

function read(data: Buffer, password: string | null, keyPassword: string | null): Pkcs12Contents {
  const pfx = expect(readNode(data).node, Asn1Tag.sequence, "a PFX sequence");
  const [version, authSafe, macData] = children(pfx);
  if (version === undefined || integerOf(version) !== 3) throw new Pkcs12Error("not a PKCS#12 v3 file");
  const authSafeInfo = expect(authSafe, Asn1Tag.sequence, "the authenticated safe");
  if (oidOf(child(authSafeInfo, 0, Asn1Tag.oid, "a content type")) !== OID.data) {
    throw new Pkcs12Error("public-key integrity mode is not supported");
  }
  const authSafeData = children(child(authSafeInfo, 1, Asn1Tag.context0, "content"))[0];
  if (authSafeData === undefined) throw new Pkcs12Error("empty authenticated safe");
  const authSafeBytes = octetsOf(authSafeData);
  if (macData !== undefined && password !== null) verifyMac(macData, authSafeBytes, password);
  const certificates: Buffer[] = [];
  const keys: Buffer[] = [];
  for (const info of children(expect(readNode(authSafeBytes).node, Asn1Tag.sequence, "content infos"))) {
    const type = oidOf(child(info, 0, Asn1Tag.oid, "a content type"));
    const content = children(child(info, 1, Asn1Tag.context0, "content"))[0];
    if (content === undefined) throw new Pkcs12Error("empty content");
    let safeContents: Buffer;
    if (type === OID.data) {
      safeContents = octetsOf(content);
    } else if (type === OID.encryptedData) {
      if (password === null) {
        throw new Pkcs12Error("its certificates are encrypted: the store's password is needed");
      }
      const encryptedContentInfo = child(content, 1, Asn1Tag.sequence, "encrypted content info");
      const [, algorithm, encrypted] = children(encryptedContentInfo);
      if (algorithm === undefined || encrypted === undefined) throw new Pkcs12Error("empty encrypted data");
      safeContents = decrypt(algorithm, octetsOf(encrypted), password);
    } else {
      throw new Pkcs12Error(`unsupported content type ${type}`);
    }
    for (const bag of children(expect(readNode(safeContents).node, Asn1Tag.sequence, "safe contents"))) {
      readBag(bag, keyPassword, certificates, keys);
    }
  }
  return { certificates, keys };
}

function readBag(bag: Asn1Node, keyPassword: string | null, certificates: Buffer[], keys: Buffer[]): void {
  const bagId = oidOf(child(bag, 0, Asn1Tag.oid, "a bag id"));
  const value = children(child(bag, 1, Asn1Tag.context0, "a bag value"))[0];
  if (value === undefined) throw new Pkcs12Error("empty bag");
  if (bagId === OID.certBag) {
    if (oidOf(child(value, 0, Asn1Tag.oid, "a certificate type")) !== OID.x509Certificate) return;
    const cert = children(child(value, 1, Asn1Tag.context0, "a certificate"))[0];
    if (cert !== undefined) certificates.push(octetsOf(cert));
  } else if (bagId === OID.keyBag) {
    keys.push(rawElement(value));
  } else if (bagId === OID.shroudedKeyBag) {
    if (keyPassword === null) throw new Pkcs12Error("its private key is encrypted: a password is needed");
    const [algorithm, encrypted] = children(value);
    if (algorithm === undefined || encrypted === undefined) throw new Pkcs12Error("empty encrypted key");
    keys.push(decrypt(algorithm, octetsOf(encrypted), keyPassword));
  }
}

/** A node's whole encoding again (tag, length, content): a PrivateKeyInfo to hand to Node. */
function rawElement(node: Asn1Node): Buffer {
  const length = node.content.length;
  const lengthBytes =
    length < 0x80
      ? Buffer.from([length])
      : (() => {
          const bytes: number[] = [];
          for (let n = length; n > 0; n = Math.floor(n / 256)) bytes.unshift(n & 0xff);
          return Buffer.from([0x80 | bytes.length, ...bytes]);
        })();
  return Buffer.concat([Buffer.from([node.tag]), lengthBytes, node.content]);
}

function verifyMac(macData: Asn1Node, content: Buffer, password: string): void {
  const [digestInfo, saltNode, iterationsNode] = children(expect(macData, Asn1Tag.sequence, "MAC data"));
  if (digestInfo === undefined || saltNode === undefined) throw new Pkcs12Error("incomplete MAC data");
  const [algorithm, expected] = children(digestInfo);
  if (algorithm === undefined || expected === undefined) throw new Pkcs12Error("incomplete MAC");
  const algorithmOid = oidOf(child(algorithm, 0, Asn1Tag.oid, "a MAC algorithm"));
  const digest = DIGESTS.get(algorithmOid);
  if (digest === undefined) throw new Pkcs12Error(`unsupported MAC algorithm ${algorithmOid}`);
  const iterations = iterationsNode === undefined ? 1 : integerOf(iterationsNode);
  const size = createHash(digest).digest().length;
  const key = pkcs12Kdf(digest, bmpPassword(password), octetsOf(saltNode), 3, iterations, size);
  const actual = createHmac(digest, key).update(content).digest();
  const wanted = octetsOf(expected);
  if (actual.length !== wanted.length || !timingSafeEqual(actual, wanted))
    throw new Pkcs12Error(WRONG_PASSWORD);
}

function decrypt(algorithm: Asn1Node, data: Buffer, password: string): Buffer {
  const oid = oidOf(child(algorithm, 0, Asn1Tag.oid, "an encryption algorithm"));
  const params = children(algorithm)[1];
  if (oid === OID.pbeSha1Rc2_40 || oid === OID.pbeSha1Rc2_128) {
    throw new Pkcs12Error(
      "it is encrypted with RC2 (the default of keytool before Java 8u301 and of OpenSSL 1), which Node's OpenSSL 3 does not provide: " +
        "export its certificates to PEM (keytool -exportcert -rfc, or openssl pkcs12 -legacy -nokeys) or re-create it with a current keytool or openssl",
    );
  }
  if (params === undefined) throw new Pkcs12Error(`no parameters for ${oid}`);
  let name: string;
  let key: Buffer;
  let iv: Buffer;
  if (oid === OID.pbes2) {
    const [kdf, scheme] = children(params);
    if (kdf === undefined || scheme === undefined) throw new Pkcs12Error("incomplete PBES2 parameters");
    const kdfOid = oidOf(child(kdf, 0, Asn1Tag.oid, "a key derivation function"));
    if (kdfOid !== OID.pbkdf2) throw new Pkcs12Error(`unsupported key derivation ${kdfOid}`);
    const cipherOid = oidOf(child(scheme, 0, Asn1Tag.oid, "a cipher"));
    const cipher = CIPHERS.get(cipherOid);
    if (cipher === undefined) throw new Pkcs12Error(`unsupported cipher ${cipherOid}`);
    const kdfParams = children(child(kdf, 1, Asn1Tag.sequence, "PBKDF2 parameters"));
    const salt = octetsOf(expect(kdfParams[0], Asn1Tag.octetString, "a salt"));
    const iterations = integerOf(expect(kdfParams[1], Asn1Tag.integer, "an iteration count"));
    const prfNode = kdfParams.slice(2).find((n) => n.tag === Asn1Tag.sequence);
    const prfOid =
      prfNode === undefined ? "1.2.840.113549.2.7" : oidOf(child(prfNode, 0, Asn1Tag.oid, "a PRF"));
    const digest = HMACS.get(prfOid);
    if (digest === undefined) throw new Pkcs12Error(`unsupported PBKDF2 function ${prfOid}`);
    name = cipher.name;
    key = pbkdf2Sync(Buffer.from(password, "utf8"), salt, iterations, cipher.keyBytes, digest);
    iv = octetsOf(child(scheme, 1, Asn1Tag.octetString, "an IV"));
  } else if (oid === OID.pbeSha1TripleDes) {
    const [saltNode, iterationsNode] = children(params);
    const salt = octetsOf(expect(saltNode, Asn1Tag.octetString, "a salt"));
    const iterations = integerOf(expect(iterationsNode, Asn1Tag.integer, "an iteration count"));
    name = "des-ede3-cbc";
    key = pkcs12Kdf("sha1", bmpPassword(password), salt, 1, iterations, 24);
    iv = pkcs12Kdf("sha1", bmpPassword(password), salt, 2, iterations, 8);
  } else {
    throw new Pkcs12Error(`unsupported encryption ${oid}`);
  }
  try {
    const decipher = createDecipheriv(name, key, iv);
    return Buffer.concat([decipher.update(data), decipher.final()]);
  } catch {
    // Bad padding after decryption: the password (there is nothing else it could be once the MAC passed).
    throw new Pkcs12Error(WRONG_PASSWORD);
  }
}

/** PKCS#12's password encoding: UTF-16 big-endian with a terminating zero (RFC 7292, B.1). */
function bmpPassword(password: string): Buffer {
  const out = Buffer.alloc((password.length + 1) * 2);
  for (let i = 0; i < password.length; i++) out.writeUInt16BE(password.charCodeAt(i), i * 2);
  return out;
}

/** RFC 7292 appendix B.2: PKCS#12's key derivation (id 1 keys, 2 IVs, 3 MAC keys). */
export function pkcs12Kdf(
  digest: string,
  password: Buffer,
  salt: Buffer,
  id: number,
  iterations: number,
  size: number,
): Buffer {
  const u = createHash(digest).digest().length;
  const v = u > 32 ? 128 : 64;
  const repeat = (bytes: Buffer, length: number) => {
    const out = Buffer.alloc(length);
    for (let i = 0; i < length; i++) out[i] = bytes[i % bytes.length] as number;
    return out;
  };
  const fill = (bytes: Buffer) =>
    bytes.length === 0 ? Buffer.alloc(0) : repeat(bytes, v * Math.ceil(bytes.length / v));
  const d = Buffer.alloc(v, id);
  const i = Buffer.concat([fill(salt), fill(password)]);
  const out = Buffer.alloc(size);
  for (let produced = 0; produced < size; ) {
    let a = createHash(digest).update(d).update(i).digest();
    for (let n = 1; n < iterations; n++) a = createHash(digest).update(a).digest();
    a.copy(out, produced, 0, Math.min(a.length, size - produced));
    produced += a.length;
    if (produced >= size) break;
    const b = repeat(a, v);
    for (let block = 0; block < i.length; block += v) {
      let carry = 1;
      for (let k = v - 1; k >= 0; k--) {
        const sum = (i[block + k] as number) + (b[k] as number) + carry;
        i[block + k] = sum & 0xff;
        carry = sum >> 8;
      }
    }
  }
  return out;
}
