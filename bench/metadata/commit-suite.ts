/**
 * Part 1 (i) and (ii) of the metadata benchmark: commits through etcd, in this process, against
 * real etcd members (test/helpers/etcd-process.ts) with their data on /dev/shm or on the disk.
 *
 * Per etcd setup, R rounds, each running every case once, interleaved (so that the machine's
 * drift hits all cases alike):
 *   fsync     4 KiB write + fdatasync loop on the members' file system (the disk's commit floor)
 *   put       EtcdKvStore.txn of one put, no compares (etcd through Brook's client, no Brook logic)
 *   get       a linearizable read of one key (the read barrier `committedEnd`)
 *   put x64   the put with 64 in flight (what etcd reaches when it can batch raft proposals)
 *   append    KvMetadataQuorum's fenced append (2 compares, 2 puts), one record per entry, sequential
 *   ctl xN    QuorumController.submit with N operations in flight (one record each); the
 *             controller appends one entry at a time, holding every operation queued meanwhile
 * Each case runs `caseMs` after a warm-up of `warmupMs`; latencies are pooled over the rounds,
 * throughput is the median (min–max) of the rounds.
 */
import { closeSync, fdatasyncSync, mkdtempSync, openSync, rmSync, writeSync } from "node:fs";
import { join } from "node:path";
import { silentLogger, systemEnv } from "../../src/base/index.js";
import {
  type Campaign,
  type CampaignListener,
  type ControllerCandidate,
  type ControllerLeadership,
  EtcdKvStore,
  KvMetadataQuorum,
  type MetadataFollower,
  MetadataLoader,
  type MetadataQuorum,
  type MetadataRecord,
  QuorumController,
} from "../../src/metadata/index.js";
import { randomUuid } from "../../src/protocol/index.js";
import { EtcdCluster } from "../../test/helpers/etcd-process.js";
import { median, nowMs, processCpuMs, quantile, selfCpuMs, sleep } from "./stats.js";

export interface CommitOptions {
  rounds: number;
  caseMs: number;
  warmupMs: number;
  /** Where the on-disk etcd data directories go (a directory on the project disk). */
  diskRoot: string;
  setups: readonly EtcdSetup[];
  controllerInflight: readonly number[];
  log: (line: string) => void;
}

export interface EtcdSetup {
  members: number;
  medium: "shm" | "disk";
}

/** One run of one case. */
export interface CaseRun {
  ops: number;
  seconds: number;
  latenciesMs: number[];
  /** Time until the controller's own image had the operation (as NodeMetadata.decide waits). */
  appliedMs: number[];
  entries: number;
  clientCpuMs: number;
  etcdCpuMs: number;
  /** Topics in the controller's image at the end of the run (controller cases). */
  imageTopics?: number;
}

export interface CaseResult {
  setup: string;
  id: string;
  description: string;
  inflight: number;
  runs: CaseRun[];
}

const SESSION_TIMEOUT_MS = 9000;

export function setupName(s: EtcdSetup): string {
  return `${s.members}-member etcd, data on ${s.medium === "shm" ? "/dev/shm (tmpfs)" : "disk (ext4, virtio)"}`;
}

/**
 * Runs `op` in a closed loop with `inflight` workers: a warm-up, then a measured window. Only
 * operations started and finished inside the window count.
 */
async function closedLoop(
  inflight: number,
  warmupMs: number,
  windowMs: number,
  op: (startedAt: number, inWindow: () => boolean) => Promise<void>,
  hooks: { windowStart?: () => void; windowEnd?: () => void } = {},
): Promise<{ ops: number; seconds: number; latenciesMs: number[] }> {
  const start = nowMs();
  const from = start + warmupMs;
  const end = from + windowMs;
  const latenciesMs: number[] = [];
  let started = false;
  let ended = false;
  const windowStart = () => {
    if (started) return;
    started = true;
    hooks.windowStart?.();
  };
  const windowEnd = () => {
    if (ended) return;
    windowStart();
    ended = true;
    hooks.windowEnd?.();
  };
  const startTimer = setTimeout(windowStart, warmupMs);
  const endTimer = setTimeout(windowEnd, warmupMs + windowMs);
  const worker = async () => {
    for (;;) {
      const t0 = nowMs();
      if (t0 >= end) return;
      const counted = t0 >= from;
      await op(t0, () => counted);
      const t1 = nowMs();
      if (counted && t1 <= end) latenciesMs.push(t1 - t0);
    }
  };
  await Promise.all(Array.from({ length: inflight }, worker));
  clearTimeout(startTimer);
  clearTimeout(endTimer);
  windowEnd();
  return { ops: latenciesMs.length, seconds: windowMs / 1000, latenciesMs };
}

