import {
  INDEX_FILE_SUFFIX,
  LOG_FILE_SUFFIX,
  OFFSET_INDEX_ENTRY_BYTES,
  OffsetIndex,
  TIME_INDEX_ENTRY_BYTES,
  TimeIndex,
} from "../../storage/index.js";
import { lastOffsetOf, viewBatch, whileDecoding } from "./batch-view.js";
import { DumpLogError, type DumpOutput } from "./dump-output.js";
import type { DumpReport } from "./dump-report.js";
import { baseOffsetOf, segmentSibling } from "./file-names.js";
import { absolutePath, type FileBatch, readWholeFile, SegmentFile } from "./segment-file.js";

export interface IndexDumpSettings {
  /** --index-sanity-check: only the check a broker makes when it loads the segment. */
  sanityOnly: boolean;
  /** --verify-index-only: check every entry against the log, print none. */
  verifyOnly: boolean;
  /** --max-message-size: how far past an offset-index position the batch must end. */
  maxMessageSize: number;
}

/*
 * Index files are read slot by slot here rather than through OffsetIndex/TimeIndex.fromBytes:
 * those refuse a file that fails the load check, and showing such a file (a preallocated index
 * whose zero slots follow the entries, one that names the wrong batch) is what this tool is for.
 * The check itself is theirs (--index-sanity-check).
 */

interface OffsetSlot {
  offset: bigint;
  position: number;
}

interface TimeSlot {
  timestamp: bigint;
  offset: bigint;
}

/** Every whole 8-byte slot: relative offset int32, position int32. */
function offsetSlots(bytes: Buffer, base: bigint): OffsetSlot[] {
  const slots: OffsetSlot[] = [];
  for (let at = 0; at + OFFSET_INDEX_ENTRY_BYTES <= bytes.length; at += OFFSET_INDEX_ENTRY_BYTES) {
    slots.push({ offset: base + BigInt(bytes.readInt32BE(at)), position: bytes.readInt32BE(at + 4) });
  }
  return slots;
}

/** Every whole 12-byte slot: timestamp int64, relative offset int32. */
function timeSlots(bytes: Buffer, base: bigint): TimeSlot[] {
  const slots: TimeSlot[] = [];
  for (let at = 0; at + TIME_INDEX_ENTRY_BYTES <= bytes.length; at += TIME_INDEX_ENTRY_BYTES) {
    slots.push({ timestamp: bytes.readBigInt64BE(at), offset: base + BigInt(bytes.readInt32BE(at + 8)) });
  }
  return slots;
}

/** A slot past the first (whose offset is the base offset) is unused: Kafka stops there. */
const unused = (slot: { offset: bigint }, i: number, base: bigint) => i > 0 && slot.offset === base;

/** A `.index` file: each entry, checked against the batch it names in the segment's `.log`. */
export async function dumpOffsetIndex(
  path: string,
  settings: IndexDumpSettings,
  out: DumpOutput,
  report: DumpReport,
): Promise<void> {
  const base = baseOffsetOf(path);
  const log = SegmentFile.open(segmentSibling(path, LOG_FILE_SUFFIX));
  try {
    const bytes = readWholeFile(path);
    const slots = offsetSlots(bytes, base);
    if (slots.length === 0) {
      out.println(`${path} is empty.`);
      return;
    }
    if (settings.sanityOnly) {
      checkOffsetIndex(path, base, bytes, log.size);
      out.println(`${path} passed sanity check.`);
      return;
    }
    for (const [i, slot] of slots.entries()) {
      if (unused(slot, i, base)) return;
      const logOffset = batchLastOffsetAt(log, slot.position, settings.maxMessageSize);
      if (logOffset !== slot.offset) report.indexMismatch(absolutePath(path), slot.offset, logOffset);
      if (!settings.verifyOnly) out.println(`offset: ${slot.offset} position: ${slot.position}`);
      await out.pace();
    }
  } finally {
    log.close();
  }
}

/** The last offset of the batch that starts at `position` (Kafka slices the log there). */
function batchLastOffsetAt(log: SegmentFile, position: number, maxMessageSize: number): bigint {
  if (position < 0 || position > log.size) {
    throw new DumpLogError(`Invalid position: ${position} in read from ${log.path} (${log.size} bytes)`);
  }
  if (maxMessageSize < 0) throw new DumpLogError(`Invalid size: ${maxMessageSize} in read from ${log.path}`);
  const first = log.batches(position, position + maxMessageSize).next();
  if (first.done === true) {
    throw new DumpLogError(
      `No whole batch at position ${position} of ${log.path} within --max-message-size ${maxMessageSize}`,
    );
  }
  return whileDecoding(first.value, () => lastOffsetOf(first.value));
}

/** Why a running broker's index fails the check without being damaged. */
const UNUSED_SLOTS_NOTE =
  " (the active segment's index files keep unused slots until the broker closes them cleanly)";

