import { assert, BrookError } from "../base/index.js";
import { FRAME_POOL_CLASS_BYTES_MIN, type FrameBufferPool } from "./frame-buffer-pool.js";

/** A size prefix that is negative or above `socket.request.max.bytes`: the connection is closed. */
export class InvalidFrameSizeError extends BrookError {
  readonly sizeBytes: number;

  constructor(sizeBytes: number, sizeBytesMax: number) {
    // A client's bad size prefix, not a Brook fault: no stack trace (as ProtocolDecodeError), which
    // cost ~2 % of the broker's time under the connection-load test's hostile client.
    const stackTraceLimit = Error.stackTraceLimit;
    Error.stackTraceLimit = 0;
    super(
      "BRK_ERR_NETWORK_FRAME_SIZE",
      `invalid request size ${sizeBytes} (socket.request.max.bytes=${sizeBytesMax})`,
    );
    Error.stackTraceLimit = stackTraceLimit;
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

/** Receives each frame; `pooled` is the pool buffer holding it (the receiver releases it), or null. */
export type FrameSink = (frame: Buffer, pooled: Buffer | null) => void;

export interface FrameReaderOptions {
  /** Where frames that straddle socket chunks may be assembled; without it, fresh buffers. */
  pool?: FrameBufferPool;
  /** Whether a frame of this API key (the first int16 of a request) may use the pool. */
  mayPool?: (apiKey: number) => boolean;
  /**
   * The chunks given to `push` are reused once it returns (one shared socket read buffer): every
   * frame and every byte kept is then copied out of them.
   */
  transientChunks?: boolean;
}

/** A frame copied out of a transient chunk uses the pool from this size (smaller ones: Node's slab). */
export const FRAME_POOLED_COPY_BYTES_MIN = FRAME_POOL_CLASS_BYTES_MIN;

/**
 * Splits a TCP byte stream into Kafka's size-prefixed frames (int32 big-endian size, then the
 * frame). A frame that lies inside one socket chunk is returned as a view on that chunk, with no
 * copy; only frames that straddle chunks are assembled into a buffer, allocated only after the
 * size was checked against the limit, and (beyond FRAME_PREALLOCATED_BYTES_MAX) grown as the
 * bytes arrive.
 *
 * The assembly buffer comes from the pool when `mayPool` says the frame's API allows it (its
 * handler reads the request only until its handling completes): the frame is then handed over with
 * its pool buffer, which the receiver must release once the handling is complete. Every other
 * frame gets a fresh buffer that the receiver may keep.
 */
export class FrameReader {
  private frameBytesMax: number;
  private readonly pool: FrameBufferPool | null;
  private readonly mayPool: (apiKey: number) => boolean;
  private readonly transient: boolean;
  /** Leftover bytes (less than a size prefix, or the start of a frame) from earlier chunks. */
  private pending: Buffer | null = null;
  /** A frame being assembled across chunks: its buffer (filled up to partialFilled) and size. */
  private partial: Buffer | null = null;
  private partialFilled = 0;
  private partialSize = 0;
  /** Whether `partial` came from the pool (it may then be longer than the frame). */
  private partialPooled = false;

  constructor(frameBytesMax: number, options: FrameReaderOptions = {}) {
    this.frameBytesMax = frameBytesMax;
    this.pool = options.pool ?? null;
    this.mayPool = options.mayPool ?? (() => false);
    this.transient = options.transientChunks ?? false;
  }

  /** Changes the largest frame accepted from the next size prefix on (a SASL connection's, once authenticated). */
  setFrameBytesMax(frameBytesMax: number): void {
    this.frameBytesMax = frameBytesMax;
  }

  /**
   * Feeds one chunk from the socket; calls `onFrame` for every complete frame, in order, as long as
   * `mayContinue` says so (checked before each frame): once it says no, the rest stays pending (a
   * view on the chunk, not a copy) until the next `push`, which may be of an empty chunk.
   */
  push(chunk: Buffer, onFrame: FrameSink, mayContinue: () => boolean = ALWAYS): void {
    let data = chunk;
    if (this.partial !== null) {
      const need = this.partialSize - this.partialFilled;
      const take = Math.min(need, data.length);
      this.ensureCapacity(this.partialFilled + take);
      data.copy(this.partial, this.partialFilled, 0, take);
      this.partialFilled += take;
      if (take < need) return;
      this.emitPartial(onFrame);
      data = data.subarray(take);
    } else if (this.pending !== null) {
      data = data.length === 0 ? this.pending : Buffer.concat([this.pending, data]);
      this.pending = null;
    }
    let at = 0;
    while (data.length - at >= 4) {
      if (!mayContinue()) {
        this.pending = this.transient ? Buffer.from(data.subarray(at)) : data.subarray(at);
        return;
      }
      const size = data.readInt32BE(at);
      if (size < 0 || size > this.frameBytesMax) throw new InvalidFrameSizeError(size, this.frameBytesMax);
      const start = at + 4;
      if (data.length - start >= size) {
        if (this.transient) this.emitCopy(data, start, size, onFrame);
        else onFrame(data.subarray(start, start + size), null);
        at = start + size;
        continue;
      }
      this.startPartial(data, start, size);
      return;
    }
    if (at < data.length) this.pending = Buffer.from(data.subarray(at));
  }

  /** A whole frame inside a transient chunk: handed over in a buffer of its own. */
  private emitCopy(data: Buffer, start: number, size: number, onFrame: FrameSink): void {
    if (this.pool !== null && size >= FRAME_POOLED_COPY_BYTES_MIN && this.mayPool(data.readInt16BE(start))) {
      const buffer = this.pool.acquire(size);
      data.copy(buffer, 0, start, start + size);
      onFrame(buffer.subarray(0, size), buffer);
      return;
    }
    const copy = Buffer.allocUnsafe(size);
    data.copy(copy, 0, start, start + size);
    onFrame(copy, null);
  }

  private startPartial(data: Buffer, start: number, size: number): void {
    this.partialSize = size;
    this.partialFilled = data.length - start;
    const capacity =
      size <= FRAME_PREALLOCATED_BYTES_MAX
        ? size
        : Math.min(size, Math.max(FRAME_PREALLOCATED_BYTES_MAX, 2 * this.partialFilled));
    // The API key decides; when its two bytes have not arrived yet, the frame is not pooled.
    this.partialPooled =
      this.pool !== null && this.partialFilled >= 2 && this.mayPool(data.readInt16BE(start));
    this.partial = this.partialPooled
      ? (this.pool as FrameBufferPool).acquire(capacity)
      : Buffer.allocUnsafe(capacity);
    data.copy(this.partial, 0, start);
  }

  private emitPartial(onFrame: FrameSink): void {
    const buffer = this.partial as Buffer;
    const pooled = this.partialPooled;
    this.partial = null;
    this.partialFilled = 0;
    this.partialPooled = false;
    const frame = pooled ? buffer.subarray(0, this.partialSize) : buffer;
    assert(frame.length === this.partialSize, "an assembled frame has exactly its announced size");
    onFrame(frame, pooled ? buffer : null);
  }

  /** Grows `partial` to hold `needed` bytes: doubled, never past the frame's size. */
  private ensureCapacity(needed: number): void {
    const buffer = this.partial as Buffer;
    if (needed <= buffer.length) return;
    const capacity = Math.min(this.partialSize, Math.max(needed, 2 * buffer.length));
    const grown = this.partialPooled
      ? (this.pool as FrameBufferPool).acquire(capacity)
      : Buffer.allocUnsafe(capacity);
    buffer.copy(grown, 0, 0, this.partialFilled);
    if (this.partialPooled) (this.pool as FrameBufferPool).release(buffer);
    this.partial = grown;
  }

  /** Gives back a frame left half-assembled (the connection closed); the reader is not used again. */
  discard(): void {
    if (this.partial !== null && this.partialPooled) (this.pool as FrameBufferPool).release(this.partial);
    this.partial = null;
    this.partialFilled = 0;
    this.pending = null;
  }

  /** Bytes held for an incomplete frame, or left unread by a stop (for tests and connection accounting). */
  get bufferedBytes(): number {
    return (this.pending?.length ?? 0) + this.partialFilled;
  }

  /** Whether bytes are waiting for the next `push` (possibly whole frames, after a stop). */
  get hasPending(): boolean {
    return this.pending !== null;
  }
}

const ALWAYS = () => true;
