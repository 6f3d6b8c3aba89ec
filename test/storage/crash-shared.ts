import type { LogConfig } from "../../src/storage/index.js";

/** What crash.test.ts and its child crash-writer.ts agree on. */
export const CRASH_TOPIC_PARTITION = { topic: "crash", partition: 0 };

export const CRASH_CONFIG: Partial<LogConfig> = {
  internalSegmentBytes: 256 * 1024,
  indexIntervalBytes: 1024,
  retentionBytes: 2 * 1024 * 1024,
  retentionMs: -1,
  messageTimestampAfterMaxMs: 2 ** 63,
  fileDeleteDelayMs: 0,
};

/** The value written at `offset`, by every run. */
export function crashValue(offset: bigint): string {
  const pad = Number((offset * 2654435761n) % 301n);
  return `o${offset}:${"x".repeat(pad)}`;
}
