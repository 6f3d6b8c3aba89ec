import {
  BATCH_MAGIC_PREFIX_BYTES,
  BATCH_OFFSET_LENGTH,
  BATCH_OFFSET_MAGIC,
  LOG_OVERHEAD_BYTES,
} from "./batch-header.js";
import { CorruptRecordError } from "./record-errors.js";

/** Where one batch (magic 2) or message set entry (magic 0/1) sits in a buffer of them. */
export interface BatchLocation {
  at: number;
  /** Total bytes, the 12-byte offset + length prefix included. */
  size: number;
  magic: number;
}

/** How a scan ended: complete batches stop at `end`; `partialBytes` of a cut-off batch follow. */
export interface BatchScanEnd {
  end: number;
  partialBytes: number;
}

/**
 * Bytes after the 12-byte prefix that the smallest entry of each magic takes: a magic-0 message
 * (crc, magic, attributes, key and value lengths), magic 1 (plus a timestamp), a v2 batch header.
 */
const ENTRY_BYTES_MIN: readonly number[] = [14, 22, 49];

/**
 * Walks concatenated batches of any magic (a Fetch response's records, a segment's bytes) by their
 * length prefixes, without decoding them. A trailing batch that is cut short, as Kafka may send at
 * the end of a fetch, ends the walk cleanly and is reported in the return value; a length or magic
 * that cannot be right raises CorruptRecordError. Each step advances by at least 26 bytes.
 */
export function* iterateBatches(buf: Buffer, at = 0): Generator<BatchLocation, BatchScanEnd, undefined> {
  while (at < buf.length) {
    if (buf.length - at < BATCH_MAGIC_PREFIX_BYTES) break;
    const length = buf.readInt32BE(at + BATCH_OFFSET_LENGTH);
    const magic = buf.readInt8(at + BATCH_OFFSET_MAGIC);
    const lengthMin = ENTRY_BYTES_MIN[magic];
    if (lengthMin === undefined) {
      throw new CorruptRecordError(`unknown magic ${magic} at ${at}`, "BRK_ERR_RECORD_MAGIC_UNSUPPORTED");
    }
    if (length < lengthMin) throw new CorruptRecordError(`invalid batch length ${length} at ${at}`);
    const size = length + LOG_OVERHEAD_BYTES;
    if (size > buf.length - at) break;
    yield { at, size, magic };
    at += size;
  }
  return { end: at, partialBytes: buf.length - at };
}
