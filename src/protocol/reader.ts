import { ProtocolDecodeError } from "./protocol-error.js";
import type { Uuid } from "./uuid.js";

/**
 * A bounds-checked cursor over a buffer, for decoding the Kafka protocol and record batches.
 *
 * Every length read from the wire is checked against the bytes that remain before anything is
 * allocated, so malformed input fails with ProtocolDecodeError instead of an unbounded allocation.
 * `bytes`-like results are views on the underlying buffer (no copy): a caller that keeps one past
 * the life of the request must copy it.
 */
export class Reader {
  readonly buf: Buffer;
  pos: number;
  readonly end: number;
  /** A view on `buf` for int64 reads, made on first use. */
  private view: DataView | null = null;

  constructor(buf: Buffer, pos = 0, end = buf.length) {
    this.buf = buf;
    this.pos = pos;
    this.end = end;
  }

  get remaining(): number {
    return this.end - this.pos;
  }

  ensure(byteCount: number): void {
    if (byteCount < 0 || this.pos + byteCount > this.end) {
      throw new ProtocolDecodeError(
        `truncated: need ${byteCount} bytes at ${this.pos}, have ${this.end - this.pos}`,
        "BRK_ERR_PROTOCOL_TRUNCATED",
      );
    }
  }

  int8(): number {
    this.ensure(1);
    return this.buf.readInt8(this.pos++);
  }

  uint8(): number {
    this.ensure(1);
    return this.buf[this.pos++] as number;
  }

  int16(): number {
    this.ensure(2);
    const v = this.buf.readInt16BE(this.pos);
    this.pos += 2;
    return v;
  }

  uint16(): number {
    this.ensure(2);
    const v = this.buf.readUInt16BE(this.pos);
    this.pos += 2;
    return v;
  }

  int32(): number {
    this.ensure(4);
    const v = this.buf.readInt32BE(this.pos);
    this.pos += 4;
    return v;
  }

  uint32(): number {
    this.ensure(4);
    const v = this.buf.readUInt32BE(this.pos);
    this.pos += 4;
    return v;
  }

  // DataView.getBigInt64 is about twice as fast as Buffer.readBigInt64BE, which assembles the
  // bigint from two int32 halves in JS.
  int64(): bigint {
    this.ensure(8);
    this.view ??= new DataView(this.buf.buffer, this.buf.byteOffset, this.buf.length);
    const v = this.view.getBigInt64(this.pos);
    this.pos += 8;
    return v;
  }

  float64(): number {
    this.ensure(8);
    const v = this.buf.readDoubleBE(this.pos);
    this.pos += 8;
    return v;
  }

  bool(): boolean {
    const v = this.uint8();
    if (v > 1) throw new ProtocolDecodeError(`invalid boolean ${v} at ${this.pos - 1}`);
    return v === 1;
  }

  uuid(): Uuid {
    this.ensure(16);
    const v = this.buf.toString("base64url", this.pos, this.pos + 16);
    this.pos += 16;
    return v;
  }

  /** Unsigned LEB128 varint of at most 5 bytes (32 bits), as Kafka's flexible versions use. */
  unsignedVarint(): number {
    let value = 0;
    for (let shift = 0; shift < 35; shift += 7) {
      const b = this.uint8();
      value += (b & 0x7f) * 2 ** shift;
      if ((b & 0x80) === 0) {
        if (value > 0xffffffff) throw new ProtocolDecodeError("unsigned varint exceeds 32 bits");
        return value;
      }
    }
    throw new ProtocolDecodeError("unsigned varint longer than 5 bytes", "BRK_ERR_PROTOCOL_VARINT");
  }

  /** Zigzag-encoded signed varint (int32), as records use. */
  varint(): number {
    const raw = this.unsignedVarint();
    return raw % 2 === 0 ? raw / 2 : -(raw + 1) / 2;
  }

