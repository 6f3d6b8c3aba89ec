/**
 * Enforces the layering of ARCHITECTURE.md: a module may import another top-level folder of src/
 * only if that folder sits lower in LAYERS, and only through the folder's index.ts (its public
 * face). Run by `npm run lint`; exits 1 listing every violation.
 */
import { readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, relative, resolve, sep } from "node:path";

const LAYERS: Record<string, number> = {
  base: 0,
  protocol: 1,
  storage: 2,
  raft: 2,
  network: 2,
  client: 2,
  replication: 3,
  metadata: 3,
  coordinator: 4,
  registry: 4,
  broker: 5,
  // Beside the broker, not above it: the proxy is a client of the cluster (client, registry), never of the broker's internals.
  "rest-proxy": 5,
  console: 6,
  server: 7,
  cli: 8,
};

const root = resolve(process.argv[2] ?? "src");

function walk(dir: string, out: string[] = []): string[] {
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) walk(path, out);
    else if (name.endsWith(".ts")) out.push(path);
  }
  return out;
}

const importPattern =
  /(?:^|\n)\s*(?:import|export)\s[^"';]*?from\s+["']([^"']+)["']|import\(\s*["']([^"']+)["']\s*\)/g;
const violations: string[] = [];

for (const file of walk(root)) {
  const fromParts = relative(root, file).split(sep);
  // Files at the root of src/ (index.ts) are the package's public face and may re-export any layer.
  if (fromParts.length === 1) continue;
  const fromTop = fromParts[0] ?? "";
  const source = readFileSync(file, "utf8");
  for (const match of source.matchAll(importPattern)) {
    const spec = match[1] ?? match[2];
    if (!spec?.startsWith(".")) continue;
    const target = relative(root, resolve(dirname(file), spec));
    const parts = target.split(sep);
    const toTop = parts[0] ?? "";
    if (toTop === fromTop || parts.length === 1) continue;
    const where = `${relative(process.cwd(), file)}: imports ${spec}`;
    if (LAYERS[fromTop] === undefined || LAYERS[toTop] === undefined) {
      violations.push(`${where} (folder not in the layer table)`);
    } else if (LAYERS[toTop] >= LAYERS[fromTop]) {
      violations.push(`${where} (${fromTop} may not depend on ${toTop})`);
    } else if (!(parts.length === 2 && parts[1] === "index.js")) {
      violations.push(`${where} (import ${toTop}/index.js, the folder's public face)`);
    }
  }
}

if (violations.length > 0) {
  console.error(`layering: ${violations.length} violation(s)\n${violations.join("\n")}`);
  process.exit(1);
}
console.log("layering: ok");
