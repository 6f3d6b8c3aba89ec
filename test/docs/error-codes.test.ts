import assert from "node:assert/strict";
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join } from "node:path";
import { test } from "node:test";

/** The repository root: the nearest folder holding docs/errors.md (tests also run compiled, from dist/). */
function findRoot(from: string): string {
  let dir = from;
  while (!existsSync(join(dir, "docs", "errors.md"))) {
    if (dirname(dir) === dir) throw new Error("docs/errors.md not found above the test");
    dir = dirname(dir);
  }
  return dir;
}
const root = findRoot(import.meta.dirname);

function sources(dir: string, out: string[] = []): string[] {
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) sources(path, out);
    else if (name.endsWith(".ts")) out.push(path);
  }
  return out;
}

test("every BRK_ERR code used in src/ is documented in docs/errors.md", () => {
  const docs = readFileSync(join(root, "docs", "errors.md"), "utf8");
  const missing = new Set<string>();
  for (const file of sources(join(root, "src"))) {
    for (const match of readFileSync(file, "utf8").matchAll(/BRK_ERR_[A-Z0-9_]*[A-Z0-9]/g)) {
      const code = match[0];
      if (code === "BRK_ERR_KAFKA" || code === "BRK_ERR_REGISTRY") continue;
      if (!docs.includes(`\`${code}\``)) missing.add(`${code} (${file.slice(root.length + 1)})`);
    }
  }
  assert.deepEqual([...missing], []);
});
