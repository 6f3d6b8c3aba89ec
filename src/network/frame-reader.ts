import { assert, BrookError } from "../base/index.js";

/** A size prefix that is negative or above `socket.request.max.bytes`: the connection is closed. */
export class InvalidFrameSizeError extends BrookError {
  readonly sizeBytes: number;

  constructor(sizeBytes: number, sizeBytesMax: number) {
    super(
      "BRK_ERR_NETWORK_FRAME_SIZE",
      `invalid request size ${sizeBytes} (socket.request.max.bytes=${sizeBytesMax})`,
    );
    this.name = "InvalidFrameSizeError";
    this.sizeBytes = sizeBytes;
  }
}

/**
 * Frames up to this size get their whole buffer when their first bytes arrive; a larger one
 * starts here and doubles as its bytes come, so a client that announces a large frame and sends
 * it slowly (or never) holds at most twice what it sent, not what it announced.
 */
export const FRAME_PREALLOCATED_BYTES_MAX = 1024 * 1024;

/**
 * Splits a TCP byte stream into Kafka's size-prefixed frames (int32 big-endian size, then the
 * frame). A frame that lies inside one socket chunk is returned as a view on that chunk, with no
 * copy; only frames that straddle chunks are assembled into a buffer, allocated only after the
 * size was checked against the limit, and (beyond FRAME_PREALLOCATED_BYTES_MAX) grown as the
 * bytes arrive.
 */
export class FrameReader {
  private readonly frameBytesMax: number;
  /** Leftover bytes (less than a size prefix, or the start of a frame) from earlier chunks. */
  private pending: Buffer | null = null;
  /** A frame being assembled across chunks: its buffer (filled up to partialFilled) and size. */
  private partial: Buffer | null = null;
  private partialFilled = 0;
  private partialSize = 0;

  constructor(frameBytesMax: number) {
    this.frameBytesMax = frameBytesMax;
  }

  /** Feeds one chunk from the socket; calls `onFrame` for every complete frame, in order. */
  push(chunk: Buffer, onFrame: (frame: Buffer) => void): void {
    let data = chunk;
    if (this.partial !== null) {
      const need = this.partialSize - this.partialFilled;
      const take = Math.min(need, data.length);
      this.partial = this.withCapacity(this.partial, this.partialFilled + take);
      data.copy(this.partial, this.partialFilled, 0, take);
      this.partialFilled += take;
      if (take < need) return;
      const frame = this.partial;
      assert(frame.length === this.partialSize, "an assembled frame has exactly its announced size");
      this.partial = null;
      this.partialFilled = 0;
      onFrame(frame);
      data = data.subarray(take);
    } else if (this.pending !== null) {
      data = Buffer.concat([this.pending, data]);
      this.pending = null;
    }
    let at = 0;
    while (data.length - at >= 4) {
      const size = data.readInt32BE(at);
      if (size < 0 || size > this.frameBytesMax) throw new InvalidFrameSizeError(size, this.frameBytesMax);
      const start = at + 4;
      if (data.length - start >= size) {
        onFrame(data.subarray(start, start + size));
        at = start + size;
        continue;
      }
      this.partialSize = size;
      this.partialFilled = data.length - start;
      this.partial = Buffer.allocUnsafe(
        size <= FRAME_PREALLOCATED_BYTES_MAX
          ? size
          : Math.min(size, Math.max(FRAME_PREALLOCATED_BYTES_MAX, 2 * this.partialFilled)),
      );
      data.copy(this.partial, 0, start);
      return;
    }
    if (at < data.length) this.pending = Buffer.from(data.subarray(at));
  }

  /** `buffer`, or a copy with room for `needed` bytes: doubled, never past the frame's size. */
  private withCapacity(buffer: Buffer, needed: number): Buffer {
    if (needed <= buffer.length) return buffer;
    const grown = Buffer.allocUnsafe(Math.min(this.partialSize, Math.max(needed, 2 * buffer.length)));
    buffer.copy(grown, 0, 0, this.partialFilled);
    return grown;
  }

  /** Bytes held for an incomplete frame (for tests and connection accounting). */
  get bufferedBytes(): number {
    return (this.pending?.length ?? 0) + this.partialFilled;
  }
}
