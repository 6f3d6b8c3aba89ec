import { rmSync } from "node:fs";
import { assert } from "../base/index.js";

/**
 * Removes files renamed for deletion (`.deleted` segments, `-delete` partition directories) once
 * `file.delete.delay.ms` has passed, as Kafka does, so that reads already holding a file finish
 * first. Files still queued at shutdown are removed by the next start-up instead.
 */
export class FileDeleter {
  readonly pendingMax: number;
  private pending: { path: string; dueMs: number }[] = [];

  constructor(pendingMax: number) {
    this.pendingMax = pendingMax;
  }

  get pendingCount(): number {
    return this.pending.length;
  }

  schedule(paths: readonly string[], dueMs: number): void {
    for (const path of paths) this.pending.push({ path, dueMs });
    // Past the limit, delete the oldest now rather than grow without bound.
    while (this.pending.length > this.pendingMax) this.remove(this.pending.shift() as { path: string });
  }

  /** Removes what is due; returns how many paths were removed. */
  runDue(nowMs: number): number {
    const due = this.pending.filter((p) => p.dueMs <= nowMs);
    if (due.length === 0) return 0;
    this.pending = this.pending.filter((p) => p.dueMs > nowMs);
    for (const p of due) this.remove(p);
    return due.length;
  }

  /** Removes everything queued (tests, and deleting a whole log dir). */
  runAll(): void {
    const all = this.pending;
    this.pending = [];
    for (const p of all) this.remove(p);
  }

  private remove(entry: { path: string }): void {
    assert(entry.path.length > 1, "refusing to delete a root path");
    rmSync(entry.path, { recursive: true, force: true });
  }
}
