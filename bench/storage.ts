/**
 * Storage engine throughput against the file system it sits on, measured in the same run:
 *  1. append of 16 KiB batches (Log.appendAsLeader: validate, CRC32C, stamp offsets, index, queue
 *     the bytes to the writer thread; timed until the last is in the file) vs a plain writeSync of
 *     the same buffers to a new file; and the same appends vs plain writes of 1 MiB;
 *  2. the same with an fsync per batch (flush.messages=1) vs writeSync + fdatasync per buffer;
 *  3. sequential read of the whole log with 1 MiB fetches from a freshly opened log (page cache
 *     hot, tail cache empty) vs readSync of 1 MiB chunks of a plain file with the same bytes;
 *     and reads of just-appended data served by the tail cache vs the same reads from the files;
 *  4. recovery of a 1 GiB log after a crash (no checkpoint, no clean-shutdown marker: every batch
 *     is re-read and CRC-checked, indexes rebuilt) vs a plain read of the same file with a
 *     CRC32C of each batch.
 * Cases run interleaved (plain, log, plain, log, ..., plain); each log trial is divided by the mean
 * of the plain trials on either side; medians with min-max. Files go to a fresh temp dir (or
 * argv[7]) that is removed at the end.
 *
 * The batches cycle through a pool of distinct buffers, `poolMiB` in all: 8 MiB by default, which
 * stays in the CPU's last-level cache as a produce request just read from a socket does; a pool
 * larger than the cache (64) makes both sides read cold memory, and the log's CRC pass with them.
 * Before each append the batch's base offset is reset to 0, as a producer sends it (both sides).
 * usage: npx tsx bench/storage.ts [trials=5] [appendMiB=256] [fsyncMiB=16] [recoveryMiB=1024] [poolMiB=8] [dir]
 */
import {
  closeSync,
  fdatasyncSync,
  mkdtempSync,
  openSync,
  readSync,
  rmSync,
  statSync,
  unlinkSync,
  writeSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  batchCrcIsValid,
  batchSizeBytes,
  encodeRecordBatch,
  type RecordInput,
} from "../src/protocol/index.js";
import { LogManager, logConfig } from "../src/storage/index.js";

const trials = Number(process.argv[2] ?? 5);
const appendMiB = Number(process.argv[3] ?? 256);
const fsyncMiB = Number(process.argv[4] ?? 16);
const recoveryMiB = Number(process.argv[5] ?? 1024);
const poolMiB = Number(process.argv[6] ?? 8);
const root = process.argv[7] ?? mkdtempSync(join(tmpdir(), "brook-bench-storage-"));
const BATCH_TARGET_BYTES = 16 * 1024;
const POOL_BYTES = poolMiB * 1024 * 1024;
const FETCH_BYTES = 1024 * 1024;
const tp = { topic: "bench", partition: 0 };

/** Distinct copies of one ~16 KiB batch of 100-byte JSON-ish records, so the data is not cache-hot. */
function batchPool(): Buffer[] {
  const records: RecordInput[] = [];
  let batch: Buffer = Buffer.alloc(0);
  for (let i = 0; batch.length < BATCH_TARGET_BYTES - 160; i++) {
    const value = JSON.stringify({ sym: `S${i % 64}`, px: 100 + i / 100, qty: i * 7, seq: i }).padEnd(
      100,
      " ",
    );
    records.push({ key: null, value: Buffer.from(value), timestamp: BigInt(Date.now()) });
    batch = encodeRecordBatch({ records });
  }
  return Array.from({ length: Math.floor(POOL_BYTES / batch.length) }, () => Buffer.from(batch));
}

interface Sample {
  mbps: number;
  cpuMs: number;
}

/** A producer sends base offset 0; the log rewrote it in place at the previous use of this buffer. */
function fresh(buf: Buffer): Buffer {
  buf.writeInt32BE(0, 0);
  buf.writeInt32BE(0, 4);
  return buf;
}

function measure(bytes: number, action: () => void): Sample {
  const cpu = process.cpuUsage();
  const start = process.hrtime.bigint();
  action();
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  const used = process.cpuUsage(cpu);
  return { mbps: bytes / 1e6 / seconds, cpuMs: (used.user + used.system) / 1000 };
}

/** As `measure`, for an action that ends when a promise settles (CPU includes the writer thread). */
async function measureAsync(bytes: number, action: () => Promise<void>): Promise<Sample> {
  const cpu = process.cpuUsage();
  const start = process.hrtime.bigint();
  await action();
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  const used = process.cpuUsage(cpu);
  return { mbps: bytes / 1e6 / seconds, cpuMs: (used.user + used.system) / 1000 };
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const n = s.length;
  return n % 2 ? (s[(n - 1) / 2] as number) : ((s[n / 2 - 1] as number) + (s[n / 2] as number)) / 2;
}

const fmt = (x: number) => (x >= 100 ? x.toFixed(0) : x >= 10 ? x.toFixed(1) : x.toFixed(2));
const range = (xs: number[]) => `${fmt(median(xs))} (${fmt(Math.min(...xs))}-${fmt(Math.max(...xs))})`;

