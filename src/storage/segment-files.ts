import { join } from "node:path";
import { assert } from "../base/index.js";
import type { TopicPartition } from "./topic-partition.js";

/**
 * Kafka's file names inside a log directory. A segment is named by its base offset, zero-padded to
 * 20 digits, with one file per suffix; files in transition carry a second suffix (`.cleaned`,
 * `.swap`, `.deleted`). A partition directory is `<topic>-<partition>`; a deleted one is renamed to
 * `<topic>-<partition>.<32 hex digits>-delete` before it is removed.
 */
export const LOG_FILE_SUFFIX = ".log";
export const INDEX_FILE_SUFFIX = ".index";
export const TIME_INDEX_FILE_SUFFIX = ".timeindex";
export const TXN_INDEX_FILE_SUFFIX = ".txnindex";
export const PRODUCER_SNAPSHOT_FILE_SUFFIX = ".snapshot";
export const DELETED_FILE_SUFFIX = ".deleted";
export const CLEANED_FILE_SUFFIX = ".cleaned";
export const SWAP_FILE_SUFFIX = ".swap";
export const TMP_FILE_SUFFIX = ".tmp";
export const DELETE_DIR_SUFFIX = "-delete";
export const FUTURE_DIR_SUFFIX = "-future";
export const STRAY_DIR_SUFFIX = "-stray";

export const RECOVERY_POINT_CHECKPOINT_FILE = "recovery-point-offset-checkpoint";
export const LOG_START_OFFSET_CHECKPOINT_FILE = "log-start-offset-checkpoint";
export const REPLICATION_OFFSET_CHECKPOINT_FILE = "replication-offset-checkpoint";
export const CLEANER_OFFSET_CHECKPOINT_FILE = "cleaner-offset-checkpoint";
export const CLEAN_SHUTDOWN_FILE = ".kafka_cleanshutdown";
export const LEADER_EPOCH_CHECKPOINT_FILE = "leader-epoch-checkpoint";
export const PARTITION_METADATA_FILE = "partition.metadata";

const OFFSET_DIGITS = 20;
const SEGMENT_FILE_PATTERN = /^(\d{20})(\.[a-z]+)(\.[a-z]+)?$/;
const PARTITION_DIR_PATTERN = /^(.+)-(\d+)$/;

export function offsetFileStem(offset: bigint): string {
  assert(offset >= 0n, () => `a file offset is never negative: ${offset}`);
  return offset.toString().padStart(OFFSET_DIGITS, "0");
}

export function segmentFilePath(dir: string, baseOffset: bigint, suffix: string, extra = ""): string {
  return join(dir, `${offsetFileStem(baseOffset)}${suffix}${extra}`);
}

export interface SegmentFileName {
  baseOffset: bigint;
  /** `.log`, `.index`, `.timeindex`, ... */
  suffix: string;
  /** `.deleted`, `.cleaned`, `.swap`, or "" */
  extra: string;
}

export function parseSegmentFileName(name: string): SegmentFileName | null {
  const m = SEGMENT_FILE_PATTERN.exec(name);
  if (m === null) return null;
  return { baseOffset: BigInt(m[1] as string), suffix: m[2] as string, extra: m[3] ?? "" };
}

export function partitionDirName(tp: TopicPartition): string {
  return `${tp.topic}-${tp.partition}`;
}

/** Parses `<topic>-<partition>`; null for anything else (deleted, future and stray dirs included). */
export function parsePartitionDirName(name: string): TopicPartition | null {
  if (
    name.endsWith(DELETE_DIR_SUFFIX) ||
    name.endsWith(FUTURE_DIR_SUFFIX) ||
    name.endsWith(STRAY_DIR_SUFFIX)
  ) {
    return null;
  }
  const m = PARTITION_DIR_PATTERN.exec(name);
  if (m === null) return null;
  const partition = Number(m[2]);
  if (!Number.isSafeInteger(partition) || partition > 0x7fffffff) return null;
  return { topic: m[1] as string, partition };
}

export function deletedPartitionDirName(tp: TopicPartition, uniqueHex: string): string {
  return `${partitionDirName(tp)}.${uniqueHex}${DELETE_DIR_SUFFIX}`;
}
