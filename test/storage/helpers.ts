import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ManualClock } from "../../src/base/index.js";
import {
  BATCH_HEADER_BYTES,
  decodeRecordBatch,
  encodeRecordBatch,
  type RecordInput,
  recompressRecordBatch,
} from "../../src/protocol/index.js";
import {
  type Log,
  type LogConfig,
  LogManager,
  type LogManagerOptions,
  logConfig,
} from "../../src/storage/index.js";

/** Helpers shared by the storage tests (not a test file itself). */

export function tempDir(prefix = "brook-storage-"): { path: string; cleanup: () => void } {
  const path = mkdtempSync(join(tmpdir(), prefix));
  return { path, cleanup: () => rmSync(path, { recursive: true, force: true }) };
}

export interface BatchSpec {
  values?: string[];
  keys?: (string | null)[];
  timestamp?: bigint;
  timestamps?: bigint[];
  producerId?: bigint;
  compression?: number;
}

/** A producer batch (base offset 0) holding the given records. */
export function makeBatch(spec: BatchSpec = {}): Buffer {
  const values = spec.values ?? ["v"];
  const ts = spec.timestamp ?? 1_700_000_000_000n;
  const records: RecordInput[] = values.map((value, i) => ({
    key: spec.keys?.[i] == null ? null : Buffer.from(spec.keys[i] as string),
    value: value === "<null>" ? null : Buffer.from(value),
    timestamp: spec.timestamps?.[i] ?? ts + BigInt(i),
  }));
  return encodeRecordBatch({
    records,
    ...(spec.producerId === undefined
      ? {}
      : { producerId: spec.producerId, producerEpoch: 0, baseSequence: 0 }),
    ...(spec.compression === undefined ? {} : { compression: spec.compression }),
  });
}

/**
 * A producer batch whose header says `count` records (lastOffsetDelta count - 1) and whose records
 * are `payload`, stored with `codec` (compressed from it), CRC valid: for batches whose records
 * disagree with their header.
 */
export function batchWithPayload(
  payload: Buffer,
  count: number,
  codec: number,
  baseTimestamp: bigint,
): Buffer {
  const template = encodeRecordBatch({
    records: Array.from({ length: count }, () => ({ value: null })),
    baseTimestamp,
  });
  return recompressRecordBatch(template, 0, payload, codec);
}

/** The records area (uncompressed) of a batch of these values, each keyed by its value. */
export function recordsOf(values: string[], timestamp: bigint): Buffer {
  return makeBatch({ values, keys: values, timestamp }).subarray(BATCH_HEADER_BYTES);
}

/** Values of all records the buffers hold, in order, with their offsets. */
export function decodeAll(
  buffers: readonly Buffer[],
): { offset: bigint; key: string | null; value: string | null; timestamp: bigint }[] {
  const out: { offset: bigint; key: string | null; value: string | null; timestamp: bigint }[] = [];
  for (const buf of buffers) {
    for (let at = 0; at < buf.length; ) {
      const batch = decodeRecordBatch(buf, at);
      for (const r of batch.records) {
        out.push({
          offset: r.offset,
          key: r.key?.toString() ?? null,
          value: r.value?.toString() ?? null,
          timestamp: r.timestamp,
        });
      }
      at += batch.batchLength + 12;
    }
  }
  return out;
}

/** Reads the whole log from its start (up to the log end), batch by batch. */
export function readAll(log: Log, maxBytes = 1 << 20): Buffer[] {
  const out: Buffer[] = [];
  let offset = log.logStartOffset;
  for (let rounds = 0; offset < log.logEndOffset && rounds < 1_000_000; rounds++) {
    const result = log.read({ fetchOffset: offset, maxBytes });
    if (result.records.length === 0) break;
    out.push(...result.records);
    offset = result.nextOffset;
  }
  return out;
}

export const CLOCK_START_MS = 1_700_000_000_000;

export async function openManager(
  dir: string,
  clock: ManualClock,
  config: Partial<LogConfig> = {},
  options: Partial<LogManagerOptions> = {},
): Promise<LogManager> {
  return LogManager.open({
    logDirs: [dir],
    defaults: logConfig({ messageTimestampAfterMaxMs: 2 ** 63, ...config }),
    clock,
    onBackgroundError: (e, context) => {
      throw new Error(`unexpected background error in ${context}: ${String(e)}`);
    },
    ...options,
  });
}

export function newClock(): ManualClock {
  return new ManualClock(CLOCK_START_MS);
}
