import { basename } from "node:path";
import { LOG_FILE_SUFFIX } from "../../storage/index.js";
import { type BatchView, type RecordView, viewBatch, whileDecoding } from "./batch-view.js";
import { controlRecordText } from "./control-records.js";
import { DumpLogError, type DumpOutput } from "./dump-output.js";
import type { DumpReport } from "./dump-report.js";
import { BOOTSTRAP_SNAPSHOT_NAME, baseOffsetOf, snapshotIdOf, suffixOf } from "./file-names.js";
import type { RecordDecoder } from "./record-decoders.js";
import { absolutePath, SegmentFile } from "./segment-file.js";

export interface LogDumpSettings {
  /** Print keys and payloads (--print-data-log, or any decoder option). */
  printContents: boolean;
  /** One line per record too (--deep-iteration, or printContents). */
  deepIteration: boolean;
  skipRecordMetadata: boolean;
  decoder: RecordDecoder;
  /** --max-bytes: batches that end past it are not read; Int.MAX (the default) means all. */
  maxBytes: number;
}

export const INT_MAX = 2 ** 31 - 1;

/** Kafka's RecordIndent: records are the lines that start with it. */
const RECORD_INDENT = "|";

/**
 * A `.log` segment, or a KRaft snapshot (`.checkpoint`, the same batches), as DumpLogSegments
 * dumps it: a line per batch, a line per record with deep iteration, then the bytes at the end
 * that are not a whole batch.
 */
export async function dumpLogFile(
  path: string,
  settings: LogDumpSettings,
  out: DumpOutput,
  report: DumpReport,
): Promise<void> {
  if (suffixOf(path) === LOG_FILE_SUFFIX) {
    out.println(`Log starting offset: ${baseOffsetOf(path)}`);
  } else if (basename(path) === BOOTSTRAP_SNAPSHOT_NAME) {
    out.println("KRaft bootstrap snapshot");
  } else {
    const id = snapshotIdOf(path);
    out.println(`Snapshot end offset: ${id.endOffset}, epoch: ${id.epoch}`);
  }
  if (settings.maxBytes < 0)
    throw new DumpLogError(`Invalid size: ${settings.maxBytes} in read from ${path}`);
  const file = SegmentFile.open(path);
  try {
    let validBytes = 0;
    let lastOffset = -1n;
    for (const fileBatch of file.batches(0, settings.maxBytes)) {
      whileDecoding(fileBatch, () => {
        const batch = viewBatch(fileBatch);
        out.println(batchLine(batch, fileBatch.position));
        if (settings.deepIteration) {
          for (const view of batch.records()) {
            const offset = view.record.offset;
            if (lastOffset !== -1n && offset !== lastOffset + 1n) {
              report.nonConsecutiveOffsets(absolutePath(path), lastOffset, offset);
            }
            lastOffset = offset;
            out.println(recordLine(batch, view, settings));
          }
        }
      });
      validBytes += fileBatch.size;
      await out.pace();
    }
    const trailingBytes = file.size - validBytes;
    if (trailingBytes > 0 && settings.maxBytes === INT_MAX) {
      out.println(`Found ${trailingBytes} invalid bytes at the end of ${basename(path)}`);
    }
  } finally {
    file.close();
  }
}

function optionalLong(value: bigint | null): string {
  return value === null ? "OptionalLong.empty" : `OptionalLong[${value}]`;
}

/** Kafka's printBatchLevel. */
export function batchLine(b: BatchView, position: number): string {
  const head =
    b.magic >= 2
      ? `baseOffset: ${b.baseOffset} lastOffset: ${b.lastOffset} count: ${b.count} baseSequence: ${b.baseSequence} ` +
        `lastSequence: ${b.lastSequence} producerId: ${b.producerId} producerEpoch: ${b.producerEpoch} ` +
        `partitionLeaderEpoch: ${b.partitionLeaderEpoch} isTransactional: ${b.isTransactional} ` +
        `isControl: ${b.isControl} deleteHorizonMs: ${optionalLong(b.deleteHorizonMs)}`
      : `offset: ${b.lastOffset}`;
  return (
    `${head} position: ${position} ${b.timestampType}: ${b.maxTimestamp} size: ${b.sizeBytes} ` +
    `magic: ${b.magic} compresscodec: ${b.compression} crc: ${b.crc} isvalid: ${b.isValid}`
  );
}

/** One record's line, piece by piece as Kafka prints it (its spacing quirks included). */
function recordLine(batch: BatchView, view: RecordView, settings: LogDumpSettings): string {
  const { record } = view;
  let line = "";
  let prefix = `${RECORD_INDENT} `;
  if (!settings.skipRecordMetadata) {
    const keySize = record.key === null ? -1 : record.key.length;
    const valueSize = record.value === null ? -1 : record.value.length;
    line += `${prefix}offset: ${record.offset} ${batch.timestampType}: ${record.timestamp} keySize: ${keySize} valueSize: ${valueSize}`;
    prefix = " ";
    if (batch.magic >= 2) {
      line += ` sequence: ${view.sequence} headerKeys: [${record.headers.map((h) => h.key).join(",")}]`;
    }
    if (view.legacy !== null) line += ` isValid: ${view.legacy.isValid} crc: ${view.legacy.crc}}`;
    if (batch.isControl) line += controlRecordText(record);
  }
  if (settings.printContents && !batch.isControl) {
    const { key, payload } = settings.decoder.parse(record);
    if (key !== null) {
      line += `${prefix}key: ${key}`;
      prefix = " ";
    }
    if (payload !== null) line += ` payload: ${payload}`;
  }
  return line;
}
