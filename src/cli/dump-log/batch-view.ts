import {
  batchCrcIsValid,
  batchLastOffset,
  CorruptRecordError,
  compressionName,
  decodeLegacyEntry,
  decodeRecordBatchHeader,
  iterateRecords,
  ProtocolDecodeError,
  type Record,
  type RecordBatch,
  type RecordBatchHeader,
} from "../../protocol/index.js";
import { incrementSequence } from "../../storage/index.js";
import { DumpLogError } from "./dump-output.js";
import type { FileBatch } from "./segment-file.js";

/**
 * A batch of a segment as Kafka's FileChannelRecordBatch presents it to DumpLogSegments, whatever
 * its magic: the header fields, whether its checksum holds, and its records. Brook's decoders do
 * the reading (record-batch.ts, legacy-message-set.ts); this only fills in what Kafka derives.
 */
export interface BatchView {
  magic: number;
  baseOffset: bigint;
  lastOffset: bigint;
  count: number;
  baseSequence: number;
  lastSequence: number;
  producerId: bigint;
  producerEpoch: number;
  partitionLeaderEpoch: number;
  isTransactional: boolean;
  isControl: boolean;
  deleteHorizonMs: bigint | null;
  /** Kafka's TimestampType name: CreateTime, LogAppendTime, or NoTimestampType for magic 0. */
  timestampType: string;
  maxTimestamp: bigint;
  sizeBytes: number;
  compression: string;
  crc: number;
  isValid: boolean;
  /** The records (decompressed), one at a time. */
  records(): Iterable<RecordView>;
}

export interface RecordView {
  record: Record;
  /** Kafka's DefaultRecord.sequence (magic 2 only). */
  sequence: number;
  /** A magic 0/1 record that is its own message: its checksum and whether it holds. */
  legacy: { isValid: boolean; crc: number } | null;
}

/** An offline tool reads whatever a batch decompresses to; Kafka's DumpLogSegments sets no cap. */
const DECOMPRESSED_BYTES_MAX = 1024 * 1024 * 1024;

export function viewBatch(batch: FileBatch): BatchView {
  return batch.magic >= 2 ? viewV2(batch) : viewLegacy(batch);
}

/** Runs `read` on a batch; bytes that do not decode end the dump with the batch's place in its file. */
export function whileDecoding<T>(batch: FileBatch, read: () => T): T {
  try {
    return read();
  } catch (error) {
    if (!(error instanceof ProtocolDecodeError)) throw error;
    throw new DumpLogError(
      `The batch at position ${batch.position} of ${batch.file} does not decode: ${error.message}`,
      { cause: error },
    );
  }
}

/** The last offset of a batch, read from its header (a magic 0/1 entry is decoded for it). */
export function lastOffsetOf(batch: FileBatch): bigint {
  if (batch.magic >= 2) return batchLastOffset(batch.buf, batch.at);
  return viewLegacy(batch).lastOffset;
}

function viewV2({ buf, at, size }: FileBatch): BatchView {
  const h: RecordBatchHeader = decodeRecordBatchHeader(buf, at);
  const noSequence = h.baseSequence === -1;
  return {
    ...common(h, size),
    count: h.recordsCount,
    baseSequence: h.baseSequence,
    lastSequence: noSequence ? -1 : incrementSequenceOf(h.baseSequence, h.lastOffsetDelta),
    isValid: batchCrcIsValid(buf, at),
    *records() {
      // As Kafka's iterator, records are read whether or not the checksum holds (isvalid says).
      for (const record of iterateRecords(buf, at, {
        verifyCrc: false,
        decompressedBytesMax: DECOMPRESSED_BYTES_MAX,
      })) {
        const sequence = h.baseSequence >= 0 ? incrementSequenceOf(h.baseSequence, record.offsetDelta) : -1;
        yield { record, sequence, legacy: null };
      }
    },
  };
}

function viewLegacy({ buf, at, size }: FileBatch): BatchView {
  let entry: RecordBatch;
  let isValid = true;
  try {
    entry = decodeLegacyEntry(buf, at, { decompressedBytesMax: DECOMPRESSED_BYTES_MAX });
  } catch (error) {
    if (!(error instanceof CorruptRecordError) || error.code !== "BRK_ERR_RECORD_CRC_MISMATCH") throw error;
    isValid = false;
    entry = decodeLegacyEntry(buf, at, { verifyCrc: false, decompressedBytesMax: DECOMPRESSED_BYTES_MAX });
  }
  const wrapped = entry.compression !== 0;
  return {
    ...common(entry, size),
    timestampType: entry.magic === 0 ? "NoTimestampType" : entry.timestampType,
    count: entry.records.length,
    baseSequence: -1,
    lastSequence: -1,
    isValid,
    *records() {
      for (const record of entry.records) {
        // A plain message is its own record; the inner messages of a compressed wrapper are not
        // exposed with their checksums by Brook's decoder, so they print without them.
        yield { record, sequence: -1, legacy: wrapped ? null : { isValid, crc: entry.crc } };
      }
    },
  };
}

function common(h: RecordBatchHeader, sizeBytes: number) {
  return {
    magic: h.magic,
    baseOffset: h.baseOffset,
    lastOffset: h.baseOffset + BigInt(h.lastOffsetDelta),
    producerId: h.producerId,
    producerEpoch: h.producerEpoch,
    partitionLeaderEpoch: h.partitionLeaderEpoch,
    isTransactional: h.isTransactional,
    isControl: h.isControl,
    deleteHorizonMs: h.deleteHorizonMs,
    timestampType: h.timestampType,
    maxTimestamp: h.maxTimestamp,
    sizeBytes,
    compression: compressionName(h.compression),
    crc: h.crc,
  };
}

/** Kafka's DefaultRecordBatch.incrementSequence, for any int32 a corrupt header may hold. */
function incrementSequenceOf(base: number, delta: number): number {
  if (base >= 0 && delta >= 0) return incrementSequence(base, delta);
  return (base + delta) | 0;
}