/** Kafka's OffsetIndex.sanityCheck, then the check Brook makes when it loads a segment's index. */
function checkOffsetIndex(path: string, base: bigint, bytes: Buffer, logSize: number): void {
  const file = absolutePath(path);
  const last = offsetSlots(bytes, base).at(-1);
  if (last !== undefined && last.offset < base) {
    throw new DumpLogError(
      `Corrupt index found, index file ${file} has non-zero size but the last offset is ${last.offset} which is less than the base offset ${base}`,
    );
  }
  if (bytes.length % OFFSET_INDEX_ENTRY_BYTES !== 0) {
    throw new DumpLogError(
      `Index file ${file} is corrupt, found ${bytes.length} bytes which is neither positive nor a multiple of ${OFFSET_INDEX_ENTRY_BYTES}`,
    );
  }
  if (OffsetIndex.fromBytes(base, bytes.length, bytes, logSize) === null) {
    throw new DumpLogError(
      `Index file ${file} fails the check Brook makes when it loads a segment (offsets and positions increasing, positions inside the log, no unused slots): Brook would rebuild it from the log${UNUSED_SLOTS_NOTE}`,
    );
  }
}

/**
 * A `.timeindex` file: each entry, checked against the log: the batch found through the offset
 * index must end at the entry's offset and hold the entry's timestamp as its largest, and
 * timestamps must increase.
 */
export async function dumpTimeIndex(
  path: string,
  settings: IndexDumpSettings,
  out: DumpOutput,
  report: DumpReport,
): Promise<void> {
  const base = baseOffsetOf(path);
  const log = SegmentFile.open(segmentSibling(path, LOG_FILE_SUFFIX));
  try {
    const offsetIndex = offsetSlots(readWholeFile(segmentSibling(path, INDEX_FILE_SUFFIX)), base);
    const bytes = readWholeFile(path);
    if (settings.sanityOnly) {
      checkTimeIndex(path, base, bytes);
      out.println(`${path} passed sanity check.`);
      return;
    }
    const file = absolutePath(path);
    let previous = -1n;
    for (const [i, slot] of timeSlots(bytes, base).entries()) {
      if (unused(slot, i, base)) return;
      const found = batchReaching(log, lookup(offsetIndex, slot.offset, base), slot.offset);
      if (found === null) {
        report.indexedOffsetNotFound(file, slot.offset, -1n);
      } else if (found.lastOffset !== slot.offset) {
        report.indexedOffsetNotFound(file, slot.offset, found.lastOffset);
      } else {
        const maxTimestamp = whileDecoding(found.batch, () => largestTimestamp(found.batch));
        if (maxTimestamp !== slot.timestamp) report.timestampMismatch(file, slot.timestamp, maxTimestamp);
        if (previous >= slot.timestamp) report.outOfOrderTimestamp(file, slot.timestamp, previous);
      }
      if (!settings.verifyOnly) out.println(`timestamp: ${slot.timestamp} offset: ${slot.offset}`);
      previous = slot.timestamp;
      await out.pace();
    }
  } finally {
    log.close();
  }
}

/** Where to start looking for `offset`: the position of the largest index entry at or below it, else 0. */
function lookup(slots: readonly OffsetSlot[], offset: bigint, base: bigint): number {
  let position = 0;
  for (const [i, slot] of slots.entries()) {
    if (unused(slot, i, base) || slot.offset > offset) break;
    position = slot.position;
  }
  return position;
}

/** The first batch from `position` whose last offset reaches `offset`, or null. */
function batchReaching(
  log: SegmentFile,
  position: number,
  offset: bigint,
): { batch: FileBatch; lastOffset: bigint } | null {
  for (const batch of log.batches(position, log.size)) {
    const lastOffset = whileDecoding(batch, () => lastOffsetOf(batch));
    if (lastOffset >= offset) return { batch, lastOffset };
  }
  return null;
}

function largestTimestamp(batch: FileBatch): bigint {
  let max = -1n;
  for (const { record } of viewBatch(batch).records()) if (record.timestamp > max) max = record.timestamp;
  return max;
}

/** Kafka's TimeIndex.sanityCheck, then the check Brook makes when it loads a segment's time index. */
function checkTimeIndex(path: string, base: bigint, bytes: Buffer): void {
  const file = absolutePath(path);
  const slots = timeSlots(bytes, base);
  const first = slots[0];
  const last = slots.at(-1);
  if (first !== undefined && last !== undefined) {
    if (last.timestamp < first.timestamp) {
      throw new DumpLogError(
        `Corrupt time index found, time index file (${file}) has non-zero size but the last timestamp is ${last.timestamp} which is less than the first timestamp ${first.timestamp}`,
      );
    }
    if (last.offset < base) {
      throw new DumpLogError(
        `Corrupt time index found, time index file (${file}) has non-zero size but the last offset is ${last.offset} which is less than the first offset ${base}`,
      );
    }
  }
  if (bytes.length % TIME_INDEX_ENTRY_BYTES !== 0) {
    throw new DumpLogError(
      `Time index file ${file} is corrupt, found ${bytes.length} bytes which is neither positive nor a multiple of ${TIME_INDEX_ENTRY_BYTES}`,
    );
  }
  if (TimeIndex.fromBytes(base, bytes.length, bytes) === null) {
    throw new DumpLogError(
      `Time index file ${file} fails the check Brook makes when it loads a segment (timestamps increasing, offsets not decreasing, no unused slots): Brook would rebuild it from the log${UNUSED_SLOTS_NOTE}`,
    );
  }
}
