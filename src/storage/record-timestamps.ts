import { iterateRecords } from "../protocol/index.js";

/**
 * The first record of one stored batch that satisfies `accept`, with its offset and timestamp
 * (decoding, and decompressing, that one batch; ListOffsets by timestamp is rare).
 */
export interface RecordTimestamp {
  offset: bigint;
  timestamp: bigint;
}

/** Largest payload one timestamp lookup decompresses. */
const LOOKUP_DECOMPRESSED_BYTES_MAX = 256 * 1024 * 1024;

export function recordOffsetForTimestamp(
  batch: Buffer,
  accept: (record: RecordTimestamp) => boolean,
): RecordTimestamp | null {
  for (const record of iterateRecords(batch, 0, { decompressedBytesMax: LOOKUP_DECOMPRESSED_BYTES_MAX })) {
    const candidate = { offset: record.offset, timestamp: record.timestamp };
    if (accept(candidate)) return candidate;
  }
  return null;
}