/** A MetadataQuorum that counts the entries its leaderships append (and when they committed). */
class CountingQuorum implements MetadataQuorum {
  readonly kind: string;
  readonly appendedAt: number[] = [];
  private readonly inner: MetadataQuorum;

  constructor(inner: MetadataQuorum) {
    this.inner = inner;
    this.kind = inner.kind;
  }

  follow(afterOffset: bigint, follower: MetadataFollower) {
    return this.inner.follow(afterOffset, follower);
  }
  committedEnd() {
    return this.inner.committedEnd();
  }
  campaign(candidate: ControllerCandidate, listener: CampaignListener): Campaign {
    return this.inner.campaign(candidate, {
      resigned: (reason) => listener.resigned(reason),
      elected: (leadership) => {
        const counted: ControllerLeadership = {
          epoch: leadership.epoch,
          startEnd: leadership.startEnd,
          entryBytesMax: leadership.entryBytesMax,
          writeSnapshot: (s) => leadership.writeSnapshot(s),
          append: async (expectedEnd, records) => {
            const base = await leadership.append(expectedEnd, records);
            this.appendedAt.push(nowMs());
            return base;
          },
        };
        listener.elected(counted);
      },
    });
  }
  watchController(listener: Parameters<MetadataQuorum["watchController"]>[0]) {
    return this.inner.watchController(listener);
  }
  openSession(...args: Parameters<MetadataQuorum["openSession"]>) {
    return this.inner.openSession(...args);
  }
  watchSessions(listener: Parameters<MetadataQuorum["watchSessions"]>[0]) {
    return this.inner.watchSessions(listener);
  }
  close() {
    return this.inner.close();
  }
  abandon() {
    return this.inner.abandon();
  }
}

let topicSeq = 0;
/** One metadata record, as a topic creation's first: ~60 bytes encoded, ~130 with the entry header. */
function topicRecord(): MetadataRecord {
  topicSeq++;
  return { type: "Topic", name: `bench-topic-${String(topicSeq).padStart(8, "0")}`, topicId: randomUuid() };
}

/** Waits for a campaign to hand over its leadership. */
function elect(
  quorum: MetadataQuorum,
  nodeId: number,
): Promise<{ leadership: ControllerLeadership; campaign: Campaign }> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error("no leadership within 20 s")), 20_000);
    const campaign = quorum.campaign(
      { nodeId, endPoint: null },
      {
        elected: (leadership) => {
          clearTimeout(timer);
          resolve({ leadership, campaign });
        },
        resigned: () => {},
      },
    );
  });
}

/** 4 KiB write + fdatasync, in a loop, in a fresh file under `dir`: the commit floor of that file system. */
function fsyncLoop(dir: string, windowMs: number): { ops: number; seconds: number; latenciesMs: number[] } {
  const scratch = mkdtempSync(join(dir, "fsync-"));
  const fd = openSync(join(scratch, "wal"), "w");
  const block = Buffer.alloc(4096, 7);
  const latenciesMs: number[] = [];
  try {
    const end = nowMs() + windowMs;
    let position = 0;
    // Warm-up: a few to allocate the file's first blocks.
    for (let i = 0; i < 5; i++) {
      writeSync(fd, block, 0, block.length, position);
      position += block.length;
      fdatasyncSync(fd);
    }
    while (nowMs() < end) {
      const t0 = nowMs();
      writeSync(fd, block, 0, block.length, position);
      position += block.length;
      fdatasyncSync(fd);
      latenciesMs.push(nowMs() - t0);
    }
  } finally {
    closeSync(fd);
    rmSync(scratch, { recursive: true, force: true });
  }
  return { ops: latenciesMs.length, seconds: windowMs / 1000, latenciesMs };
}

