import { BrookError } from "../base/index.js";

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
 * Splits a TCP byte stream into Kafka's size-prefixed frames (int32 big-endian size, then the
 * frame). A frame that lies inside one socket chunk is returned as a view on that chunk, with no
 * copy; only frames that straddle chunks are assembled into a buffer of their exact size, which is
 * allocated only after the size was checked against the limit.
 */
export class FrameReader {
  private readonly frameBytesMax: number;
  /** Leftover bytes (less than a size prefix, or the start of a frame) from earlier chunks. */
  private pending: Buffer | null = null;
  /** A frame being assembled across chunks, and how much of it is filled. */
  private partial: Buffer | null = null;
  private partialFilled = 0;

  constructor(frameBytesMax: number) {
    this.frameBytesMax = frameBytesMax;
  }

  /** Feeds one chunk from the socket; calls `onFrame` for every complete frame, in order. */
  push(chunk: Buffer, onFrame: (frame: Buffer) => void): void {
    let data = chunk;
    if (this.partial !== null) {
      const need = this.partial.length - this.partialFilled;
      const take = Math.min(need, data.length);
      data.copy(this.partial, this.partialFilled, 0, take);
      this.partialFilled += take;
      if (take < need) return;
      const frame = this.partial;
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
      this.partial = Buffer.allocUnsafe(size);
      data.copy(this.partial, 0, start);
      this.partialFilled = data.length - start;
      return;
    }
    if (at < data.length) this.pending = Buffer.from(data.subarray(at));
  }

  /** Bytes held for an incomplete frame (for tests and connection accounting). */
  get bufferedBytes(): number {
    return (this.pending?.length ?? 0) + this.partialFilled;
  }
}
