import { existsSync } from "node:fs";
import { dirname } from "node:path";
import { fileURLToPath } from "node:url";

/** The repository root: the first directory above this file with a package.json and a bench/. */
function findRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!(existsSync(`${dir}/package.json`) && existsSync(`${dir}/bench`)) && dir !== "/")
    dir = dirname(dir);
  return dir;
}

export const ROOT = findRoot();
export const RESULTS = `${ROOT}/bench/results`;
/** Where bench/e2e/setup.sh copies ../shared/bench (mock cluster, rdkafka_performance, scripts). */
export const VENDOR = `${RESULTS}/vendor/shared-bench`;

/** The value after `--name` on the command line, else `fallback`. */
export function option(name: string, fallback: string): string {
  const at = process.argv.indexOf(`--${name}`);
  return at >= 0 ? (process.argv[at + 1] ?? fallback) : fallback;
}
