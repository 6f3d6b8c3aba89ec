/**
 * What every benchmark run of bench/e2e and bench/efficiency shares: the run's stamp, the snapshot
 * of the compiled broker it measures, the machine it ran on, and the check that setup.sh ran.
 */
import { execFileSync, spawnSync } from "node:child_process";
import { cpSync, existsSync } from "node:fs";
import { cpus, loadavg, release, totalmem } from "node:os";
import { resolve } from "node:path";
import { option, ROOT, VENDOR } from "./paths.js";
import { type Paths, payloadFile, RECORDS } from "./workloads.js";

export const flag = (name: string) => process.argv.includes(`--${name}`);

export function stamp(): string {
  return new Date()
    .toISOString()
    .replace(/[-:]/g, "")
    .replace(/\.\d+Z$/, "Z");
}

/** Builds (unless --no-build or --dist) and copies the compiled broker and bench into the run dir. */
export function snapshotDist(outDir: string): string {
  const given = option("dist", "");
  if (given !== "") return resolve(given);
  if (!flag("no-build")) {
    const build = spawnSync("npx", ["tsc", "-p", "tsconfig.json"], { cwd: ROOT, encoding: "utf8" });
    // Other engineers' unfinished files may not type-check; what matters is that ours compiled.
    if (build.status !== 0)
      console.error(`# tsc reported errors (continuing):\n${build.stdout.slice(0, 2000)}`);
    // The single-module bundle is what `npm start` runs (start time and memory are measured on it).
    spawnSync("npm", ["run", "-s", "bundle"], { cwd: ROOT, stdio: "inherit" });
  }
  const dist = `${outDir}/dist`;
  cpSync(`${ROOT}/dist/src`, `${dist}/src`, { recursive: true });
  cpSync(`${ROOT}/dist/bench/e2e`, `${dist}/bench/e2e`, { recursive: true });
  return dist;
}

export function machine(): Record<string, string> {
  const sh = (cmd: string, args: string[]) => {
    try {
      return execFileSync(cmd, args, {
        cwd: ROOT,
        encoding: "utf8",
        stdio: ["ignore", "pipe", "pipe"],
      }).trim();
    } catch {
      return "?";
    }
  };
  const dirty = sh("git", ["status", "--porcelain", "--", "src"]).split("\n").filter(Boolean);
  return {
    date: new Date().toISOString(),
    cpu: `${cpus().length} x ${cpus()[0]?.model ?? "?"}`,
    memory: `${Math.round(totalmem() / 2 ** 30)} GiB`,
    kernel: release(),
    node: process.version,
    kcat: /Version ([\d.]+)/.exec(sh("kcat", ["-V"]))?.[1] ?? "?",
    librdkafka: /librdkafka version ([\d.]+)/.exec(sh("kcat", ["-V"]))?.[1] ?? "?",
    commit: sh("git", ["rev-parse", "--short", "HEAD"]),
    srcChanges:
      dirty.length === 0 ? "none" : `${dirty.length} uncommitted file(s) under src/: ${dirty.join(", ")}`,
    loadAverageAtStart: loadavg()
      .map((x) => x.toFixed(2))
      .join(" "),
    pinning: "none (taskset not used)",
    // Every Node process parses these at start (~70 ms and ~8 MB here); bench/efficiency unsets it.
    nodeExtraCaCerts: process.env.NODE_EXTRA_CA_CERTS ?? "unset",
  };
}

export function checkSetup(paths: Paths): void {
  const needed = [paths.perf, `${VENDOR}/mock/build/mockcluster`, `${VENDOR}/disk/node-disk.js`];
  for (const size of [100, 1000])
    needed.push(payloadFile(paths, RECORDS, size), payloadFile(paths, 100_000, size));
  const missing = needed.filter((f) => !existsSync(f));
  if (missing.length > 0) throw new Error(`missing ${missing.join(", ")}: run bench/e2e/setup.sh first`);
}
