/**
 * Brook's metadata benchmark: commits through etcd, the controller's batching, CreateTopics end to
 * end, and controller failover, on this machine (method: bench/README.md). From the repository
 * root:
 *
 *   npx tsx bench/metadata/run.ts [--parts commit,image,create,failover] [--rounds 3]
 *        [--case-ms 1000] [--create-ms 2000] [--warmup-ms 200] [--setups 1:shm,1:disk,3:shm,3:disk]
 *        [--inflight 1,8,64] [--creators 16] [--image-sizes 0,1000,5000,20000]
 *        [--timeouts 9000,2000] [--reps 5] [--broker-reps 3] [--no-build]
 *
 * It builds Brook first (npx tsc; the cluster parts start `node dist/src/cli/main.js` processes),
 * unless --no-build. Every etcd member and Brook process it starts is killed at the end, also on
 * an error or Ctrl-C (the helpers' exit hooks). Output: a table per part on stdout and in
 * bench/results/metadata-<stamp>/report.md, the raw figures in results.json there.
 */
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, rmSync, writeFileSync } from "node:fs";
import { cpus, release, totalmem } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import {
  type BrokerLossRep,
  type CreateCaseResult,
  type FailoverResult,
  runCreateTopicsSuite,
  runFailoverSuite,
} from "./cluster-suite.js";
import { type CaseResult, type EtcdSetup, runCommitSuite } from "./commit-suite.js";
import { type ImageCaseResult, runImageSuite } from "./image-suite.js";
import { brokerLossTable, commitTable, createTable, failoverTable, imageTable } from "./report.js";
import { loadAverage } from "./stats.js";

const ROOT = (() => {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!(existsSync(join(dir, "package.json")) && existsSync(join(dir, "bench"))) && dir !== "/")
    dir = dirname(dir);
  return dir;
})();

function option(name: string, fallback: string): string {
  const at = process.argv.indexOf(`--${name}`);
  return at >= 0 ? (process.argv[at + 1] ?? fallback) : fallback;
}
const flag = (name: string) => process.argv.includes(`--${name}`);
const numbers = (text: string) => text.split(",").filter(Boolean).map(Number);

function stamp(): string {
  return new Date()
    .toISOString()
    .replace(/[-:]/g, "")
    .replace(/\.\d+Z$/, "Z");
}

function sh(cmd: string, args: string[]): string {
  try {
    return execFileSync(cmd, args, { cwd: ROOT, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] }).trim();
  } catch {
    return "?";
  }
}

