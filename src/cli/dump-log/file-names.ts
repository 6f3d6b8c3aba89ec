import { basename, dirname, join, resolve } from "node:path";
import { DumpLogError } from "./dump-output.js";

/** What decides how a file is dumped: the name from its last dot (`.log`, `.index`, ...), or "". */
export function suffixOf(path: string): string {
  const name = basename(path);
  const dot = name.lastIndexOf(".");
  return dot < 0 ? "" : name.slice(dot);
}

/** A segment file's base offset: its name up to the first dot, read as Java reads a long. */
export function baseOffsetOf(path: string): bigint {
  const stem = basename(path).split(".")[0] ?? "";
  const value = /^[+-]?\d+$/.test(stem) ? BigInt(stem) : null;
  if (value === null || value < -(2n ** 63n) || value >= 2n ** 63n) {
    throw new DumpLogError(`${path}: the name does not start with a segment's base offset ("${stem}")`);
  }
  return value;
}

/** Another file of the same segment: `<dir>/<stem><suffix>`, as Kafka finds an index's log. */
export function segmentSibling(path: string, suffix: string): string {
  const stem = basename(path).split(".")[0] ?? "";
  return join(dirname(resolve(path)), `${stem}${suffix}`);
}

/** KRaft's snapshots of the metadata log (Kafka's Snapshots.SUFFIX): record batches, as a segment. */
export const KRAFT_SNAPSHOT_SUFFIX = ".checkpoint";

/** A KRaft snapshot's name: `<end offset, 20 digits>-<epoch, 10 digits>.checkpoint`. */
const SNAPSHOT_NAME = /^(\d{20})-(\d{10})\.checkpoint$/;
export const BOOTSTRAP_SNAPSHOT_NAME = "bootstrap.checkpoint";

export function snapshotIdOf(path: string): { endOffset: bigint; epoch: number } {
  const m = SNAPSHOT_NAME.exec(basename(path));
  if (m === null)
    throw new DumpLogError(`${path} is not named as a KRaft snapshot (<offset>-<epoch>.checkpoint)`);
  return { endOffset: BigInt(m[1] as string), epoch: Number(m[2]) };
}
