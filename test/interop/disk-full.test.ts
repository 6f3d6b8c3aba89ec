import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { BrokerProcess, kcat, kcatConsume, pythonClient, waitFor } from "./broker-process.js";

/**
 * A real disk that fills up. The broker process runs on a tmpfs of 32 MiB that this test mounts
 * (CI runs as root on a fresh Debian machine; a mount that fails fails the test, loudly), and a
 * librdkafka producer (confluent-kafka, acks=all) writes 48 MiB into it:
 *
 * - what the broker acknowledged is never lost: after the file system is grown
 *   (`mount -o remount,size=128m`) and the broker restarted, every acknowledged record is read
 *   back at the offset it was acknowledged at;
 * - what it could not write is not acknowledged: those produces fail (KAFKA_STORAGE_ERROR, which
 *   librdkafka retries until message.timeout.ms);
 * - the broker does not exit: it says in its log why it stopped taking writes, keeps answering
 *   metadata, stops cleanly on SIGTERM, and recovers on the next start.
 *
 * Twice: with appends written on the event loop (which cuts the tail of a write that failed
 * half-way itself) and through the writer thread (BROOK_SEGMENT_WRITER=always), whose failed write
 * leaves a torn tail that recovery truncates to the last valid batch.
 */

const TOPIC = "fill";
const RECORD_BYTES = 8 * 1024;
/** 48 MiB of values against a 32 MiB file system. */
const RECORD_COUNT = 6144;
const TMPFS_SIZE = "32m";
const TMPFS_SIZE_AFTER = "128m";

function run(command: string, args: string[]): { ok: boolean; output: string } {
  const result = spawnSync(command, args, { encoding: "utf8" });
  return {
    ok: result.status === 0,
    output: `${result.stdout ?? ""}${result.stderr ?? ""}${result.error?.message ?? ""}`.trim(),
  };
}

/** Runs `body` with a fresh tmpfs of TMPFS_SIZE mounted; unmounts and removes it afterwards. */
async function withTmpfs(body: (mountPoint: string) => Promise<void>): Promise<void> {
  const mountPoint = mkdtempSync(join(tmpdir(), "brook-disk-full-"));
  const mount = run("mount", ["-t", "tmpfs", "-o", `size=${TMPFS_SIZE}`, "tmpfs", mountPoint]);
  if (!mount.ok) {
    rmSync(mountPoint, { recursive: true, force: true });
    throw new Error(
      `this test mounts a ${TMPFS_SIZE} tmpfs to fill it and needs root for that (CI runs as root): ` +
        `mount -t tmpfs -o size=${TMPFS_SIZE} tmpfs ${mountPoint} failed (uid ${process.getuid?.()}): ${mount.output}`,
    );
  }
  try {
    await body(mountPoint);
  } finally {
    await broker?.dispose();
    broker = null;
    if (!run("umount", [mountPoint]).ok) run("umount", ["-l", mountPoint]);
    rmSync(mountPoint, { recursive: true, force: true });
  }
}

let broker: BrokerProcess | null = null;

after(async () => {
  await broker?.dispose();
});

interface DeliveryReport {
  index: number;
  partition: number;
  offset: number;
  error: string | null;
}

function value(i: number): string {
  const head = `record-${String(i).padStart(6, "0")}-`;
  return head + "x".repeat(RECORD_BYTES - head.length);
}

/**
 * Fills the disk under `mountPoint` through a broker started with `env`, then checks everything
 * the file says. `segmentWriter` "always": every append goes through the writer thread, whose
 * failed write leaves a torn tail for recovery to cut; by default (the broker not busy) appends
 * are written on the event loop, which cuts a torn tail itself.
 */
