import assert from "node:assert/strict";
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { availableParallelism } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import {
  ApiKey,
  type CreateTopicsResponse,
  ErrorCode,
  encodeRecordBatch,
  type ProduceResponse,
} from "../../src/protocol/index.js";
import { WireClient } from "../helpers/kafka-wire.js";
import { BrokerProcess, openFilesLimitOf, REPO_ROOT, withProcessLimits } from "./broker-process.js";

/**
 * A broker process under 2,000 idle client connections and a hostile client (four connections at
 * once, each sending a random frame about every 4 ms and reconnecting whenever the broker
 * closes it: random sizes, garbage, unknown API keys and versions, absurd and negative size
 * prefixes, truncated frames, valid headers over random bodies; connection-load-client.ts) keeps
 * serving a well-behaved producer: its p99 produce latency stays within twice the baseline, no
 * idle connection is dropped, and the broker never crashes.
 *
 * Latency is measured in rounds of sequential produces (acks=all, 1 KiB, 2 s each) and a phase's
 * p99 is the median of its five rounds' p99s, so that one hiccup of a shared machine does not
 * decide the test. The baseline and the loaded rounds alternate (the load process is stopped with
 * SIGSTOP for a baseline round and continued for a loaded one; ABBA order), so that a shared
 * machine's drift over the test's half minute weighs on both phases alike; and they start once the
 * load has run for 10 s, so that they compare steady states (the load's first seconds,
 * when 2,000 connections have just arrived and the broker's error paths are still cold, are
 * measured and printed, not asserted). The broker and the load process get an open-file limit of
 * 65,536 (`ulimit -n` in a shell that then starts them; CI runs as root, so the hard limit may be
 * raised too; else the hard limit, and the test fails loudly if that is too few).
 */

const IDLE_CONNECTIONS = 2000;
/** The hostile client's connections at once (each sends about 250 frames/s). */
const HOSTILE_CONNECTIONS = 4;
/** The least slack the p99 under load gets over the baseline's (see the assertion). */
const P99_SLACK_MS = 0.75;
/** Below this the load would prove little (a machine too busy to run the load process). */
const HOSTILE_FRAMES_PER_SECOND_MIN = 200;
const OPEN_FILES_MAX = 65_536;
const ROUNDS = 5;
/** A round produces for this long (thousands of produces: its p99 is not two or three outliers). */
const ROUND_MS = 2000;
/** Produces before the baseline, until the broker's and this client's code is compiled and warm. */
const WARMUP_MS = 3000;
/** The load's first seconds (measured and printed, not asserted): see the file's comment. */
const RAMP_MS = 10_000;
/** After the load is stopped or continued, before a round starts: the broker's queue drains. */
const SWITCH_SETTLE_MS = 200;
const RECORD_BYTES = 1024;
const SEED = 20_240_917;
const LOAD_CLIENT = join(REPO_ROOT, "dist", "test", "interop", "connection-load-client.js");

let broker: BrokerProcess;
let load: ChildProcess | null = null;

/** Descriptors the broker and the load process need beyond the idle connections. */
const OPEN_FILES_SPARE = 1000;

/** Fails loudly when a process could not get the open files the test needs. */
function assertOpenFiles(pid: number | undefined, what: string): void {
  const limit = pid === undefined ? null : openFilesLimitOf(pid);
  const needed = IDLE_CONNECTIONS + OPEN_FILES_SPARE;
  assert.ok(
    limit === null || limit >= needed,
    `${what} may open ${limit} files, fewer than the ${needed} this test needs: raise the hard limit (ulimit -Hn), e.g. run as root`,
  );
}

/**
 * Where the processes run. In production the load and the well-behaved client come from other
 * machines: only the broker's own work for the load should count, not the CPU the load generator
 * and a shared machine's other users take, nor the client's wait for a CPU the broker holds. So
 * the broker has CPU 0 to itself at niceness -10, this test (the well-behaved client) runs on CPU
 * 1 at niceness -10, and the load process on the other CPUs, or on CPU 1 at niceness 19 where
 * there are only two: a client woken by its response then runs at once, and the load gets the
 * CPU the client leaves (the client waits on the broker most of the time; the load needs a few
 * percent). Measured on a 2-vCPU machine that other jobs kept at a load average of 7 to 18:
 * without pinning, the rounds' p99 wandered between 0.4 and 5 ms in either phase; with it, between
 * 0.4 and 0.8 ms. With the client on the broker's CPU (as this test first had it) a hostile event
 * delayed the client's own handling of its response too, which a client on another machine never
 * sees. Needs root for the niceness (CI runs as root) and two CPUs for the pinning; without,
 * everything runs as usual.
 */
