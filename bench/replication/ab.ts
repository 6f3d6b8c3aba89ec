/**
 * A/B of the replicated produce path between two compiled trees: two clusters side by side (etcd +
 * three Brook processes each, A from dist/, B from DIR), and RF 3 acks=all produce runs
 * (rdkafka_performance -P, one partition) alternating A B, B A, ... on them, so that the machine's
 * drift hits both alike. Prints records/s and broker CPU per million records of each, and B ÷ A
 * per pair. For measuring a change (or a measurement-only build: a dist/ copy with an edit) before
 * it is made properly. From the repository root, after `npx tsc -p tsconfig.json`:
 *
 *   npx tsx bench/replication/ab.ts DIR [--records 200000] [--size 1000] [--pairs 8] [--dist-a DIR]
 */
import { rmSync } from "node:fs";
import { join } from "node:path";
import { ROOT } from "../e2e/paths.js";
import { runCommand } from "../e2e/processes.js";
import { fmt, loadAverage, median } from "../metadata/stats.js";
import { BenchCluster } from "./cluster.js";
import { ensurePerf } from "./perf-client.js";
import { createTopic, deleteTopic } from "./topics.js";

function option(name: string, fallback: string): string {
  const at = process.argv.indexOf(`--${name}`);
  return at >= 0 ? (process.argv[at + 1] ?? fallback) : fallback;
}

async function main(): Promise<void> {
  const distB = process.argv[2];
  if (distB === undefined || distB.startsWith("--"))
    throw new Error("usage: ab.ts DIR [--records N] [--size B] [--pairs N]");
  const dists = { A: option("dist-a", join(ROOT, "dist")), B: distB };
  const records = Number(option("records", "200000"));
  const size = Number(option("size", "1000"));
  const pairs = Number(option("pairs", "8"));
  const { perf } = ensurePerf();
  const dir = join(ROOT, "bench", "results", `replication-ab-${Date.now()}`);
  console.log(
    `# A ${dists.A}, B ${dists.B}; ${pairs} pairs of RF 3 acks=all runs, ${records} x ${size} B; load ${loadAverage()}`,
  );
  const clusters = new Map<string, BenchCluster>();
  try {
    for (const [name, dist] of Object.entries(dists))
      clusters.set(
        name,
        await BenchCluster.start({
          dir: join(dir, name),
          sessionTimeoutMs: 9000,
          main: join(dist, "src", "cli", "main.js"),
        }),
      );
    const results = new Map<string, { rate: number; cpu: number }[]>([
      ["A", []],
      ["B", []],
    ]);
    let seq = 0;
    for (let i = 0; i < pairs; i++) {
      for (const name of i % 2 === 0 ? ["A", "B"] : ["B", "A"]) {
        const cluster = clusters.get(name) as BenchCluster;
        const controller = await cluster.waitHealthy(10_000);
        const leader = cluster.alive().find((id) => id !== controller) as number;
        const topic = `ab-${seq++}`;
        await createTopic(cluster, topic, [leader, ...cluster.alive().filter((id) => id !== leader)], {
          "min.insync.replicas": "2",
        });
        const before = cluster.cpuMs();
        const args = [
          "-P",
          "-t",
          topic,
          "-p",
          "0",
          "-b",
          cluster.bootstrap(),
          "-s",
          String(size),
          "-c",
          String(records),
        ];
        const run = await runCommand(perf, [...args, "-a", "-1", "-X", "linger.ms=5", "-q"], {
          timeoutMs: 180_000,
        });
        const after = cluster.cpuMs();
        if (run.exitCode !== 0)
          throw new Error(`rdkafka_performance exited with ${run.exitCode}: ${run.stderr}`);
        const cpu = cluster.alive().reduce((s, id) => s + (after[id] as number) - (before[id] as number), 0);
        results.get(name)?.push({ rate: records / run.wallSeconds, cpu: cpu / 1000 / (records / 1e6) });
        await deleteTopic(cluster, topic);
      }
    }
    for (const [name, runs] of results)
      console.log(
        `${name}: records/s ${runs.map((r) => fmt(r.rate)).join(" ")}; median ${fmt(median(runs.map((r) => r.rate)))}, broker CPU median ${fmt(median(runs.map((r) => r.cpu)), 2)} s per M records`,
      );
    const a = results.get("A") ?? [];
    const ratios = (results.get("B") ?? []).map((b, i) => b.rate / (a[i] as { rate: number }).rate);
    console.log(
      `B ÷ A per pair: ${ratios.map((r) => fmt(r, 2)).join(" ")}; median ${fmt(median(ratios), 2)}; load ${loadAverage()}`,
    );
  } finally {
    for (const c of clusters.values()) await c.dispose();
    rmSync(dir, { recursive: true, force: true });
  }
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error instanceof Error ? (error.stack ?? error.message) : String(error));
    process.exit(1);
  },
);
