import assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { fileURLToPath } from "node:url";

/**
 * `brook server start` as a user runs it: from the build (dist/, where the page files are copied by
 * `npm run build`) when this test runs compiled, from source through tsx otherwise.
 */
const fromDist = fileURLToPath(import.meta.url).includes(`${join("dist", "test")}`);
const root = fileURLToPath(new URL(fromDist ? "../../../" : "../../", import.meta.url));
const MAIN_ARGS = fromDist
  ? [join(root, "dist", "src", "cli", "main.js")]
  : ["--import", "tsx", join(root, "src", "cli", "main.ts")];
const READY_TIMEOUT_MS = 20_000;

const dirs: string[] = [];
const children = new Set<ChildProcess>();
after(() => {
  for (const c of children) c.kill("SIGKILL");
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

function start(overrides: Record<string, string>): {
  child: ChildProcess;
  ready: Promise<string>;
  exit: Promise<number | null>;
} {
  const dir = mkdtempSync(join(tmpdir(), "brook-console-"));
  dirs.push(dir);
  const props: Record<string, string> = {
    listeners: "PLAINTEXT://127.0.0.1:0,CONTROLLER://127.0.0.1:0",
    "advertised.listeners": "PLAINTEXT://127.0.0.1:0",
    "controller.quorum.voters": "1@127.0.0.1:0",
    "log.dirs": dir,
    "schema.registry.enable": "false",
    "rest.proxy.enable": "false",
    ...overrides,
  };
  const args = [...MAIN_ARGS, "server", "start"];
  for (const [k, v] of Object.entries(props)) args.push("--override", `${k}=${v}`);
  const child = spawn(process.execPath, args, {
    cwd: root,
    stdio: ["ignore", "pipe", "pipe"],
    env: { ...process.env, BROOK_LOG_LEVEL: "warn" },
  });
  children.add(child);
  let stderr = "";
  child.stderr?.on("data", (c: Buffer) => {
    stderr += c.toString();
  });
  const exit = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  const ready = new Promise<string>((resolve, reject) => {
    let stdout = "";
    const timer = setTimeout(() => reject(new Error(`not ready; stderr: ${stderr}`)), READY_TIMEOUT_MS);
    child.stdout?.on("data", (c: Buffer) => {
      stdout += c.toString();
      const line = stdout.split("\n").find((l) => l.startsWith("brook ready "));
      if (line !== undefined) {
        clearTimeout(timer);
        resolve(line);
      }
    });
    void exit.then((code) => {
      clearTimeout(timer);
      reject(new Error(`exited with ${code} before ready; stderr: ${stderr}`));
    });
  });
  return { child, ready, exit };
}

test("brook server start serves the console page and API on console.listeners", async () => {
  const { child, ready, exit } = await start({
    "console.enable": "true",
    "console.listeners": "http://127.0.0.1:0",
  });
  const line = await ready;
  const url = /\bconsole=(http:\/\/127\.0\.0\.1:\d+)/.exec(line)?.[1];
  assert.ok(url !== undefined, `no console= in '${line}'`);
  const page = await fetch(`${url}/`);
  assert.equal(page.status, 200);
  assert.match(await page.text(), /<title>Brook console<\/title>/);
  const script = await fetch(`${url}/app.js`);
  assert.equal(script.status, 200);
  assert.equal(script.headers.get("content-type"), "text/javascript; charset=utf-8");
  const cluster = (await (await fetch(`${url}/api/cluster`)).json()) as { clusterId: string };
  assert.match(line, new RegExp(`cluster=${cluster.clusterId}`));
  child.kill("SIGTERM");
  assert.equal(await exit, 0);
});

test("console.enable=false starts no console; a bad console.listeners stops the start with exit code 2", async () => {
  const off = start({ "console.enable": "false" });
  assert.doesNotMatch(await off.ready, /console=/);
  off.child.kill("SIGKILL");
  await off.exit;

  const bad = start({ "console.enable": "true", "console.listeners": "https://127.0.0.1:0" });
  bad.ready.catch(() => {});
  assert.equal(await bad.exit, 2);
});
