import { existsSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

/** A file of test/fixtures/cli, whether the tests run from source or from dist/. */
export function cliFixture(name: string): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let depth = 0; depth < 8 && !existsSync(join(dir, "package.json")); depth++) dir = dirname(dir);
  return readFileSync(join(dir, "test", "fixtures", "cli", name), "utf8");
}
