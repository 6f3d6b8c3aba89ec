import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { closeSync, ftruncateSync, openSync, readdirSync, readFileSync, statSync, writeSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";
import { SeededRandom } from "../../src/base/index.js";
import { batchBaseOffset, batchLastOffsetDelta, batchSizeBytes } from "../../src/protocol/index.js";
import { LogManager, logConfig } from "../../src/storage/index.js";
import { CRASH_CONFIG, CRASH_TOPIC_PARTITION, crashValue } from "./crash-shared.js";
import { decodeAll, tempDir } from "./helpers.js";

/**
 * Kills a writing process with SIGKILL at random moments, many times. After each kill: sometimes
 * also "loses" unfsynced bytes of the last segment (cut or garbled, as a power loss would), then
 * recovers the log and checks that it is a prefix of what was written, that everything reported
 * fsynced is there, that DeleteRecords held, and that every batch read passes its CRC.
 * BROOK_STORAGE_CRASH_ITERATIONS sets the number of kills; BROOK_STORAGE_CRASH_SEED replays a run.
 */
const isTypeScript = import.meta.url.endsWith(".ts");
// A child started through tsx takes ~4 s to load on this machine, a compiled one ~1.3 s.
const ITERATIONS = Number(process.env.BROOK_STORAGE_CRASH_ITERATIONS ?? (isTypeScript ? 5 : 10));
const SEED = Number(process.env.BROOK_STORAGE_CRASH_SEED ?? Date.now() % 1_000_000);
const CHILD_TIMEOUT_MS = 30_000;

const childScript = fileURLToPath(new URL(`./crash-writer.${isTypeScript ? "ts" : "js"}`, import.meta.url));

interface ChildRun {
  fsynced: bigint;
  logStart: bigint;
  readyEnd: bigint;
}

function runChild(
  dir: string,
  seed: number,
  killAfterMs: number,
  writer: "always" | "never",
): Promise<ChildRun> {
  const args = [...(isTypeScript ? ["--import", "tsx"] : []), childScript, dir, String(seed)];
  const env = { ...process.env, BROOK_SEGMENT_WRITER: writer };
  const child = spawn(process.execPath, args, { stdio: ["ignore", "pipe", "pipe"], env });
  const run: ChildRun = { fsynced: -1n, logStart: -1n, readyEnd: -1n };
  let stderr = "";
  let pending = "";
  return new Promise((resolve, reject) => {
    const guard = setTimeout(() => child.kill("SIGKILL"), CHILD_TIMEOUT_MS);
    child.stderr.on("data", (d: Buffer) => {
      stderr += d.toString();
    });
    child.stdout.on("data", (d: Buffer) => {
      pending += d.toString();
      const lines = pending.split("\n");
      pending = lines.pop() ?? "";
      for (const line of lines) {
        const [kind, value] = line.split(" ");
        const offset = BigInt(value ?? "0");
        if (kind === "READY") {
          run.readyEnd = offset;
          setTimeout(() => child.kill("SIGKILL"), killAfterMs);
        } else if (kind === "F" && offset > run.fsynced) run.fsynced = offset;
        else if (kind === "L" && offset > run.logStart) run.logStart = offset;
      }
    });
    child.on("exit", (code, signal) => {
      clearTimeout(guard);
      if (signal === "SIGKILL" && run.readyEnd >= 0n) resolve(run);
      else reject(new Error(`crash writer exited with ${code ?? signal}: ${stderr}`));
    });
  });
}

/**
 * `at`, or a later position, such that three bytes written there touch no header field that the
 * batch CRC leaves out (base offset, bytes 0-7; partition leader epoch, bytes 12-15: the broker
 * rewrites them in place). Garbage there makes a batch that passes every check Kafka's format has
 * (a base offset moved forward looks like a compaction gap), so Kafka's recovery, and Brook's, keep
 * it: the model of a power loss here is lost, cut or garbled bytes that the format can detect.
 */
function coveredByCrc(bytes: Buffer, firstBatch: number, at: number): number {
  const unprotected = (start: number): [number, number][] => [
    [start, start + 8],
    [start + 12, start + 16],
  ];
  for (let start = firstBatch; start + 12 <= bytes.length; start += batchSizeBytes(bytes, start)) {
    const next = start + batchSizeBytes(bytes, start);
    if (at + 3 <= start) break;
    for (const [lo, hi] of [...unprotected(start), ...unprotected(next)]) {
      // The CRC field itself (16-19) is protected: garbling it fails the check.
      if (at < hi && at + 3 > lo) return lo === start || lo === next ? lo + 16 : lo + 4;
    }
    if (next > at + 3) break;
  }
  return at;
}

/** Cuts or garbles the last segment somewhere after the fsynced data, as a power loss may. */
function loseUnsyncedTail(partitionDir: string, fsynced: bigint, random: SeededRandom): void {
  const logs = readdirSync(partitionDir)
    .filter((n) => n.endsWith(".log"))
    .sort();
  const path = join(partitionDir, logs[logs.length - 1] as string);
  const bytes = readFileSync(path);
  let from = 0;
  while (from + 61 <= bytes.length) {
    const size = batchSizeBytes(bytes, from);
    const last = batchBaseOffset(bytes, from) + BigInt(batchLastOffsetDelta(bytes, from));
    if (last >= fsynced || from + size > bytes.length) break;
    from += size;
  }
  if (from >= bytes.length) return;
  const at = coveredByCrc(bytes, from, random.int(from, bytes.length - 1));
  const fd = openSync(path, "r+");
  try {
    if (random.next() < 0.5) ftruncateSync(fd, at);
    else writeSync(fd, Buffer.from([random.int(0, 255), random.int(0, 255), random.int(0, 255)]), 0, 3, at);
  } finally {
    closeSync(fd);
  }
}

async function verify(
  dir: string,
  run: ChildRun,
  everFsynced: bigint,
  everLogStart: bigint,
): Promise<number> {
  const manager = await LogManager.open({
    logDirs: [dir],
    defaults: logConfig(CRASH_CONFIG),
    cleanerEnabled: false,
  });
  try {
    const log = manager.getOrCreateLog(CRASH_TOPIC_PARTITION);
    assert.ok(
      log.logEndOffset >= everFsynced,
      `log end ${log.logEndOffset} lost fsynced data below ${everFsynced}`,
    );
    assert.ok(
      log.logStartOffset >= everLogStart,
      `log start ${log.logStartOffset} went back below ${everLogStart}`,
    );
    let offset = log.logStartOffset;
    let expected = -1n;
    while (offset < log.logEndOffset) {
      const read = log.read({ fetchOffset: offset, maxBytes: 256 * 1024 });
      assert.ok(read.records.length > 0, `nothing read at ${offset} below log end ${log.logEndOffset}`);
      for (const record of decodeAll(read.records)) {
        if (expected >= 0n) assert.equal(record.offset, expected, "offsets are contiguous");
        expected = record.offset + 1n;
        assert.equal(record.value, crashValue(record.offset), `record at ${record.offset} was never written`);
      }
      offset = read.nextOffset;
    }
    assert.ok(run.readyEnd >= 0n);
    return manager.startupStats.truncatedBytes;
  } finally {
    if (Math.random() < 0.5) await manager.shutdown();
    else manager.closeUncleanly();
  }
}

test(`SIGKILL at random moments never loses fsynced data nor serves a corrupt batch (${ITERATIONS} kills, seed ${SEED})`, async (t) => {
  const dir = tempDir("brook-crash-");
  const random = new SeededRandom(SEED);
  let everFsynced = 0n;
  let everLogStart = 0n;
  let truncatedBytes = 0;
  try {
    for (let i = 0; i < ITERATIONS; i++) {
      // Every other child appends through the segment writer thread, the others on their own thread.
      const writer = i % 2 === 0 ? "always" : "never";
      const run = await runChild(dir.path, random.int(1, 1 << 30), random.int(20, 300), writer);
      if (run.fsynced > everFsynced) everFsynced = run.fsynced;
      if (run.logStart > everLogStart) everLogStart = run.logStart;
      const partitionDir = join(dir.path, "crash-0");
      if (random.next() < 0.5 && statSync(partitionDir).isDirectory())
        loseUnsyncedTail(partitionDir, everFsynced, random);
      truncatedBytes += await verify(dir.path, run, everFsynced, everLogStart);
    }
    t.diagnostic(`recovery cut ${truncatedBytes} torn or garbled bytes; ${everFsynced} records fsynced`);
  } finally {
    dir.cleanup();
  }
});
