/**
 * XXH32 (xxHash, 32-bit), as the LZ4 frame format uses it for its header checksum (HC) and its
 * optional block checksums. Written from the published algorithm; none of the installed packages
 * exposes it. Inputs here are a few header bytes or one LZ4 block (at most 4 MiB), so a plain
 * JavaScript loop is fast enough.
 */
const PRIME1 = 0x9e3779b1;
const PRIME2 = 0x85ebca77;
const PRIME3 = 0xc2b2ae3d;
const PRIME4 = 0x27d4eb2f;
const PRIME5 = 0x165667b1;

const rotl = (v: number, bits: number): number => (v << bits) | (v >>> (32 - bits));

const readU32LE = (b: Uint8Array, i: number): number =>
  ((b[i] as number) |
    ((b[i + 1] as number) << 8) |
    ((b[i + 2] as number) << 16) |
    ((b[i + 3] as number) << 24)) >>>
  0;

function round(acc: number, lane: number): number {
  acc = (acc + Math.imul(lane, PRIME2)) | 0;
  return Math.imul(rotl(acc, 13), PRIME1);
}

export function xxhash32(data: Uint8Array, seed = 0): number {
  const length = data.length;
  let i = 0;
  let h: number;
  if (length >= 16) {
    let v1 = (seed + PRIME1 + PRIME2) | 0;
    let v2 = (seed + PRIME2) | 0;
    let v3 = seed | 0;
    let v4 = (seed - PRIME1) | 0;
    const stripesEnd = length - 16;
    while (i <= stripesEnd) {
      v1 = round(v1, readU32LE(data, i));
      v2 = round(v2, readU32LE(data, i + 4));
      v3 = round(v3, readU32LE(data, i + 8));
      v4 = round(v4, readU32LE(data, i + 12));
      i += 16;
    }
    h = (rotl(v1, 1) + rotl(v2, 7) + rotl(v3, 12) + rotl(v4, 18)) | 0;
  } else {
    h = (seed + PRIME5) | 0;
  }
  h = (h + length) | 0;
  while (i + 4 <= length) {
    h = (h + Math.imul(readU32LE(data, i), PRIME3)) | 0;
    h = Math.imul(rotl(h, 17), PRIME4);
    i += 4;
  }
  while (i < length) {
    h = (h + Math.imul(data[i] as number, PRIME5)) | 0;
    h = Math.imul(rotl(h, 11), PRIME1);
    i++;
  }
  h ^= h >>> 15;
  h = Math.imul(h, PRIME2);
  h ^= h >>> 13;
  h = Math.imul(h, PRIME3);
  h ^= h >>> 16;
  return h >>> 0;
}