async function main(): Promise<void> {
  const parts = new Set(option("parts", "commit,image,create,failover").split(","));
  const rounds = Number(option("rounds", "3"));
  const warmupMs = Number(option("warmup-ms", "200"));
  const outDir = join(ROOT, "bench", "results", `metadata-${stamp()}`);
  const etcdRoot = join(outDir, "etcd-data");
  mkdirSync(etcdRoot, { recursive: true });
  const loads: string[] = [];
  const sampleLoad = () => loads.push(loadAverage().split(" ")[0] ?? "?");
  sampleLoad();
  const loadTimer = setInterval(sampleLoad, 10_000);
  loadTimer.unref();
  const dirty = sh("git", ["status", "--porcelain", "--", "src"]).split("\n").filter(Boolean);
  const info: Record<string, string> = {
    date: new Date().toISOString(),
    command: `npx tsx bench/metadata/run.ts ${process.argv.slice(2).join(" ")}`.trim(),
    commit: `${sh("git", ["rev-parse", "--short", "HEAD"])}${dirty.length > 0 ? ` + ${dirty.length} uncommitted file(s) under src/` : ""}`,
    machine: `${cpus().length} x ${cpus()[0]?.model ?? "?"}, ${Math.round(totalmem() / 2 ** 30)} GiB, Linux ${release()}`,
    node: process.version,
    etcd: /etcd Version: (\S+)/.exec(sh("/usr/bin/etcd", ["--version"]))?.[1] ?? "?",
    "load average at start (1/5/15 min)": loadAverage(),
    "etcd members": "test/helpers/etcd-process.ts: heartbeat 100 ms, election timeout 500 ms, loopback",
    "disk etcd data": `${etcdRoot} (ext4 on the virtio disk, the same file system as /tmp)`,
  };

  if (!flag("no-build") && (parts.has("create") || parts.has("failover"))) {
    console.log("# building (npx tsc -p tsconfig.json)");
    const build = spawnSync("npx", ["tsc", "-p", "tsconfig.json"], { cwd: ROOT, encoding: "utf8" });
    if (build.status !== 0) throw new Error(`tsc failed:\n${build.stdout.slice(0, 4000)}`);
  }

  const log = (line: string) => console.log(line);
  /** Runs a part and notes when it ran and the 1-min load average then (the load drifts a lot). */
  const part = async <T>(name: string, run: () => Promise<T> | T): Promise<T> => {
    const from = new Date().toISOString().slice(11, 19);
    const loadFrom = loadAverage().split(" ")[0];
    const result = await run();
    info[`part ${name}`] =
      `${from}-${new Date().toISOString().slice(11, 19)} UTC, 1-min load ${loadFrom} -> ${loadAverage().split(" ")[0]}`;
    return result;
  };
  let commit: CaseResult[] = [];
  let image: ImageCaseResult[] = [];
  let create: CreateCaseResult[] = [];
  let failover: FailoverResult[] = [];
  const started = Date.now();
  try {
    if (parts.has("commit")) {
      const setups: EtcdSetup[] = option("setups", "1:shm,1:disk,3:shm,3:disk")
        .split(",")
        .map((s) => {
          const [members, medium] = s.split(":");
          if (medium !== "shm" && medium !== "disk")
            throw new Error(`--setups: ${s} is not members:shm|disk`);
          return { members: Number(members), medium };
        });
      commit = await part("commit", () =>
        runCommitSuite({
          rounds,
          caseMs: Number(option("case-ms", "1000")),
          warmupMs,
          diskRoot: etcdRoot,
          setups,
          controllerInflight: numbers(option("inflight", "1,8,64")),
          log,
        }),
      );
    }
    if (parts.has("image")) {
      log("# controller CPU per operation against the image size (in process, no etcd)");
      image = await part("image", () =>
        runImageSuite({
          sizes: numbers(option("image-sizes", "0,1000,5000,20000")),
          rounds,
          opsPerTrial: 640,
          log,
        }),
      );
    }
    if (parts.has("create")) {
      create = (
        await part("create", () =>
          runCreateTopicsSuite({
            etcdRoot,
            rounds,
            caseMs: Number(option("create-ms", "2000")),
            warmupMs: 300,
            creators: Number(option("creators", "16")),
            log,
          }),
        )
      ).cases;
    }
    if (parts.has("failover")) {
      failover = await part("failover", () =>
        runFailoverSuite({
          etcdRoot,
          sessionTimeoutsMs: numbers(option("timeouts", "9000,2000")),
          reps: Number(option("reps", "5")),
          brokerReps: Number(option("broker-reps", "3")),
          log,
        }),
      );
    }
  } finally {
    clearInterval(loadTimer);
    rmSync(etcdRoot, { recursive: true, force: true });
  }
  sampleLoad();
  info["load average at end (1/5/15 min)"] = loadAverage();
  info["1-min load average, every 10 s"] = loads.join(" ");
  info.duration = `${Math.round((Date.now() - started) / 1000)} s`;

  const out: string[] = [`# Brook metadata benchmark, ${info.date}`, ""];
  out.push(...Object.entries(info).map(([k, v]) => `- ${k}: ${v}`), "");
  if (commit.length > 0) {
    out.push(
      "## 1 (i, ii). Metadata commits through etcd",
      "",
      `Cases interleaved per round, ${rounds} rounds; each ${option("case-ms", "1000")} ms after ${warmupMs} ms of warm-up. ops/s: median (min–max) of the rounds; latencies pooled over the rounds. "applied": until the controller's own loader has the entry (what NodeMetadata.decide waits for). One record (a topic's TopicRecord) per append or operation. CPU: this process (the bench: client and controller) and the etcd members, per operation.`,
      "",
      ...[...new Set(commit.map((c) => c.setup))].map((s) => `- ${s}`),
      "",
      ...commit
        .filter((c, i, all) => all.findIndex((x) => x.id === c.id) === i)
        .map((c) => `- \`${c.id}\`: ${c.description}`),
      "",
      commitTable(commit),
      "",
    );
  }
  if (image.length > 0) {
    out.push(
      "## 1 (ii-b). Controller CPU per operation against the size of the image",
      "",
      "In process, no etcd: what QuorumController.runEntry runs per queued CreateTopics (1 partition), on a builder over an image of N topics (blocks of 64 operations per builder, one entry's worth), and what each node's loader runs per committed entry. Median (min–max) of the rounds.",
      "",
      imageTable(image),
      "",
    );
  }
  if (create.length > 0) {
    out.push(
      "## 1 (iii). CreateTopics end to end (AdminClient, Kafka protocol)",
      "",
      `Real processes: 3 Brook nodes (broker + controller candidates, etcd.session.timeout.ms 9000) on a 3-member etcd with its data on disk, and one single Brook node (embedded \`__cluster_metadata\` log, fsync per append). 1 partition, RF 1 per topic; each creator its own client and connection, one request at a time. Cases interleaved per round, ${rounds} rounds of ${option("create-ms", "2000")} ms. CPU per topic: all Brook processes of the setup, and the etcd members.`,
      "",
      ...create.map((c) => `- \`${c.id}\`: ${c.description}`),
      "",
      createTable(create),
      "",
    );
  }
  if (failover.length > 0) {
    out.push(
      "## 2. Controller failover and broker loss",
      "",
      "3 Brook processes on a 3-member etcd (data on disk). SIGKILL of the active controller; times from the kill. The etcd columns come from the bench's own watch on the cluster's keys. (b): one CreateTopics sent to the survivors at the kill, retried every 20 ms on NOT_CONTROLLER. Median / max of the kills.",
      "",
      failoverTable(failover),
      "",
      "SIGKILL of a non-controller broker, until the survivors' Metadata no longer lists it. Median / max.",
      "",
      brokerLossTable(failover),
      "",
      "Every kill:",
      "",
      ...failover.flatMap((f) => [
        `- ${f.sessionTimeoutMs} ms, controller: ${f.controller.map((c) => `${c.controllerKeyGoneMs.toFixed(0)}/${c.newControllerInMetadataMs.toFixed(0)}/${c.firstCreateMs.toFixed(0)}`).join(", ")} (lease gone / in Metadata / CreateTopics, ms)`,
        `- ${f.sessionTimeoutMs} ms, broker: ${f.broker.map((b: BrokerLossRep) => `${b.sessionKeyGoneMs.toFixed(0)}/${b.goneFromMetadataMs.toFixed(0)}`).join(", ")} (lease gone / out of Metadata, ms)`,
      ]),
      "",
    );
  }
  const report = out.join("\n");
  writeFileSync(join(outDir, "report.md"), report);
  writeFileSync(
    join(outDir, "results.json"),
    JSON.stringify({ info, commit, image, create, failover }, null, 1),
  );
  console.log(`\n${report}\n# written: ${join(outDir, "report.md")}, results.json`);
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error instanceof Error ? (error.stack ?? error.message) : String(error));
    process.exit(1);
  },
);
