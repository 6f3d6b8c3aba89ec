/**
 * Runs the compiled test files (`*.test.js`) of the given groups with node:test. Node's own
 * discovery would also run every helper module under a test/ folder, hence this list.
 * usage: node dist/tools/run-tests.js [unit|interop|all] [--filter substring]
 */
import { spawnSync } from "node:child_process";
import { existsSync, readdirSync, statSync } from "node:fs";
import { join } from "node:path";

const group = process.argv[2] ?? "all";
const filterAt = process.argv.indexOf("--filter");
const filter = filterAt > 0 ? process.argv[filterAt + 1] : undefined;

function walk(dir: string, out: string[] = []): string[] {
  if (!existsSync(dir)) return out;
  for (const name of readdirSync(dir).sort()) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) walk(path, out);
    else if (name.endsWith(".test.js")) out.push(path);
  }
  return out;
}

/** dist/test/x.test.js -> test/x.test.ts: a compiled test whose source was deleted is stale. */
const sourceOf = (compiled: string) => compiled.replace(/^dist[\\/]/, "").replace(/\.js$/, ".ts");
const compiled = walk("dist/test");
const stale = compiled.filter((f) => !existsSync(sourceOf(f)));
if (stale.length > 0) console.error(`skipping compiled tests whose source is gone: ${stale.join(", ")}`);
const all = compiled.filter((f) => existsSync(sourceOf(f)));
const isInterop = (f: string) => f.includes(`${join("dist", "test", "interop")}`) || f.includes("/issues/");
let files =
  group === "unit" ? all.filter((f) => !isInterop(f)) : group === "interop" ? all.filter(isInterop) : all;
if (filter) files = files.filter((f) => f.includes(filter));
if (files.length === 0) {
  console.error(`no test files for group ${group}`);
  process.exit(1);
}
const concurrency = process.env.BROOK_TEST_CONCURRENCY ?? "2";
/**
 * Files that measure latency against their own baseline run after the others, one at a time:
 * another test file's processes on the same two cores would decide their result.
 */
const SOLO_FILES = ["connection-load.test.js"];
const solo = files.filter((f) => SOLO_FILES.some((name) => f.endsWith(name)));
const shared = files.filter((f) => !solo.includes(f));

// No --test-force-exit: on Node 20 it ended a file's process with suites still to run (the Avro
// compatibility file lost its last two suites in a full run, silently). A test that fails must
// clean up what it started instead (see replication-failover.test.ts).
function run(batch: string[], parallel: string): number {
  if (batch.length === 0) return 0;
  const result = spawnSync(
    process.execPath,
    ["--test", `--test-concurrency=${parallel}`, "--test-reporter=spec", ...batch],
    { stdio: "inherit" },
  );
  return result.status ?? 1;
}
const sharedStatus = run(shared, concurrency);
const soloStatus = run(solo, "1");
process.exit(sharedStatus !== 0 ? sharedStatus : soloStatus);