const MEASURED_NICENESS = -10;
const BROKER_CPU = "0";
const cpuCount = availableParallelism();
const CLIENT_CPU = "1";
const LOAD_CPUS = cpuCount >= 3 ? `2-${cpuCount - 1}` : cpuCount === 2 ? "1" : undefined;
const LOAD_NICENESS = cpuCount >= 3 ? 0 : 19;

/** Pins every thread of `pid` to `cpus` at `niceness`; whether both took. */
function place(pid: number, cpus: string, niceness: number): boolean {
  const pinned =
    spawnSync("taskset", ["-a", "-p", "-c", cpus, String(pid)], { stdio: "ignore" }).status === 0;
  const reniced =
    spawnSync("renice", ["-n", String(niceness), "-p", String(pid)], { stdio: "ignore" }).status === 0;
  return pinned && reniced;
}

let placed = false;

before(async () => {
  if (LOAD_CPUS !== undefined) placed = place(process.pid, CLIENT_CPU, MEASURED_NICENESS);
  broker = await BrokerProcess.start({
    ...(LOAD_CPUS === undefined ? {} : { cpus: BROKER_CPU, niceness: MEASURED_NICENESS }),
    openFilesMax: OPEN_FILES_MAX,
    overrides: { "num.partitions": "1", "socket.request.max.bytes": String(16 * 1024 * 1024) },
  });
  assertOpenFiles(broker.pid, "the broker");
});

after(async () => {
  load?.kill("SIGKILL");
  await broker?.dispose();
  if (placed) place(process.pid, `0-${cpuCount - 1}`, 0);
});

interface Percentiles {
  count: number;
  p50: number;
  p99: number;
  max: number;
}

function percentiles(samples: number[]): Percentiles {
  const sorted = [...samples].sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] as number;
  return { count: sorted.length, p50: at(0.5), p99: at(0.99), max: sorted[sorted.length - 1] as number };
}

const median = (values: number[]) =>
  [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] as number;

async function produceOnce(client: WireClient, value: Buffer): Promise<number> {
  const records = encodeRecordBatch({ records: [{ key: null, value }], baseTimestamp: BigInt(Date.now()) });
  const started = performance.now();
  const response = await client.request<ProduceResponse>(ApiKey.Produce, 9, {
    transactionalId: null,
    acks: -1,
    timeoutMs: 5000,
    topicData: [{ name: "latency", partitionData: [{ index: 0, records }] }],
  });
  const elapsed = performance.now() - started;
  assert.equal(response.responses[0]?.partitionResponses[0]?.errorCode, ErrorCode.NONE);
  return elapsed;
}

/** Sequential produces for `ms`: their percentiles. */
async function round(client: WireClient, value: Buffer, ms: number): Promise<Percentiles> {
  const samples: number[] = [];
  const end = performance.now() + ms;
  while (performance.now() < end) samples.push(await produceOnce(client, value));
  return percentiles(samples);
}

interface Phase {
  rounds: Percentiles[];
  p99: number;
  p50: number;
}

const phase = (rounds: Percentiles[]): Phase => ({
  rounds,
  p99: median(rounds.map((r) => r.p99)),
  p50: median(rounds.map((r) => r.p50)),
});

/**
 * Stops and continues the load process, counting the time it ran (for its frame rate). A stopped
 * process keeps its connections open and sends nothing: the broker then has 2,004 idle connections.
 */
class LoadSwitch {
  private readonly child: ChildProcess;
  private activeSinceMs: number | null = performance.now();
  private activeMs = 0;

  constructor(child: ChildProcess) {
    this.child = child;
  }

