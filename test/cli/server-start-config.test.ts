import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { BROOK_MAIN } from "../interop/broker-process.js";

/**
 * `brook server start` with a server.properties value Kafka 4 refuses: the start stops before
 * anything listens, with exit code 2 and Kafka's message naming the key.
 */

const dirs: string[] = [];
after(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

function startWith(properties: Record<string, string>, overrides: Record<string, string> = {}) {
  const dir = mkdtempSync(join(tmpdir(), "brook-start-config-"));
  dirs.push(dir);
  const file = join(dir, "server.properties");
  const lines = Object.entries({
    "process.roles": "broker,controller",
    "node.id": "1",
    "controller.quorum.voters": "1@127.0.0.1:0",
    listeners: "PLAINTEXT://127.0.0.1:0,CONTROLLER://127.0.0.1:0",
    "advertised.listeners": "PLAINTEXT://127.0.0.1:0",
    "controller.listener.names": "CONTROLLER",
    "log.dirs": join(dir, "data"),
    "console.enable": "false",
    "schema.registry.enable": "false",
    ...properties,
  }).map(([k, v]) => `${k}=${v}`);
  writeFileSync(file, `${lines.join("\n")}\n`);
  const args = [BROOK_MAIN, "server", "start", file];
  for (const [k, v] of Object.entries(overrides)) args.push("--override", `${k}=${v}`);
  const run = spawnSync(process.execPath, args, {
    encoding: "utf8",
    timeout: 20_000,
    env: { ...process.env, BROOK_LOG_LEVEL: "warn" },
  });
  return { status: run.status, stderr: run.stderr, stdout: run.stdout };
}

test("log.segment.bytes below Kafka 4's 1 MiB minimum stops the start: exit code 2 and Kafka's message", () => {
  const run = startWith({ "log.segment.bytes": "20000" });
  assert.equal(run.status, 2, run.stderr);
  assert.equal(
    run.stderr.trim(),
    "brook: Invalid value 20000 for configuration log.segment.bytes: Value must be at least 1048576",
  );
  assert.equal(run.stdout, "", "never ready");
});

test("other values Kafka refuses at start name their key too, from the file or an --override", () => {
  const cases: [Record<string, string>, Record<string, string>, string][] = [
    [
      {},
      { "log.message.timestamp.after.max.ms": "-1" },
      "Invalid value -1 for configuration log.message.timestamp.after.max.ms: Value must be at least 0",
    ],
    [
      { "num.recovery.threads.per.data.dir": "0" },
      {},
      "Invalid value 0 for configuration num.recovery.threads.per.data.dir: Value must be at least 1",
    ],
    [
      { "offsets.topic.replication.factor": "40000" },
      {},
      "Invalid value 40000 for configuration offsets.topic.replication.factor: Not a number of type SHORT",
    ],
    [
      { "compression.gzip.level": "12" },
      {},
      "Invalid value 12 for configuration compression.gzip.level: Value must be between 1 and 9 or equal to -1",
    ],
    // No validator on log.roll.ms, as in Kafka: the topic default it supplies refuses it.
    [{ "log.roll.ms": "0" }, {}, "Invalid value 0 for configuration segment.ms: Value must be at least 1"],
  ];
  for (const [properties, overrides, message] of cases) {
    const run = startWith(properties, overrides);
    assert.equal(run.status, 2, run.stderr);
    assert.equal(run.stderr.trim(), `brook: ${message}`);
  }
});
