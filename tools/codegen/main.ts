/**
 * Generates src/protocol/generated/ from Kafka's JSON message specs in specs/kafka-protocol/.
 *   npm run codegen          regenerate (writes only files whose text changed, removes stale ones)
 *   npm run codegen:check    regenerate in memory; exit 1 listing files that differ, are missing or extra
 * Output is deterministic: the same specs give byte-identical files.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { emitApiKeys } from "./emit-api-keys.js";
import { emitJsonModules } from "./emit-json.js";
import { emitIndex, emitModule, type GeneratedFile, groupModules } from "./emit-modules.js";
import { emitCoordinatorRecords, emitMetadataRecords } from "./emit-record-framing.js";
import { loadSpecs } from "./spec.js";

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), "..", "..");
const specRoot = join(repoRoot, "specs", "kafka-protocol");
const outRoot = join(repoRoot, "src", "protocol", "generated");

export function generate(): GeneratedFile[] {
  const groups = groupModules(loadSpecs(specRoot));
  const files = groups.map(emitModule);
  files.push(emitApiKeys(groups));
  files.push(emitMetadataRecords(groups));
  files.push(emitCoordinatorRecords(groups, "group"));
  files.push(emitCoordinatorRecords(groups, "txn"));
  files.push(...emitJsonModules(groups));
  files.push(emitIndex(files));
  return files.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}

function existingFiles(dir: string): string[] {
  if (!existsSync(dir)) return [];
  const out: string[] = [];
  const walk = (d: string) => {
    for (const name of readdirSync(d)) {
      const p = join(d, name);
      if (statSync(p).isDirectory()) walk(p);
      else out.push(relative(dir, p).split("\\").join("/"));
    }
  };
  walk(dir);
  return out.sort();
}

function main(): void {
  const check = process.argv.includes("--check");
  const files = generate();
  const wanted = new Map(files.map((f) => [f.path, f.text]));
  const present = existingFiles(outRoot);
  const problems: string[] = [];
  for (const [path, text] of wanted) {
    const full = join(outRoot, path);
    const current = existsSync(full) ? readFileSync(full, "utf8") : null;
    if (current === text) continue;
    if (check) {
      problems.push(`${current === null ? "missing" : "differs"}: src/protocol/generated/${path}`);
    } else {
      mkdirSync(dirname(full), { recursive: true });
      writeFileSync(full, text);
    }
  }
  for (const path of present) {
    if (wanted.has(path)) continue;
    if (check) problems.push(`extra: src/protocol/generated/${path}`);
    else rmSync(join(outRoot, path));
  }
  if (check) {
    if (problems.length > 0) {
      console.error(`generated code is stale; run npm run codegen\n${problems.join("\n")}`);
      process.exit(1);
    }
    console.log(`generated code is up to date (${files.length} files)`);
  } else {
    console.log(`generated ${files.length} files in src/protocol/generated/`);
  }
}

main();
