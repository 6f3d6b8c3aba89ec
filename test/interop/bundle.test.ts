import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { BROOK_BUNDLE, BrokerProcess, kcat, REPO_ROOT } from "./broker-process.js";

/**
 * `npm start` and the `brook` command run the single-file build (dist/src/cli/brook.js: one module
 * to load instead of ~440, which halves the time to `brook ready`). It must behave as the module
 * tree does: a broker that kcat sees, the Schema Registry, the console and its page, the version.
 */
test("the bundled brook starts a broker with its registry and console", async () => {
  const broker = await BrokerProcess.start({
    main: BROOK_BUNDLE,
    overrides: {
      "schema.registry.enable": "true",
      "schema.registry.listeners": "http://127.0.0.1:0",
      "console.enable": "true",
      "console.listeners": "http://127.0.0.1:0",
    },
  });
  try {
    const metadata = await kcat(["-b", broker.bootstrap, "-L"]);
    assert.match(metadata, /1 brokers:/);
    const registry = /\bregistry=(\S+)/.exec(broker.readyLine)?.[1];
    const console = /\bconsole=(\S+)/.exec(broker.readyLine)?.[1];
    assert.ok(registry !== undefined && console !== undefined, broker.readyLine);
    assert.deepEqual(await (await fetch(`${registry}/subjects`)).json(), []);
    const page = await fetch(`${console}/`);
    assert.equal(page.status, 200);
    assert.match(await page.text(), /<html/i);
  } finally {
    await broker.dispose();
  }
});

test("the bundled brook prints the package's version", () => {
  const version = spawnSync(process.execPath, [BROOK_BUNDLE, "version"], { encoding: "utf8" });
  const pkg = JSON.parse(readFileSync(join(REPO_ROOT, "package.json"), "utf8")) as { version: string };
  assert.equal(version.stdout.trim(), pkg.version);
});

/**
 * V8 keeps a script's source as one string, Latin-1 when every character fits and UTF-16 as soon as
 * one does not: a single "→" kept in a comment made the idle broker hold its 2.3 MB bundle as
 * 4.6 MB (the largest object of a heap snapshot). esbuild escapes what it emits in strings; what
 * it keeps of comments it copies as written.
 */
test("the bundle is Latin-1, so that V8 holds its source at one byte per character", () => {
  const source = readFileSync(BROOK_BUNDLE, "utf8");
  const wide = [...source.matchAll(/[^\u0000-\u00ff]/gu)].map((m) => {
    const line = source.slice(0, m.index).split("\n").length;
    return `line ${line}: ${JSON.stringify(m[0])}`;
  });
  assert.deepEqual(
    wide,
    [],
    "characters beyond Latin-1 in dist/src/cli/brook.js (write them in ASCII in src/)",
  );
});