export async function runCommitSuite(options: CommitOptions): Promise<CaseResult[]> {
  const results: CaseResult[] = [];
  for (const setup of options.setups) {
    results.push(...(await runSetup(setup, options)));
  }
  return results;
}

async function runSetup(setup: EtcdSetup, options: CommitOptions): Promise<CaseResult[]> {
  const name = setupName(setup);
  options.log(`# ${name}`);
  const dataRoot = setup.medium === "shm" ? "/dev/shm" : options.diskRoot;
  const cluster = await EtcdCluster.start({ members: setup.members, dataRoot });
  const env = systemEnv();
  const stores: EtcdKvStore[] = [];
  const connect = async () => {
    const store = await EtcdKvStore.connect({ endpoints: cluster.endpoints, requestTimeoutMs: 5000 });
    stores.push(store);
    return store;
  };
  const closers: (() => Promise<void>)[] = [];
  try {
    const etcdCpu = () => cluster.members.reduce((sum, _, i) => sum + processCpuMs(cluster.pid(i)), 0);

    // put: Brook's etcd client, one put per txn, no compares.
    const putStore = await connect();
    const putValue = Buffer.alloc(130, 1);
    let putSeq = 0;
    const put = () =>
      putStore
        .txn(
          [],
          [{ type: "put", key: `/bench-put/${String(putSeq++ % 1000).padStart(4, "0")}`, value: putValue }],
        )
        .then(() => {});

    // append: the fenced append of a leadership of its own (prefix /bench-raw/).
    const rawQuorum = new KvMetadataQuorum({
      store: await connect(),
      prefix: "/bench-raw/",
      env,
      sessionTimeoutMs: SESSION_TIMEOUT_MS,
      log: silentLogger,
    });
    const raw = await elect(rawQuorum, 1);
    closers.push(() => raw.campaign.stop());
    let rawEnd = raw.leadership.startEnd;
    const append = async () => {
      await raw.leadership.append(rawEnd, [topicRecord()]);
      rawEnd++;
    };

    // ctl xN: a QuorumController with its loader, as a node runs them; a fresh one (on a prefix
    // of its own, so with an empty image) for every run: operations add topics to the image.
    const ctlStore = await connect();
    let ctlSeq = 0;
    const startController = async () => {
      const quorum = new CountingQuorum(
        new KvMetadataQuorum({
          store: ctlStore,
          prefix: `/bench-ctl-${++ctlSeq}/`,
          env,
          sessionTimeoutMs: SESSION_TIMEOUT_MS,
          log: silentLogger,
        }),
      );
      const loader = new MetadataLoader(quorum, silentLogger);
      loader.start();
      const controller = new QuorumController({
        nodeId: 1,
        quorum,
        loader,
        env,
        log: silentLogger,
        candidate: () => ({ nodeId: 1, endPoint: null }),
        partitionRules: { minInsyncReplicas: () => 1, uncleanLeaderElection: () => false },
        // Broker's defaults: metadata.log.max.record.bytes.between.snapshots / 64 bytes, 1 hour.
        snapshotRecordsMax: Math.floor(20971520 / 64),
        snapshotIntervalMs: 3_600_000,
        candidateForElection: true,
      });
      controller.start();
      const stop = async () => {
        await controller.stop();
        loader.stop();
        await quorum.close();
      };
      const deadline = nowMs() + 20_000;
      while (!controller.isActive) {
        if (nowMs() > deadline) {
          await stop();
          throw new Error("the benchmark's controller was not elected within 20 s");
        }
        await sleep(5);
      }
      return { controller, loader, quorum, stop };
    };

    type Case = { id: string; description: string; inflight: number; run: () => Promise<CaseRun> };
    const measured = async (
      inflight: number,
      op: (startedAt: number, inWindow: () => boolean) => Promise<void>,
      extra: { appliedMs?: number[]; entriesIn?: (from: number, to: number) => number } = {},
    ): Promise<CaseRun> => {
      let cpu0 = 0;
      let etcd0 = 0;
      let cpu1 = 0;
      let etcd1 = 0;
      let from = 0;
      let to = 0;
      const loop = await closedLoop(inflight, options.warmupMs, options.caseMs, op, {
        windowStart: () => {
          from = nowMs();
          cpu0 = selfCpuMs();
          etcd0 = etcdCpu();
        },
        windowEnd: () => {
          to = nowMs();
          cpu1 = selfCpuMs();
          etcd1 = etcdCpu();
        },
      });
      return {
        ...loop,
        appliedMs: extra.appliedMs ?? [],
        entries: extra.entriesIn?.(from, to) ?? loop.ops,
        clientCpuMs: cpu1 - cpu0,
        etcdCpuMs: etcd1 - etcd0,
      };
    };
    const cases: Case[] = [
      {
        id: "fsync",
        description: "4 KiB write + fdatasync on the members' file system (no etcd)",
        inflight: 1,
        run: async () => {
          const loop = fsyncLoop(dataRoot, Math.min(options.caseMs, 500));
          return {
            ...loop,
            appliedMs: [],
            entries: loop.ops,
            clientCpuMs: Number.NaN,
            etcdCpuMs: Number.NaN,
          };
        },
      },
      {
        id: "put",
        description: "etcd txn: one 130-byte put, no compares (EtcdKvStore.txn)",
        inflight: 1,
        run: () => measured(1, put),
      },
      {
        id: "get",
        description:
          "etcd range of one key (EtcdKvStore.get, linearizable): what the read barrier KvMetadataQuorum.committedEnd costs (a forwarded request waits for one)",
        inflight: 1,
        run: () => measured(1, () => rawQuorum.committedEnd().then(() => {})),
      },
      {
        id: "put x64",
        description: "the put, 64 in flight",
        inflight: 64,
        run: () => measured(64, put),
      },
      {
        id: "append",
        description: "KvMetadataQuorum fenced append, 1 record per entry, sequential",
        inflight: 1,
        run: () => measured(1, append),
      },
      ...options.controllerInflight.map(
        (n): Case => ({
          id: `ctl x${n}`,
          description: `QuorumController.submit, 1 record per operation, ${n} in flight`,
          inflight: n,
          run: async () => {
            const ctl = await startController();
            try {
              const appliedMs: number[] = [];
              const run = await measured(
                n,
                async (startedAt, inWindow) => {
                  const committed = await ctl.controller.submit("bench", (builder) =>
                    builder.add([topicRecord()]),
                  );
                  if (inWindow()) {
                    void ctl.loader
                      .whenApplied(committed.offset)
                      .then(() => appliedMs.push(nowMs() - startedAt));
                  }
                },
                {
                  appliedMs,
                  entriesIn: (from, to) => ctl.quorum.appendedAt.filter((t) => t >= from && t <= to).length,
                },
              );
              if (!ctl.controller.isActive) throw new Error("the benchmark's controller lost its leadership");
              await ctl.loader.catchUp();
              return { ...run, imageTopics: ctl.loader.image.topicsById.size };
            } finally {
              await ctl.stop();
            }
          },
        }),
      ),
    ];
    const runs = new Map<string, CaseRun[]>(cases.map((c) => [c.id, []]));
    for (let round = 1; round <= options.rounds; round++) {
      const line: string[] = [];
      for (const c of cases) {
        const run = await c.run();
        runs.get(c.id)?.push(run);
        line.push(
          `${c.id} ${Math.round(run.ops / run.seconds)}/s p50 ${median(run.latenciesMs).toFixed(2)} ms`,
        );
      }
      options.log(`  round ${round}: ${line.join(", ")}`);
    }
    return cases.map((c) => ({
      setup: name,
      id: c.id,
      description: c.description,
      inflight: c.inflight,
      runs: runs.get(c.id) ?? [],
    }));
  } finally {
    for (const close of closers.reverse()) await close().catch(() => {});
    for (const store of stores) await store.close().catch(() => {});
    await cluster.dispose();
  }
}

export function pooled<R>(runs: readonly R[], pick: (r: R) => readonly number[]): number[] {
  return runs.flatMap((r) => [...pick(r)]);
}

export function p(
  runs: readonly CaseRun[],
  q: number,
  pick: (r: CaseRun) => readonly number[] = (r) => r.latenciesMs,
): number {
  return quantile(pooled(runs, pick), q);
}
