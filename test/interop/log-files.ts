import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";

/**
 * Reads a partition's files as the broker left them on disk (Kafka's layout:
 * `<log.dir>/<topic>-<partition>/<baseOffset>.log`, record batches back to back, with its
 * `.index` and `.timeindex`), to check what a client sent is what was stored and that the files
 * are what Kafka's tools expect.
 */
export function partitionDir(dataDir: string, topic: string, partition: number): string {
  const dir = join(dataDir, `${topic}-${partition}`);
  if (!existsSync(dir)) throw new Error(`no log directory ${dir}`);
  return dir;
}

/** Compression codec of every batch, in offset order: compression passes through the broker untouched. */
export function batchCodecsOnDisk(dataDir: string, topic: string, partition: number): number[] {
  const dir = partitionDir(dataDir, topic, partition);
  const codecs: number[] = [];
  for (const name of readdirSync(dir)
    .filter((n) => n.endsWith(".log"))
    .sort()) {
    const bytes = readFileSync(join(dir, name));
    // baseOffset int64 | batchLength int32 | leaderEpoch int32 | magic int8 | crc int32 | attributes int16
    for (let at = 0; at + 23 <= bytes.length; ) {
      const batchLength = bytes.readInt32BE(at + 8);
      if (batchLength <= 0 || at + 12 + batchLength > bytes.length) break;
      codecs.push(bytes.readInt16BE(at + 21) & 0x07);
      at += 12 + batchLength;
    }
  }
  return codecs;
}

export interface SegmentIndexes {
  /** The segment's base offset, as its file names spell it (20 digits). */
  base: string;
  logBytes: number;
  indexBytes: number;
  timeIndexBytes: number;
  /** Entries before the first all-zero slot (a preallocated file's unused tail). */
  offsetEntries: number;
  timeEntries: number;
  /** The last time-index entry's timestamp, -1 when none. */
  lastTimestamp: number;
}

/**
 * The segments of a partition with their index files, checked as Kafka's DumpLogSegments
 * --verify-index-only would: each offset-index entry names the start of the batch holding its
 * offset, inside the log; time-index timestamps increase and their offsets lie in the segment.
 * Throws on the first entry that does not hold.
 */
export function segmentIndexes(dataDir: string, topic: string, partition: number): SegmentIndexes[] {
  const dir = partitionDir(dataDir, topic, partition);
  const bases = readdirSync(dir)
    .filter((n) => /^\d{20}\.log$/.test(n))
    .map((n) => n.slice(0, 20))
    .sort();
  return bases.map((base) => {
    const log = readFileSync(join(dir, `${base}.log`));
    const index = readFileSync(join(dir, `${base}.index`));
    const time = readFileSync(join(dir, `${base}.timeindex`));
    const baseOffset = BigInt(base);
    let offsetEntries = 0;
    for (let at = 0; at + 8 <= index.length; at += 8, offsetEntries++) {
      const rel = index.readInt32BE(at);
      const position = index.readInt32BE(at + 4);
      if (rel === 0 && position === 0) break;
      if (position <= 0 || position + 61 > log.length)
        throw new Error(`${base}.index entry ${offsetEntries} points at ${position}, outside the log`);
      const last = log.readBigInt64BE(position) + BigInt(log.readInt32BE(position + 23));
      if (last !== baseOffset + BigInt(rel))
        throw new Error(
          `${base}.index entry ${offsetEntries}: offset ${baseOffset + BigInt(rel)}, batch at ${position} ends at ${last}`,
        );
    }
    let timeEntries = 0;
    let lastTimestamp = -1n;
    for (let at = 0; at + 12 <= time.length; at += 12, timeEntries++) {
      const timestamp = time.readBigInt64BE(at);
      const rel = time.readInt32BE(at + 8);
      if (timestamp === 0n && rel === 0) break;
      if (timestamp <= lastTimestamp)
        throw new Error(`${base}.timeindex entry ${timeEntries}: timestamps must increase`);
      lastTimestamp = timestamp;
    }
    return {
      base,
      logBytes: statSync(join(dir, `${base}.log`)).size,
      indexBytes: index.length,
      timeIndexBytes: time.length,
      offsetEntries,
      timeEntries,
      lastTimestamp: Number(lastTimestamp),
    };
  });
}
