import { closeSync, openSync, readFileSync } from "node:fs";
import { writeFileAtomicSync } from "./durable-file.js";
import { StorageError } from "./storage-error.js";
import { type TopicPartition, topicPartitionKey } from "./topic-partition.js";

/**
 * Kafka's checkpoint text format, shared by the recovery-point, log-start-offset,
 * replication-offset (high watermark) and cleaner-offset checkpoints of a log dir and by a
 * partition's leader-epoch-checkpoint:
 *
 *   <version>\n<entry count>\n<entry>\n...
 *
 * with version 0 for all of them. Offset checkpoint entries are `<topic> <partition> <offset>`,
 * leader-epoch entries `<epoch> <startOffset>`. Files are replaced atomically (tmp, fsync, rename,
 * fsync dir). As Kafka's CheckpointFile, a checkpoint is created empty (zero bytes) when its owner
 * opens it and is absent, and an empty file reads as no entries. A file that does not parse raises
 * BRK_ERR_STORAGE_CORRUPT; callers decide whether that means "recover everything" (recovery point)
 * or is fatal.
 */
export const CHECKPOINT_VERSION = 0;
/** A checkpoint with more entries than this is refused as corrupt rather than read into memory. */
export const CHECKPOINT_ENTRIES_MAX = 10_000_000;

export function formatCheckpoint(lines: readonly string[], version = CHECKPOINT_VERSION): string {
  return `${version}\n${lines.length}\n${lines.map((l) => `${l}\n`).join("")}`;
}

/**
 * Creates `path` empty unless it exists, as Kafka does when it opens a checkpoint. Not fsynced: an
 * empty checkpoint says no more than a missing one.
 */
export function createCheckpointIfAbsent(path: string): void {
  try {
    closeSync(openSync(path, "wx"));
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== "EEXIST") throw e;
  }
}

/** The entry lines of a checkpoint, or null when the file does not exist. */
export function readCheckpointLines(path: string, version = CHECKPOINT_VERSION): string[] | null {
  const text = readTextIfExists(path);
  return text === null ? null : parseCheckpoint(text, path, version);
}

/** The file's text, or null when it does not exist (one syscall fewer than exists-then-read). */
export function readTextIfExists(path: string): string | null {
  try {
    return readFileSync(path, "utf8");
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT") return null;
    throw e;
  }
}

export function parseCheckpoint(text: string, source: string, version = CHECKPOINT_VERSION): string[] {
  if (text === "") return []; // created and never written (Kafka's reader answers the same)
  const lines = text.split("\n");
  if (lines[lines.length - 1] === "") lines.pop();
  const corrupt = (why: string) =>
    new StorageError("BRK_ERR_STORAGE_CORRUPT", `Malformed checkpoint file ${source}: ${why}`);
  if (lines.length < 2) throw corrupt("missing version or count line");
  if (lines[0]?.trim() !== String(version)) throw corrupt(`unrecognized version ${JSON.stringify(lines[0])}`);
  const countText = lines[1]?.trim() ?? "";
  if (!/^\d+$/.test(countText)) throw corrupt(`bad entry count ${JSON.stringify(lines[1])}`);
  const count = Number(countText);
  if (count > CHECKPOINT_ENTRIES_MAX) throw corrupt(`entry count ${count} above ${CHECKPOINT_ENTRIES_MAX}`);
  const entries = lines.slice(2);
  if (entries.length !== count) throw corrupt(`expected ${count} entries but found ${entries.length}`);
  return entries;
}

export function writeCheckpointLines(
  path: string,
  lines: readonly string[],
  version = CHECKPOINT_VERSION,
): void {
  writeFileAtomicSync(path, formatCheckpoint(lines, version));
}

const OFFSET_ENTRY = /^(\S+) (\d+) (-?\d+)$/;

export interface OffsetCheckpointEntry {
  tp: TopicPartition;
  offset: bigint;
}

/** Reads `<topic> <partition> <offset>` entries, keyed by `topicPartitionKey`; empty when missing. */
export function readOffsetCheckpoint(path: string): Map<string, OffsetCheckpointEntry> {
  const out = new Map<string, OffsetCheckpointEntry>();
  for (const line of readCheckpointLines(path) ?? []) {
    const m = OFFSET_ENTRY.exec(line);
    if (m === null) {
      throw new StorageError("BRK_ERR_STORAGE_CORRUPT", `Malformed line in ${path}: ${JSON.stringify(line)}`);
    }
    const tp = { topic: m[1] as string, partition: Number(m[2]) };
    out.set(topicPartitionKey(tp), { tp, offset: BigInt(m[3] as string) });
  }
  return out;
}

export function writeOffsetCheckpoint(path: string, entries: Iterable<OffsetCheckpointEntry>): void {
  const lines: string[] = [];
  for (const { tp, offset } of entries) lines.push(`${tp.topic} ${tp.partition} ${offset}`);
  writeCheckpointLines(path, lines);
}

export interface EpochEntry {
  epoch: number;
  startOffset: bigint;
}

const EPOCH_ENTRY = /^(\d+) (\d+)$/;

export function parseLeaderEpochCheckpoint(lines: readonly string[], source: string): EpochEntry[] {
  return lines.map((line) => {
    const m = EPOCH_ENTRY.exec(line);
    if (m === null) {
      throw new StorageError(
        "BRK_ERR_STORAGE_CORRUPT",
        `Malformed line in ${source}: ${JSON.stringify(line)}`,
      );
    }
    return { epoch: Number(m[1]), startOffset: BigInt(m[2] as string) };
  });
}

export function formatLeaderEpochEntries(entries: readonly EpochEntry[]): string[] {
  return entries.map((e) => `${e.epoch} ${e.startOffset}`);
}
