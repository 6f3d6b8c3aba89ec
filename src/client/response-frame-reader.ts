import { assert } from "../base/index.js";
import { ClientError, ClientErrorCode } from "./client-error.js";

const SIZE_PREFIX_BYTES = 4;

/**
 * Splits the bytes a broker sends into Kafka's size-prefixed frames. A frame inside one socket
 * chunk comes out as a view on that chunk; only a frame spread over several chunks is copied, once,
 * when its last byte arrives. Its parts are kept as views until then, so a broker that announces a
 * large frame and sends little of it holds only what it sent.
 *
 * Invariant: at most one of `prefixFilled > 0` and `frameSize >= 0` holds (between frames, both
 * are at rest).
 */
export class ResponseFrameReader {
  private readonly frameBytesMax: number;
  /** A size prefix split across chunks, and how many of its bytes arrived. */
  private readonly prefix = Buffer.alloc(SIZE_PREFIX_BYTES);
  private prefixFilled = 0;
  /** The frame being gathered across chunks: its size (-1 when none) and the parts so far. */
  private frameSize = -1;
  private parts: Buffer[] = [];
  private partsBytes = 0;
  /** With `reuseGathered`: the buffer gathered frames are copied into, kept from frame to frame. */
  private scratch: Buffer | null = null;
  private readonly reuseGathered: boolean;

  /**
   * `reuseGathered`: a frame spread over several chunks is copied into one buffer that the next
   * such frame overwrites, instead of a new one each time. Only for callers that are done with a
   * frame (and every view of it) before the next one is read: the replica fetcher, which appends
   * each response before it sends the next request, and so allocates nothing per response.
   */
  constructor(frameBytesMax: number, options: { reuseGathered?: boolean } = {}) {
    assert(frameBytesMax >= 0, "the frame limit is not negative");
    this.frameBytesMax = frameBytesMax;
    this.reuseGathered = options.reuseGathered ?? false;
  }

  /** Feeds one chunk; calls `onFrame` for each complete frame, in order. Throws on a bad size. */
  push(chunk: Buffer, onFrame: (frame: Buffer) => void): void {
    let at = 0;
    while (at < chunk.length) {
      if (this.frameSize < 0) {
        let size: number;
        if (this.prefixFilled === 0 && chunk.length - at >= SIZE_PREFIX_BYTES) {
          size = chunk.readInt32BE(at);
          at += SIZE_PREFIX_BYTES;
        } else {
          const take = Math.min(SIZE_PREFIX_BYTES - this.prefixFilled, chunk.length - at);
          chunk.copy(this.prefix, this.prefixFilled, at, at + take);
          this.prefixFilled += take;
          at += take;
          if (this.prefixFilled < SIZE_PREFIX_BYTES) return;
          this.prefixFilled = 0;
          size = this.prefix.readInt32BE(0);
        }
        this.checkSize(size);
        if (chunk.length - at >= size) {
          onFrame(chunk.subarray(at, at + size));
          at += size;
          continue;
        }
        this.frameSize = size;
        if (at === chunk.length) return;
      }
      const take = Math.min(this.frameSize - this.partsBytes, chunk.length - at);
      this.parts.push(chunk.subarray(at, at + take));
      this.partsBytes += take;
      at += take;
      if (this.partsBytes === this.frameSize) onFrame(this.takeGathered());
    }
  }

  private checkSize(size: number): void {
    if (size < 0 || size > this.frameBytesMax) {
      throw new ClientError(
        ClientErrorCode.frameSize,
        `response size ${size} is outside 0..${this.frameBytesMax} bytes`,
      );
    }
  }

  private takeGathered(): Buffer {
    const frame =
      this.parts.length === 1
        ? (this.parts[0] as Buffer)
        : this.reuseGathered
          ? this.gatherIntoScratch()
          : Buffer.concat(this.parts, this.partsBytes);
    assert(frame.length === this.frameSize, "a gathered frame has exactly its announced size");
    this.parts = [];
    this.partsBytes = 0;
    this.frameSize = -1;
    return frame;
  }

  private gatherIntoScratch(): Buffer {
    if (this.scratch === null || this.scratch.length < this.partsBytes) {
      // Grown to the largest frame seen (bounded by frameBytesMax), never shrunk: a follower's
      // responses are all about replica.fetch.max.bytes.
      const grown = Math.min(this.frameBytesMax, (this.scratch?.length ?? 0) * 2);
      this.scratch = Buffer.allocUnsafe(Math.max(this.partsBytes, grown));
    }
    let at = 0;
    for (const part of this.parts) at += part.copy(this.scratch, at);
    return this.scratch.subarray(0, this.partsBytes);
  }

  /** Bytes held for an incomplete frame or size prefix. */
  get bufferedBytes(): number {
    return this.prefixFilled + this.partsBytes;
  }
}
