import { dirname, join, sep } from "node:path";
import { fileURLToPath } from "node:url";

/**
 * The plaintext the compression fixtures in fixtures/ were made from (see fixtures/README.md):
 * about 150 KB of repetitive lines, enough for several 64 KiB LZ4 blocks.
 */
export function fixturePlaintext(): Buffer {
  const lines: string[] = [];
  for (let i = 0; i < 6000; i++) lines.push(`key-${i % 50} value ${"x".repeat(i % 10)} ${i % 25} ${i % 7}\n`);
  return Buffer.from(lines.join(""), "utf8");
}

/** A file under test/protocol/records/fixtures, whether the tests run from source or from dist/. */
export function fixturePath(name: string): string {
  const here = dirname(fileURLToPath(import.meta.url));
  const source = here.replace(`${sep}dist${sep}test${sep}`, `${sep}test${sep}`);
  return join(source, "fixtures", name);
}
