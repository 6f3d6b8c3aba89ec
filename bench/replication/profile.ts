/**
 * `perf record` of the leader and one follower during an RF 3 acks=all run (rdkafka_performance),
 * for "where does the time go" questions; V8 frames are named with --perf-basic-prof-only-functions.
 *
 *   npx tsx bench/replication/profile.ts [--records 400000] [--size 1000] [--seconds 8] [--out DIR]
 *
 * Writes DIR/leader.txt and DIR/follower.txt (perf report --no-children, top symbols). Needs perf
 * (apt-get install linux-perf) and rdkafka_performance (built by run.ts).
 */
import { spawn, spawnSync } from "node:child_process";
import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { ROOT } from "../e2e/paths.js";
import { BenchCluster } from "./cluster.js";
import { ensurePerf } from "./perf-client.js";
import { createTopic } from "./topics.js";

function option(name: string, fallback: string): string {
  const at = process.argv.indexOf(`--${name}`);
  return at >= 0 ? (process.argv[at + 1] ?? fallback) : fallback;
}

async function main(): Promise<void> {
  const records = Number(option("records", "400000"));
  const size = Number(option("size", "1000"));
  const seconds = Number(option("seconds", "8"));
  const out = option("out", join(ROOT, "bench", "results", `replication-profile-${Date.now()}`));
  mkdirSync(out, { recursive: true });
  const { perf: perfClient } = ensurePerf();
  const dir = join(out, "cluster");
  const cluster = await BenchCluster.start({
    dir,
    sessionTimeoutMs: 9000,
    main: join(ROOT, "dist", "src", "cli", "main.js"),
    nodeFlags: () => ["--perf-basic-prof-only-functions"],
  });
  try {
    const controller = await cluster.waitHealthy(10_000);
    const leader = cluster.alive().find((id) => id !== controller) as number;
    const follower = cluster.alive().find((id) => id !== leader) as number;
    await createTopic(cluster, "profiled", [leader, ...cluster.alive().filter((id) => id !== leader)], {
      "min.insync.replicas": "2",
    });
    const client = spawn(
      perfClient,
      [
        "-P",
        "-t",
        "profiled",
        "-p",
        "0",
        "-b",
        cluster.bootstrap(),
        "-s",
        String(size),
        "-c",
        String(records),
        "-a",
        "-1",
        "-X",
        "linger.ms=5",
        "-q",
      ],
      { stdio: "ignore" },
    );
    await new Promise((r) => setTimeout(r, 1500));
    const pids = { leader: cluster.nodes.get(leader)?.pid, follower: cluster.nodes.get(follower)?.pid };
    for (const [role, pid] of Object.entries(pids)) {
      const data = join(out, `${role}.data`);
      spawn(
        "perf",
        ["record", "-F", "499", "-g", "-o", data, "-p", String(pid), "--", "sleep", String(seconds)],
        {
          stdio: "ignore",
        },
      );
    }
    await new Promise((r) => setTimeout(r, (seconds + 2) * 1000));
    client.kill("SIGKILL");
    for (const role of Object.keys(pids)) {
      const report = spawnSync(
        "perf",
        [
          "report",
          "-i",
          join(out, `${role}.data`),
          "--no-children",
          "--stdio",
          "--sort",
          "sym",
          "-g",
          "none",
          "--percent-limit",
          "0.7",
        ],
        { encoding: "utf8", maxBuffer: 64 << 20 },
      );
      writeFileSync(join(out, `${role}.txt`), report.stdout);
    }
    console.log(`# profiles in ${out}`);
  } finally {
    await cluster.dispose();
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