/** plain, log, plain, log, ..., plain: ratio_i = log_i / mean(plain_i, plain_i+1). */
type Case = () => Promise<Sample> | Sample;

async function interleaved(title: string, plain: Case, log: Case): Promise<void> {
  await plain();
  await log(); // warm-up pair
  const plains: Sample[] = [await plain()];
  const logs: Sample[] = [];
  for (let i = 0; i < trials; i++) {
    logs.push(await log());
    plains.push(await plain());
  }
  const ratios = logs.map(
    (l, i) => l.mbps / (((plains[i] as Sample).mbps + (plains[i + 1] as Sample).mbps) / 2),
  );
  console.log(`\n## ${title}`);
  console.log(
    `plain file   ${range(plains.map((s) => s.mbps))} MB/s   cpu ${range(plains.map((s) => s.cpuMs))} ms/trial`,
  );
  console.log(
    `brook log    ${range(logs.map((s) => s.mbps))} MB/s   cpu ${range(logs.map((s) => s.cpuMs))} ms/trial`,
  );
  console.log(`log / plain  ${range(ratios)}   (n=${trials} pairs)`);
}

async function openLog(
  dir: string,
  overrides: Parameters<typeof logConfig>[0] = {},
  tailCacheBytesMax?: number,
) {
  const manager = await LogManager.open({
    logDirs: [dir],
    defaults: logConfig(overrides),
    cleanerEnabled: false,
    ...(tailCacheBytesMax === undefined ? {} : { limits: { tailCacheBytesMax } }),
  });
  return { manager, log: manager.getOrCreateLog(tp) };
}

function plainWrite(pool: Buffer[], totalBytes: number, sync: boolean): Sample {
  const path = join(root, "plain.dat");
  const fd = openSync(path, "w");
  let position = 0;
  const sample = measure(totalBytes, () => {
    for (let i = 0; position < totalBytes; i++) {
      const buf = fresh(pool[i % pool.length] as Buffer);
      writeSync(fd, buf, 0, buf.length, position);
      if (sync) fdatasyncSync(fd);
      position += buf.length;
    }
  });
  closeSync(fd);
  unlinkSync(path);
  return sample;
}

/** The pool's bytes in ~1 MiB buffers of whole batches, written with one writeSync each. */
function plainWriteChunks(pool: Buffer[], totalBytes: number): Sample {
  const perChunk = Math.max(1, Math.floor((1024 * 1024) / (pool[0] as Buffer).length));
  const chunks: Buffer[] = [];
  for (let i = 0; i + perChunk <= pool.length; i += perChunk)
    chunks.push(Buffer.concat(pool.slice(i, i + perChunk)));
  const path = join(root, "plain-chunks.dat");
  const fd = openSync(path, "w");
  let position = 0;
  const sample = measure(totalBytes, () => {
    for (let i = 0; position < totalBytes; i++) {
      const chunk = chunks[i % chunks.length] as Buffer;
      writeSync(fd, chunk, 0, chunk.length, position);
      position += chunk.length;
    }
  });
  closeSync(fd);
  unlinkSync(path);
  return sample;
}

async function logWrite(pool: Buffer[], totalBytes: number, sync: boolean): Promise<Sample> {
  const dir = join(root, "log-append");
  const { manager, log } = await openLog(dir, sync ? { flushMessages: 1 } : {});
  let written = 0;
  // Appends return once queued to the log's writer thread: the time counts until the last one is
  // in the file, as a producer's acknowledgement waits for it.
  const sample = await measureAsync(totalBytes, async () => {
    for (let i = 0; written < totalBytes; i++) {
      const buf = fresh(pool[i % pool.length] as Buffer);
      log.appendAsLeader(buf, 0);
      written += buf.length;
    }
    await log.whenWritten();
  });
  manager.closeUncleanly();
  rmSync(dir, { recursive: true, force: true });
  return sample;
}

async function buildLog(dir: string, pool: Buffer[], totalBytes: number): Promise<void> {
  const { manager, log } = await openLog(dir);
  for (let i = 0, written = 0; written < totalBytes; i++) {
    const buf = fresh(pool[i % pool.length] as Buffer);
    log.appendAsLeader(buf, 0);
    written += buf.length;
  }
  await manager.shutdown();
}

function plainFileOf(dir: string): string {
  return join(dir, "bench-0", "00000000000000000000.log");
}

function plainRead(path: string, crc: boolean): Sample {
  const size = statSync(path).size;
  const fd = openSync(path, "r");
  const sample = measure(size, () => {
    for (let position = 0; position < size; ) {
      const chunk = Buffer.allocUnsafe(Math.min(FETCH_BYTES, size - position));
      const n = readSync(fd, chunk, 0, chunk.length, position);
      let at = 0;
      // Whole batches only, as the log returns them; the next read starts at the cut.
      while (at + 61 <= n && at + batchSizeBytes(chunk, at) <= n) {
        if (crc && !batchCrcIsValid(chunk, at)) throw new Error("corrupt batch");
        at += batchSizeBytes(chunk, at);
      }
      position += at > 0 ? at : n;
    }
  });
  closeSync(fd);
  return sample;
}

