import { ProtocolEncodeError } from "./protocol-error.js";
import type { Uuid } from "./uuid.js";

const INT64_MIN = -0x8000000000000000n;
const INT64_MAX = 0x7fffffffffffffffn;

/** Byte strings at least this long are referenced rather than copied by `rawRef`. */
export const WRITER_REF_BYTES_MIN = 1024;

/**
 * An append-only encoder for the Kafka protocol. It grows one buffer for the small fields and
 * keeps large byte ranges (record batches read from segments) as references, so a Fetch response
 * goes to the socket as a list of chunks (`toChunks()`, for `writev`) without copying its records.
 * Positions are absolute byte offsets in the output, references included.
 */
export class Writer {
  private buf: Buffer;
  private pos = 0;
  /** Start, in `buf`, of the bytes not yet moved to `chunks`. */
  private start = 0;
  private readonly chunks: Buffer[] = [];
  private chunkedBytes = 0;
  /** A view on `buf` for int64 writes, made on first use and dropped when `buf` is replaced. */
  private view: DataView | null = null;

  constructor(capacityBytes = 256) {
    this.buf = Buffer.allocUnsafe(capacityBytes);
  }

  get length(): number {
    return this.chunkedBytes + this.pos - this.start;
  }

  private room(byteCount: number): void {
    if (this.pos + byteCount <= this.buf.length) return;
    const used = this.pos - this.start;
    const next = Buffer.allocUnsafe(Math.max(this.buf.length * 2, used + byteCount + 64));
    this.buf.copy(next, 0, this.start, this.pos);
    this.buf = next;
    this.view = null;
    this.start = 0;
    this.pos = used;
  }

  int8(v: number): this {
    this.room(1);
    this.pos = this.buf.writeInt8(v, this.pos);
    return this;
  }

  uint8(v: number): this {
    this.room(1);
    this.pos = this.buf.writeUInt8(v, this.pos);
    return this;
  }

  int16(v: number): this {
    this.room(2);
    this.pos = this.buf.writeInt16BE(v, this.pos);
    return this;
  }

  uint16(v: number): this {
    this.room(2);
    this.pos = this.buf.writeUInt16BE(v, this.pos);
    return this;
  }

  int32(v: number): this {
    this.room(4);
    this.pos = this.buf.writeInt32BE(v, this.pos);
    return this;
  }

  uint32(v: number): this {
    this.room(4);
    this.pos = this.buf.writeUInt32BE(v, this.pos);
    return this;
  }

  // DataView.setBigInt64 costs ~20 ns where Buffer.writeBigInt64BE costs ~150 ns (it splits the
  // bigint in JS); it wraps silently, hence the explicit range check that writeBigInt64BE made.
  int64(v: bigint): this {
    if (v < INT64_MIN || v > INT64_MAX) throw new ProtocolEncodeError(`int64 out of range: ${v}`);
    this.room(8);
    this.view ??= new DataView(this.buf.buffer, this.buf.byteOffset, this.buf.length);
    this.view.setBigInt64(this.pos, v);
    this.pos += 8;
    return this;
  }

  float64(v: number): this {
    this.room(8);
    this.pos = this.buf.writeDoubleBE(v, this.pos);
    return this;
  }

  bool(v: boolean): this {
    return this.uint8(v ? 1 : 0);
  }

  uuid(v: Uuid): this {
    const bytes = Buffer.from(v, "base64url");
    if (bytes.length !== 16) throw new ProtocolEncodeError(`not a Kafka UUID: ${JSON.stringify(v)}`);
    return this.raw(bytes);
  }

  unsignedVarint(v: number): this {
    if (!Number.isInteger(v) || v < 0 || v > 0xffffffff) {
      throw new ProtocolEncodeError(`unsigned varint out of range: ${v}`);
    }
    this.room(5);
    while (v >= 0x80) {
      this.buf[this.pos++] = (v & 0x7f) | 0x80;
      v = Math.floor(v / 128);
    }
    this.buf[this.pos++] = v;
    return this;
  }

  varint(v: number): this {
    if (!Number.isInteger(v) || v < -0x80000000 || v > 0x7fffffff) {
      throw new ProtocolEncodeError(`varint out of int32 range: ${v}`);
    }
    return this.unsignedVarint(v >= 0 ? v * 2 : -v * 2 - 1);
  }

