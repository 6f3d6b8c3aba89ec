import { BATCH_MAGIC_PREFIX_BYTES, BATCH_OFFSET_MAGIC } from "./batch-header.js";
import { iterateBatches } from "./iterate-batches.js";
import { decodeLegacyEntry } from "./legacy-message-set.js";
import { type DecodeRecordBatchOptions, decodeRecordBatch, type RecordBatch } from "./record-batch.js";
import { CorruptRecordError } from "./record-errors.js";

/**
 * Reading records whatever their magic: what a consumer or a log dump sees in a Fetch response's
 * records or a segment file, which may mix magic 0/1 message sets with v2 batches.
 */

/** Decodes the batch or legacy entry at `at`, dispatching on its magic byte. */
export function decodeBatch(buf: Buffer, at = 0, options: DecodeRecordBatchOptions = {}): RecordBatch {
  if (buf.length - at < BATCH_MAGIC_PREFIX_BYTES) {
    throw new CorruptRecordError(`batch at ${at} is cut short`, "BRK_ERR_RECORD_TRUNCATED");
  }
  const magic = buf.readInt8(at + BATCH_OFFSET_MAGIC);
  return magic === 2 ? decodeRecordBatch(buf, at, options) : decodeLegacyEntry(buf, at, options);
}

/**
 * Decodes every complete batch in `buf`, of any magic. A batch cut off at the end (which Kafka may
 * send when a fetch's byte limit falls inside one) is left out, as consumers skip it.
 */
export function decodeRecordSet(buf: Buffer, options: DecodeRecordBatchOptions = {}): RecordBatch[] {
  const batches: RecordBatch[] = [];
  for (const location of iterateBatches(buf)) batches.push(decodeBatch(buf, location.at, options));
  return batches;
}
