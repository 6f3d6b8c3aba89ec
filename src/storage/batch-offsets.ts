import { assert } from "../base/index.js";

/**
 * Batch base offsets and timestamps as numbers, for the append path: reading and writing the
 * int64 as two int32 halves allocates no BigInt. Offsets stay far below 2^53 (a partition would need 285 years at
 * a billion records per second to get there); the assertion keeps that honest.
 */
const TWO_32 = 4294967296;
export const OFFSET_NUMBER_MAX = Number.MAX_SAFE_INTEGER;

export function batchBaseOffsetNumber(b: Buffer, at: number): number {
  return b.readInt32BE(at) * TWO_32 + b.readUInt32BE(at + 4);
}

export function batchSetBaseOffsetNumber(b: Buffer, offset: number, at: number): void {
  assert(offset >= 0 && offset <= OFFSET_NUMBER_MAX, "offset out of the safe integer range");
  b.writeInt32BE(Math.floor(offset / TWO_32), at);
  b.writeUInt32BE(offset >>> 0, at + 4);
}

/** The batch's baseTimestamp as a number (as batchMaxTimestampNumber). */
export function batchBaseTimestampNumber(b: Buffer, at: number): number {
  return b.readInt32BE(at + 27) * TWO_32 + b.readUInt32BE(at + 31);
}

/** The batch's maxTimestamp as a number (ms timestamps stay far below 2^53; -1 is "none"). */
export function batchMaxTimestampNumber(b: Buffer, at: number): number {
  return b.readInt32BE(at + 35) * TWO_32 + b.readUInt32BE(at + 39);
}