  varlong(v: bigint): this {
    if (v < -0x8000000000000000n || v > 0x7fffffffffffffffn) {
      throw new ProtocolEncodeError(`varlong out of int64 range: ${v}`);
    }
    let raw = v >= 0n ? v << 1n : (-v << 1n) - 1n;
    this.room(10);
    while (raw >= 0x80n) {
      this.buf[this.pos++] = Number(raw & 0x7fn) | 0x80;
      raw >>= 7n;
    }
    this.buf[this.pos++] = Number(raw);
    return this;
  }

  /** Copies bytes into the output. */
  raw(v: Uint8Array): this {
    this.room(v.length);
    this.buf.set(v, this.pos);
    this.pos += v.length;
    return this;
  }

  /** Appends bytes by reference when they are large (no copy); the caller must not change them. */
  rawRef(v: Buffer): this {
    if (v.length < WRITER_REF_BYTES_MIN) return this.raw(v);
    this.flushOwned();
    this.chunks.push(v);
    this.chunkedBytes += v.length;
    return this;
  }

  private flushOwned(): void {
    if (this.pos > this.start) {
      this.chunks.push(this.buf.subarray(this.start, this.pos));
      this.chunkedBytes += this.pos - this.start;
      this.start = this.pos;
    }
  }

  private utf8(v: string, byteCount: number): void {
    this.room(byteCount);
    this.pos += this.buf.write(v, this.pos, byteCount, "utf8");
  }

  string(v: string): this {
    const n = Buffer.byteLength(v, "utf8");
    if (n > 0x7fff) throw new ProtocolEncodeError(`string of ${n} bytes exceeds the int16 length limit`);
    this.int16(n);
    this.utf8(v, n);
    return this;
  }

  nullableString(v: string | null): this {
    return v === null ? this.int16(-1) : this.string(v);
  }

  compactString(v: string): this {
    const n = Buffer.byteLength(v, "utf8");
    if (n > 0x7fff) throw new ProtocolEncodeError(`string of ${n} bytes exceeds the int16 length limit`);
    this.unsignedVarint(n + 1);
    this.utf8(v, n);
    return this;
  }

  compactNullableString(v: string | null): this {
    return v === null ? this.unsignedVarint(0) : this.compactString(v);
  }

  bytes(v: Uint8Array | readonly Uint8Array[]): this {
    this.int32(byteLength(v));
    return this.writeByteChunks(v);
  }

  nullableBytes(v: Uint8Array | readonly Uint8Array[] | null): this {
    return v === null ? this.int32(-1) : this.bytes(v);
  }

  compactBytes(v: Uint8Array | readonly Uint8Array[]): this {
    this.unsignedVarint(byteLength(v) + 1);
    return this.writeByteChunks(v);
  }

  compactNullableBytes(v: Uint8Array | readonly Uint8Array[] | null): this {
    return v === null ? this.unsignedVarint(0) : this.compactBytes(v);
  }

  private writeByteChunks(v: Uint8Array | readonly Uint8Array[]): this {
    if (v instanceof Uint8Array) return this.rawRefOrCopy(v);
    for (const part of v) this.rawRefOrCopy(part);
    return this;
  }

  private rawRefOrCopy(v: Uint8Array): this {
    if (v.length >= WRITER_REF_BYTES_MIN) {
      return this.rawRef(Buffer.isBuffer(v) ? v : Buffer.from(v.buffer, v.byteOffset, v.length));
    }
    return this.raw(v);
  }

  /** Overwrites 4 bytes at an absolute position already written (a length or size prefix). */
  patchInt32(at: number, v: number): void {
    if (at >= this.chunkedBytes) {
      this.buf.writeInt32BE(v, this.start + at - this.chunkedBytes);
      return;
    }
    let chunkStart = 0;
    for (const chunk of this.chunks) {
      if (at < chunkStart + chunk.length) {
        if (at + 4 > chunkStart + chunk.length) throw new RangeError("patch spans two chunks");
        chunk.writeInt32BE(v, at - chunkStart);
        return;
      }
      chunkStart += chunk.length;
    }
    throw new RangeError(`patch position ${at} is past the end`);
  }

  /** The output as chunks, for `socket.cork()` + writes or `writev`. The writer is spent after this. */
  toChunks(): Buffer[] {
    this.flushOwned();
    return this.chunks;
  }

  /** The output as one buffer (a view when nothing was referenced). The writer is spent after this. */
  toBuffer(): Buffer {
    if (this.chunks.length === 0) return this.buf.subarray(this.start, this.pos);
    this.flushOwned();
    return Buffer.concat(this.chunks, this.chunkedBytes);
  }
}

function byteLength(v: Uint8Array | readonly Uint8Array[]): number {
  if (v instanceof Uint8Array) return v.length;
  let n = 0;
  for (const part of v) n += part.length;
  return n;
}
