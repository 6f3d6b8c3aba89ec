/**
 * A machine fact every produce benchmark depends on: what a write into the page cache costs when
 * the page is new to the guest, and when it is one the guest just freed.
 *
 * On this machine (a Firecracker VM with virtio-balloon free page reporting) a page the guest
 * frees goes back to the host within about 2 s (2 MiB blocks, page_reporting_order 9), and the
 * next write into it faults on the host: writing 1 GiB into a new file costs 1.0-1.8 s of CPU,
 * against 0.12-0.14 s when the pages were freed less than a second before (measured 2026-12-07:
 * rewrites after 0, 1, 3, 6 and 12 s of rest took 0.14, 0.12, 0.80, 1.00 and 1.29 s per GiB). A
 * broker writes every produced byte into new page-cache pages, so each produced GB pays that in
 * `write(2)` (`copy_folio_from_iter_atomic` in a perf profile of the broker); the mock keeps 5 MiB
 * per partition in reused heap memory and never does. Kafka's log would pay it alike. It cannot be
 * warmed away before a run (the pages go back to the host seconds later), so it is measured and
 * reported beside the results instead.
 */
import { closeSync, openSync, rmSync, writeSync } from "node:fs";
import { join } from "node:path";

export interface PageCacheWrites {
  bytes: number;
  /** CPU seconds per GiB written into a new file (pages the guest has not used lately). */
  newPagesSecondsPerGiB: number;
  /** The same again at once after deleting that file (the pages it just freed). */
  reusedPagesSecondsPerGiB: number;
}

const CHUNK_BYTES = 1 << 20;

function writeFile(path: string, bytes: number): number {
  const chunk = Buffer.alloc(CHUNK_BYTES, 0x5a);
  const fd = openSync(path, "w");
  const before = process.cpuUsage();
  try {
    for (let at = 0; at < bytes; at += CHUNK_BYTES) writeSync(fd, chunk, 0, CHUNK_BYTES, at);
  } finally {
    closeSync(fd);
  }
  const used = process.cpuUsage(before);
  return (used.user + used.system) / 1e6 / (bytes / 2 ** 30);
}

/** Writes `bytes` into a new file under `dir`, deletes it and at once writes it again. */
export function measurePageCacheWrites(dir: string, bytes = 2 ** 30): PageCacheWrites {
  const path = join(dir, "page-cache-writes.bin");
  try {
    const newPagesSecondsPerGiB = writeFile(path, bytes);
    rmSync(path, { force: true });
    const reusedPagesSecondsPerGiB = writeFile(path, bytes);
    return { bytes, newPagesSecondsPerGiB, reusedPagesSecondsPerGiB };
  } finally {
    rmSync(path, { force: true });
  }
}

export function describePageCacheWrites(w: PageCacheWrites): string {
  return `${w.newPagesSecondsPerGiB.toFixed(2)} s CPU per GiB into new pages, ${w.reusedPagesSecondsPerGiB.toFixed(2)} s into pages freed just before (a large gap: the host backs the guest's memory lazily, see bench/e2e/page-cache-writes.ts)`;
}
