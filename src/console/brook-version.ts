import { existsSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

/** Folders walked up from this module to find Brook's package.json (src/console and dist/src/console). */
const PACKAGE_SEARCH_DEPTH_MAX = 5;

let cached: string | null = null;

/** Brook's version from its package.json, found from this module's place (source or dist). */
export function brookVersion(): string {
  if (cached !== null) return cached;
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let depth = 0; depth < PACKAGE_SEARCH_DEPTH_MAX; depth++) {
    const file = join(dir, "package.json");
    if (existsSync(file)) {
      try {
        const pkg = JSON.parse(readFileSync(file, "utf8")) as { name?: unknown; version?: unknown };
        if (pkg.name === "brook" && typeof pkg.version === "string") {
          cached = pkg.version;
          return cached;
        }
      } catch {
        // Not ours or unreadable: keep walking.
      }
    }
    dir = dirname(dir);
  }
  cached = "unknown";
  return cached;
}
