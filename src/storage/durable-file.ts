import { closeSync, fdatasyncSync, fsyncSync, openSync, renameSync, writeSync } from "node:fs";
import { dirname } from "node:path";
import { TMP_FILE_SUFFIX } from "./segment-files.js";

/**
 * Small durable-file helpers. A file replaced with `writeFileAtomicSync` is either the old or the
 * new content after a crash, never a mix: the content goes to `<path>.tmp`, is fsynced, renamed over
 * the target, and the directory is fsynced so that the rename itself survives.
 */
export function fsyncDirectorySync(dir: string): void {
  const fd = openSync(dir, "r");
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

export function writeFullySync(fd: number, data: Uint8Array, position: number): void {
  let done = 0;
  // A regular file write is short only on ENOSPC-like conditions, which then throw on the next call.
  for (let attempt = 0; done < data.length; attempt++) {
    if (attempt > 1000) throw new Error(`write made no progress after ${attempt} attempts`);
    done += writeSync(fd, data, done, data.length - done, position + done);
  }
}

/**
 * `sync: false` skips both fsyncs: the replacement is still all-or-nothing for readers, but a
 * machine crash may bring back the old content (for state that recovery rebuilds anyway).
 */
export function writeFileAtomicSync(
  path: string,
  content: string | Uint8Array,
  options: { sync?: boolean } = {},
): void {
  const sync = options.sync ?? true;
  const tmp = `${path}${TMP_FILE_SUFFIX}`;
  const bytes = typeof content === "string" ? Buffer.from(content, "utf8") : content;
  const fd = openSync(tmp, "w");
  try {
    writeFullySync(fd, bytes, 0);
    if (sync) fdatasyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, path);
  if (sync) fsyncDirectorySync(dirname(path));
}