  /** Zigzag-encoded signed varlong (int64), at most 10 bytes. */
  varlong(): bigint {
    let raw = 0n;
    for (let shift = 0n; shift < 70n; shift += 7n) {
      const b = this.uint8();
      raw |= BigInt(b & 0x7f) << shift;
      if ((b & 0x80) === 0) {
        if (raw > 0xffffffffffffffffn) throw new ProtocolDecodeError("varlong exceeds 64 bits");
        return (raw >> 1n) ^ -(raw & 1n);
      }
    }
    throw new ProtocolDecodeError("varlong longer than 10 bytes", "BRK_ERR_PROTOCOL_VARINT");
  }

  /** A view of the next `byteCount` bytes. */
  slice(byteCount: number): Buffer {
    this.ensure(byteCount);
    const v = this.buf.subarray(this.pos, this.pos + byteCount);
    this.pos += byteCount;
    return v;
  }

  skip(byteCount: number): void {
    this.ensure(byteCount);
    this.pos += byteCount;
  }

  private utf8(byteCount: number): string {
    this.ensure(byteCount);
    const v = this.buf.toString("utf8", this.pos, this.pos + byteCount);
    this.pos += byteCount;
    return v;
  }

  string(): string {
    const n = this.int16();
    if (n < 0) throw new ProtocolDecodeError(`null string where one is required (length ${n})`);
    return this.utf8(n);
  }

  nullableString(): string | null {
    const n = this.int16();
    if (n < 0) return null;
    return this.utf8(n);
  }

  compactString(): string {
    const n = this.unsignedVarint() - 1;
    if (n < 0) throw new ProtocolDecodeError("null compact string where one is required");
    return this.utf8(n);
  }

  compactNullableString(): string | null {
    const n = this.unsignedVarint() - 1;
    if (n < 0) return null;
    return this.utf8(n);
  }

  bytes(): Buffer {
    const n = this.int32();
    if (n < 0) throw new ProtocolDecodeError(`null bytes where they are required (length ${n})`);
    return this.slice(n);
  }

  nullableBytes(): Buffer | null {
    const n = this.int32();
    if (n < 0) return null;
    return this.slice(n);
  }

  compactBytes(): Buffer {
    const n = this.unsignedVarint() - 1;
    if (n < 0) throw new ProtocolDecodeError("null compact bytes where they are required");
    return this.slice(n);
  }

  compactNullableBytes(): Buffer | null {
    const n = this.unsignedVarint() - 1;
    if (n < 0) return null;
    return this.slice(n);
  }

  /**
   * An int32 array length; -1 means null. Rejects lengths that cannot fit in the bytes that remain
   * given the smallest encoding of one element, so no array is ever allocated beyond the input.
   */
  arrayLength(elementBytesMin = 1): number {
    const n = this.int32();
    if (n < -1) throw new ProtocolDecodeError(`negative array length ${n}`);
    this.checkCount(n, elementBytesMin);
    return n;
  }

  /** A compact (uvarint, length + 1) array length; -1 means null. */
  compactArrayLength(elementBytesMin = 1): number {
    const n = this.unsignedVarint() - 1;
    this.checkCount(n, elementBytesMin);
    return n;
  }

  /** Checks that `count` elements of at least `elementBytesMin` bytes each can fit in what remains. */
  checkCount(count: number, elementBytesMin: number): void {
    const bound =
      elementBytesMin > 0 ? this.remaining / elementBytesMin : this.remaining + ZERO_SIZE_ELEMENTS_MAX;
    if (count > bound) {
      throw new ProtocolDecodeError(
        `array of ${count} elements cannot fit in ${this.remaining} remaining bytes`,
        "BRK_ERR_PROTOCOL_LENGTH",
      );
    }
  }
}

/** Elements that encode to zero bytes (a struct with no fields in this version) still cost memory. */
const ZERO_SIZE_ELEMENTS_MAX = 1024;