async function fillTheDisk(mountPoint: string, env: Record<string, string>): Promise<void> {
  broker = await BrokerProcess.start({
    dataDir: mountPoint,
    env,
    overrides: { "num.partitions": "1", "auto.create.topics.enable": "true" },
  });
  const answer = await pythonClient<{ reports: DeliveryReport[]; undelivered: number; errors: string[] }>(
    {
      op: "produce",
      config: {
        "bootstrap.servers": broker.bootstrap,
        acks: "all",
        "linger.ms": 5,
        "message.timeout.ms": 8000,
        "request.timeout.ms": 5000,
        // No retries: each refused batch reports the broker's own error (librdkafka would retry
        // KAFKA_STORAGE_ERROR, a retriable error, until message.timeout.ms).
        "message.send.max.retries": 0,
        "queue.buffering.max.kbytes": 65536,
      },
      messages: Array.from({ length: RECORD_COUNT }, (_, i) => ({ topic: TOPIC, value: value(i) })),
      timeoutS: 60,
    },
    90_000,
  );
  broker.assertAlive();
  const acked = answer.reports.filter((r) => r.error === null);
  const failed = answer.reports.filter((r) => r.error !== null);
  assert.equal(answer.reports.length, RECORD_COUNT, `every produce was answered (${answer.undelivered} not)`);
  assert.ok(acked.length > 1000, `the disk took records before it filled: ${acked.length} acknowledged`);
  assert.ok(failed.length > 0, "the disk filled: some produces must fail");
  const ackedBytes = acked.length * RECORD_BYTES;
  assert.ok(ackedBytes < 32 * 1024 * 1024, `${ackedBytes} bytes acknowledged on a 32 MiB disk`);
  const errors = new Set(failed.map((r) => r.error));
  assert.ok(
    [...errors].every((e) => /KAFKA_STORAGE_ERROR/.test(e ?? "")),
    `the produces that failed failed for the disk: ${[...errors].join("; ")}`,
  );
  console.log(
    `# ${acked.length} records acknowledged (${(ackedBytes / 1024 / 1024).toFixed(1)} MiB), ${failed.length} refused: ${[...errors].join("; ")}`,
  );

  // Still up: it says why, and metadata is served.
  await waitFor("the broker's log to say why", async () =>
    /log dir .* is offline: .*ENOSPC/.test(broker?.stderr ?? "") ? true : undefined,
  );
  assert.match(broker.stderr, /No log dir is online: node 1 accepts no more writes/);
  const listing = await kcat(["-b", broker.bootstrap, "-L", "-t", TOPIC, "-J"]);
  const meta = JSON.parse(listing) as { topics: { topic: string; partitions: { partition: number }[] }[] };
  assert.equal(meta.topics[0]?.topic, TOPIC);
  broker.assertAlive();

  // Space is freed; a restart recovers the log (truncating the torn tail) and serves it again.
  const grow = run("mount", ["-o", `remount,size=${TMPFS_SIZE_AFTER}`, mountPoint]);
  assert.ok(grow.ok, `remount to ${TMPFS_SIZE_AFTER} failed: ${grow.output}`);
  await broker.stop();
  await broker.restart();
  const recovery = /after an unclean shutdown: recovered \d+ segments, truncated (\d+) bytes/.exec(
    broker.stderr,
  );
  assert.ok(recovery !== null, `the restart recovered the logs: ${broker.stderr.slice(-2000)}`);
  if (env.BROOK_SEGMENT_WRITER === "always") {
    // The thread's failed write left part of a batch: recovery cut the log to the last whole one.
    assert.ok(Number(recovery[1]) > 0, "a torn tail was truncated");
  }
  const records = await kcatConsume(broker.bootstrap, TOPIC);
  const byOffset = new Map(records.map((r) => [r.offset, r.payload]));
  const lost = acked.filter((r) => byOffset.get(r.offset) !== value(r.index));
  assert.deepEqual(
    lost.slice(0, 5).map((r) => `record ${r.index} acknowledged at offset ${r.offset}`),
    [],
    `${lost.length} acknowledged records are missing or changed after the restart`,
  );
  assert.ok(records.length >= acked.length);
  await kcat(["-b", broker.bootstrap, "-P", "-t", TOPIC, "-X", "acks=all"], { input: "after-restart\n" });
  const again = await kcatConsume(broker.bootstrap, TOPIC);
  assert.equal(again.at(-1)?.payload, "after-restart");
  broker.assertAlive();
  console.log(
    broker.allStderr
      .split("\n")
      .filter((l) => /is offline|started node|stopped/.test(l))
      .map((l) => `# ${l.slice(0, 400)}`)
      .join("\n"),
  );
}

test("a full disk: acknowledged records survive, the rest fail, the broker stays up and recovers", () =>
  withTmpfs((mountPoint) => fillTheDisk(mountPoint, {})));

test("a full disk under the writer thread: a torn tail, cut by recovery, and nothing acknowledged lost", () =>
  withTmpfs((mountPoint) => fillTheDisk(mountPoint, { BROOK_SEGMENT_WRITER: "always" })));