  async set(active: boolean): Promise<void> {
    if (active === (this.activeSinceMs !== null)) return;
    if (active) {
      this.child.kill("SIGCONT");
      this.activeSinceMs = performance.now();
    } else {
      this.child.kill("SIGSTOP");
      this.activeMs += performance.now() - (this.activeSinceMs as number);
      this.activeSinceMs = null;
    }
    await new Promise((resolve) => setTimeout(resolve, SWITCH_SETTLE_MS));
  }

  get activeSeconds(): number {
    const running = this.activeSinceMs === null ? 0 : performance.now() - this.activeSinceMs;
    return (this.activeMs + running) / 1000;
  }
}

/** Starts the load process; resolves once its idle connections are answered and the hostile ones run. */
function startLoad(): Promise<{ child: ChildProcess; stats: () => Promise<Record<string, number>> }> {
  const [command, args] = withProcessLimits(
    process.execPath,
    [
      LOAD_CLIENT,
      broker.host,
      String(broker.port),
      String(IDLE_CONNECTIONS),
      String(HOSTILE_CONNECTIONS),
      String(SEED),
    ],
    {
      openFilesMax: OPEN_FILES_MAX,
      ...(LOAD_CPUS === undefined ? {} : { cpus: LOAD_CPUS, niceness: LOAD_NICENESS }),
    },
  );
  const child = spawn(command, args, { stdio: ["ignore", "pipe", "pipe"] });
  let stdout = "";
  let stderr = "";
  child.stdout?.setEncoding("utf8");
  child.stderr?.setEncoding("utf8");
  child.stderr?.on("data", (c: string) => {
    stderr += c;
  });
  const lines: ((line: string) => void)[] = [];
  child.stdout?.on("data", (c: string) => {
    stdout += c;
    for (const l of lines) l(stdout);
  });
  const waitFor = (pattern: RegExp, timeoutMs: number) =>
    new Promise<RegExpExecArray>((resolve, reject) => {
      const timer = setTimeout(
        () =>
          reject(
            new Error(
              `load client: no ${pattern} in ${timeoutMs} ms; stdout:\n${stdout}\nstderr:\n${stderr}`,
            ),
          ),
        timeoutMs,
      );
      const check = (text: string) => {
        const match = pattern.exec(text);
        if (match === null) return;
        clearTimeout(timer);
        resolve(match);
      };
      lines.push(check);
      child.once("exit", (code) =>
        reject(new Error(`load client exited (${code}); stdout:\n${stdout}\nstderr:\n${stderr}`)),
      );
      check(stdout);
    });
  assertOpenFiles(child.pid, "the load process");
  return waitFor(/hostile-started/, 60_000).then(async () => {
    const ready = /idle-ready (\d+)/.exec(stdout);
    assert.equal(Number(ready?.[1]), IDLE_CONNECTIONS, "every idle connection was answered");
    return {
      child,
      stats: async () => {
        const stats = waitFor(/stats (\{.*\})/, 10_000);
        child.kill("SIGTERM");
        return JSON.parse((await stats)[1] as string) as Record<string, number>;
      },
    };
  });
}

