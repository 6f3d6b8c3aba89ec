import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { test } from "node:test";

/** The repository root: the nearest folder holding docs/metrics.md (tests also run compiled, from dist/). */
function findRoot(from: string): string {
  let dir = from;
  while (!existsSync(join(dir, "docs", "metrics.md"))) {
    if (dirname(dir) === dir) throw new Error("docs/metrics.md not found above the test");
    dir = dirname(dir);
  }
  return dir;
}
const root = findRoot(import.meta.dirname);

test("every metric family /metrics exports is documented in docs/metrics.md", () => {
  const docs = readFileSync(join(root, "docs", "metrics.md"), "utf8");
  const source = readFileSync(join(root, "src", "console", "prometheus-metrics.ts"), "utf8");
  const names = [...source.matchAll(/"((?:brook|kafka|process|nodejs)_[a-z0-9_]+)"/g)].map((m) => m[1]);
  assert.ok(names.length > 40, `found ${names.length} metric names`);
  const missing = names.filter((name) => !docs.includes(`\`${name}\``) && !docs.includes(`\`${name}{`));
  assert.deepEqual(missing, []);
});
