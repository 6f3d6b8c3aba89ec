import { spawnSync } from "node:child_process";
import { cpSync, existsSync, mkdirSync, rmSync } from "node:fs";
import { join } from "node:path";
import { ROOT } from "../e2e/paths.js";

const VENDOR_MOCK = join(ROOT, "bench", "results", "vendor", "shared-bench", "mock");

/** rdkafka_performance and its sleeping-rate-limiter build, as bench/e2e/setup.sh makes them. */
export function ensurePerf(shared = "/work/shared/bench"): { perf: string; perfLat: string } {
  const perf = join(VENDOR_MOCK, "build", "rdkafka_performance");
  const perfLat = join(VENDOR_MOCK, "build", "rdkafka_performance_lat");
  if (!existsSync(perf) || !existsSync(perfLat)) {
    console.log(`# building rdkafka_performance from ${shared}/mock (librdkafka-dev's example)`);
    rmSync(VENDOR_MOCK, { recursive: true, force: true });
    mkdirSync(join(VENDOR_MOCK, ".."), { recursive: true });
    cpSync(join(shared, "mock"), VENDOR_MOCK, { recursive: true });
    rmSync(join(VENDOR_MOCK, "build"), { recursive: true, force: true });
    spawnSync("chmod", ["-R", "u+w", VENDOR_MOCK]);
    const build = spawnSync(join(VENDOR_MOCK, "build.sh"), [], { encoding: "utf8" });
    if (build.status !== 0)
      throw new Error(
        `mock/build.sh failed (apt-get install librdkafka-dev build-essential):\n${build.stderr}`,
      );
  }
  return { perf, perfLat };
}