async function logRead(dir: string): Promise<Sample> {
  const { manager, log } = await openLog(dir);
  const size = log.sizeBytes;
  const sample = measure(size, () => {
    for (let offset = log.logStartOffset; offset < log.logEndOffset; ) {
      offset = log.read({ fetchOffset: offset, maxBytes: FETCH_BYTES }).nextOffset;
    }
  });
  await manager.shutdown();
  return sample;
}

/** Appends `bytes`, then fetches them back in 1 MiB reads, as a consumer at the tail does. */
async function tailRead(pool: Buffer[], bytes: number, tailCacheBytesMax: number): Promise<Sample> {
  const dir = join(root, `log-tail-${tailCacheBytesMax}`);
  const { manager, log } = await openLog(dir, {}, tailCacheBytesMax);
  // The consumer polls at the log end first: the log caches appends only while a reader is there.
  log.read({ fetchOffset: log.logEndOffset, maxBytes: FETCH_BYTES });
  for (let i = 0, written = 0; written < bytes; i++) {
    log.appendAsLeader(fresh(pool[i % pool.length] as Buffer), 0);
    written += (pool[i % pool.length] as Buffer).length;
  }
  const sample = measure(log.sizeBytes, () => {
    for (let offset = 0n; offset < log.logEndOffset; )
      offset = log.read({ fetchOffset: offset, maxBytes: FETCH_BYTES }).nextOffset;
  });
  manager.closeUncleanly();
  rmSync(dir, { recursive: true, force: true });
  return sample;
}

async function recovery(dir: string): Promise<Sample & { seconds: number }> {
  const size = statSync(plainFileOf(dir)).size;
  const start = process.hrtime.bigint();
  const cpu = process.cpuUsage();
  const manager = await LogManager.open({ logDirs: [dir], defaults: logConfig(), cleanerEnabled: false });
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  const used = process.cpuUsage(cpu);
  if (manager.startupStats.recoveredSegments === 0) throw new Error("recovery did not run");
  manager.closeUncleanly();
  // closeUncleanly writes no checkpoint and no marker: the next open recovers everything again.
  return { mbps: size / 1e6 / seconds, cpuMs: (used.user + used.system) / 1000, seconds };
}

async function main(): Promise<void> {
  console.log(`# brook storage bench: ${trials} trials, data in ${root}, node ${process.version}`);
  const pool = batchPool();
  const batchBytes = (pool[0] as Buffer).length;
  console.log(`batches of ${batchBytes} bytes, ${pool.length} distinct buffers (${poolMiB} MiB pool)`);
  const appendBytes = appendMiB * 1024 * 1024;
  await interleaved(
    `append ${appendMiB} MiB in ${batchBytes}-byte batches, no fsync (page cache)`,
    () => plainWrite(pool, appendBytes, false),
    () => logWrite(pool, appendBytes, false),
  );
  // The log's writer thread writes contiguous appends with one call: the same bytes written plainly
  // in 1 MiB calls show how much of the difference that is.
  await interleaved(
    `append ${appendMiB} MiB, against a plain file written in 1 MiB calls`,
    () => plainWriteChunks(pool, appendBytes),
    () => logWrite(pool, appendBytes, false),
  );
  const fsyncBytes = fsyncMiB * 1024 * 1024;
  await interleaved(
    `append ${fsyncMiB} MiB in ${batchBytes}-byte batches, fsync after each (flush.messages=1)`,
    () => plainWrite(pool, fsyncBytes, true),
    () => logWrite(pool, fsyncBytes, true),
  );
  const readDir = join(root, "log-read");
  await buildLog(readDir, pool, appendBytes);
  await interleaved(
    `sequential read of ${appendMiB} MiB with ${FETCH_BYTES >> 20} MiB fetches, page cache hot`,
    () => plainRead(plainFileOf(readDir), false),
    () => logRead(readDir),
  );
  rmSync(readDir, { recursive: true, force: true });
  const tailBytes = 24 * 1024 * 1024;
  await interleaved(
    `tail reads: append 24 MiB then fetch it back; "plain" = tail cache off (file reads), "log" = tail cache on`,
    () => tailRead(pool, tailBytes, 0),
    () => tailRead(pool, tailBytes, 32 * 1024 * 1024),
  );
  const recoveryDir = join(root, "log-recovery");
  await buildLog(recoveryDir, pool, recoveryMiB * 1024 * 1024);
  const { manager } = await openLog(recoveryDir);
  manager.closeUncleanly();
  rmSync(join(recoveryDir, "recovery-point-offset-checkpoint"), { force: true });
  await interleaved(
    `recovery of a ${recoveryMiB} MiB log after a crash (no checkpoint) vs plain read + CRC32C per batch`,
    () => plainRead(plainFileOf(recoveryDir), true),
    async () => {
      const r = await recovery(recoveryDir);
      console.log(`  recovery took ${r.seconds.toFixed(3)} s`);
      return r;
    },
  );
  rmSync(recoveryDir, { recursive: true, force: true });
}

try {
  await main();
} finally {
  if (process.argv[7] === undefined) rmSync(root, { recursive: true, force: true });
}
