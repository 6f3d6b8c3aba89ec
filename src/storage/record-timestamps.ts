import {
  batchBaseOffset,
  batchMaxTimestamp,
  CompressionError,
  CorruptRecordError,
  iterateRecords,
} from "../protocol/index.js";

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
  try {
    for (const record of iterateRecords(batch, 0, { decompressedBytesMax: LOOKUP_DECOMPRESSED_BYTES_MAX })) {
      const candidate = { offset: record.offset, timestamp: record.timestamp };
      if (accept(candidate)) return candidate;
    }
  } catch (e) {
    if (!(e instanceof CorruptRecordError || e instanceof CompressionError)) throw e;
    // Appends are validated from batch headers, so a producer can store a batch (CRC and all)
    // whose records do not decode. That is not a failing disk: answer from the header (the batch's
    // first offset and largest timestamp) instead of taking the log offline.
    const fromHeader = { offset: batchBaseOffset(batch, 0), timestamp: batchMaxTimestamp(batch, 0) };
    return accept(fromHeader) ? fromHeader : null;
  }
  return null;
}