test("2,000 idle connections and a hostile client: p99 produce latency within 2x the baseline (at least 0.75 ms of slack), no crash", async () => {
  const client = await WireClient.connect(broker.port, broker.host);
  try {
    const created = await client.request<CreateTopicsResponse>(ApiKey.CreateTopics, 7, {
      topics: [{ name: "latency", numPartitions: 1, replicationFactor: 1, assignments: [], configs: [] }],
      timeoutMs: 5000,
      validateOnly: false,
    });
    assert.equal(created.topics[0]?.errorCode, ErrorCode.NONE);
    const warm = Buffer.alloc(RECORD_BYTES, 0x62);
    for (const end = performance.now() + WARMUP_MS; performance.now() < end; )
      await produceOnce(client, warm);

    const value = Buffer.alloc(RECORD_BYTES, 0x61);
    const unloaded = await round(client, value, ROUND_MS);
    const started = await startLoad();
    load = started.child;
    const loadSwitch = new LoadSwitch(started.child);
    const ramp = await round(client, value, RAMP_MS);
    const baselineRounds: Percentiles[] = [];
    const loadedRounds: Percentiles[] = [];
    for (let r = 0; r < ROUNDS; r++) {
      for (const loaded of r % 2 === 0 ? [false, true] : [true, false]) {
        await loadSwitch.set(loaded);
        (loaded ? loadedRounds : baselineRounds).push(await round(client, value, ROUND_MS));
      }
    }
    await loadSwitch.set(true);
    const loadSeconds = loadSwitch.activeSeconds;
    const stats = await started.stats();
    load = null;
    broker.assertAlive();
    const baseline = phase(baselineRounds);
    const loaded = phase(loadedRounds);

    const fmt = (p: { p50: number; p99: number }) => `p50 ${p.p50.toFixed(3)} ms, p99 ${p.p99.toFixed(3)} ms`;
    const produces = (m: { rounds: Percentiles[] }) => m.rounds.reduce((n, r) => n + r.count, 0);
    const roundsP99 = (m: Phase) => m.rounds.map((r) => r.p99.toFixed(3)).join(", ");
    console.log(`# before the load (no other connections): ${fmt(unloaded)} over ${unloaded.count} produces`);
    console.log(
      `# the load's first ${RAMP_MS / 1000} s (not asserted): ${fmt(ramp)} over ${ramp.count} produces, max ${ramp.max.toFixed(1)} ms`,
    );
    console.log(
      `# baseline (the load stopped, its connections open): ${fmt(baseline)} over ${produces(baseline)} produces (rounds p99: ${roundsP99(baseline)})`,
    );
    console.log(
      `# under load: ${fmt(loaded)} over ${produces(loaded)} produces (rounds p99: ${roundsP99(loaded)}; max ${Math.max(...loaded.rounds.map((r) => r.max)).toFixed(1)} ms)`,
    );
    console.log(
      `# placement: ${placed ? `broker on CPU ${BROKER_CPU} and client on CPU ${CLIENT_CPU} at niceness ${MEASURED_NICENESS}, load on CPUs ${LOAD_CPUS} at niceness ${LOAD_NICENESS}` : "as usual (not root, or one CPU)"}`,
    );
    console.log(
      `# load: ${stats.idleConnected} idle connections, ${stats.hostileFrames} hostile frames on ${stats.hostileConnections} connections in ${loadSeconds.toFixed(1)} s of load (${Math.round((stats.hostileFrames ?? 0) / loadSeconds)}/s), ${stats.hostileClosedByBroker} closed by the broker, ${stats.idleLost} idle lost`,
    );
    assert.equal(stats.idleLost, 0, "no idle connection was dropped");
    const hostileRate = (stats.hostileFrames ?? 0) / loadSeconds;
    assert.ok(
      hostileRate >= HOSTILE_FRAMES_PER_SECOND_MIN,
      `the hostile client sent only ${hostileRate.toFixed(0)} frames/s`,
    );
    // Twice the baseline, but never less than 0.75 ms of slack. Each hostile event costs the event
    // loop 50-300 µs (Node's net.Socket for an accepted connection, the kernel's loopback teardown
    // when the broker closes one, the error path of a bad frame; profiled with perf), ~1,000 of
    // them a second, and a produce that arrives during one waits for it: so the p99 under load is
    // the baseline plus the slower events. A bare Node server that only accepts and closes shows
    // the same kind of rise under the same load on this 2-vCPU VM (+0.1-0.3 ms over a 0.12 ms echo
    // p99). Measured on 2026-12-08, 7 runs: 0.12-0.62 ms above baselines of 0.27-0.72 ms, 1.2-1.9x
    // (with the client on the broker's CPU, as first placed, 2.4-2.8x). A broker that let the load
    // in (a parse per byte, a log line per frame, a scan of the idle connections) fails by far.
    const allowed = Math.max(2 * baseline.p99, baseline.p99 + P99_SLACK_MS);
    assert.ok(
      loaded.p99 <= allowed,
      `p99 under load ${loaded.p99.toFixed(3)} ms is more than ${allowed.toFixed(3)} ms (baseline ${baseline.p99.toFixed(3)} ms)`,
    );
    // Still serving, and nothing escaped into the process.
    await produceOnce(client, warm);
    broker.assertAlive();
    assert.doesNotMatch(broker.allStderr, /uncaught|unhandled|FATAL|AssertionError/i);
  } finally {
    client.close();
  }
});
