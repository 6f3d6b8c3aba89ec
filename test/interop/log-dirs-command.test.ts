import assert from "node:assert/strict";
import { resolve } from "node:path";
import { after, before, test } from "node:test";
import { BROOK_MAIN, BrokerProcess, kcat, runTool, TEST_TIMEOUT_MS } from "./broker-process.js";

/**
 * `brook log-dirs` (kafka-log-dirs.sh) against a broker process: the broker's log dir with the
 * partitions of a topic kcat wrote to, sizes that grow with what was written, Kafka's JSON line,
 * and its refusal of brokers the cluster does not have.
 */

let broker: BrokerProcess;

interface LogDirsJson {
  version: number;
  brokers: {
    broker: number;
    logDirs: {
      logDir: string;
      error: string | null;
      partitions: { partition: string; size: number; offsetLag: number; isFuture: boolean }[];
    }[];
  }[];
}

function logDirs(...args: string[]) {
  return runTool(
    process.execPath,
    [BROOK_MAIN, "log-dirs", "--bootstrap-server", broker.bootstrap, ...args],
    {
      timeoutMs: 60_000,
    },
  );
}

before(async () => {
  broker = await BrokerProcess.start();
  for (const [topic, partitions] of [
    ["sizes", "3"],
    ["other", "1"],
  ] as const) {
    const create = await runTool(process.execPath, [
      BROOK_MAIN,
      "topics",
      "--bootstrap-server",
      broker.bootstrap,
      "--create",
      "--topic",
      topic,
      "--partitions",
      partitions,
    ]);
    assert.equal(create.code, 0, create.stderr);
  }
  // 50 records of 200 bytes into sizes-0, one small one into sizes-1, none into sizes-2.
  const big = `${Array.from({ length: 50 }, (_, i) => `${i}`.padEnd(200, "x")).join("\n")}\n`;
  await kcat(["-P", "-b", broker.bootstrap, "-t", "sizes", "-p", "0", "-z", "none"], { input: big });
  await kcat(["-P", "-b", broker.bootstrap, "-t", "sizes", "-p", "1"], { input: "small\n" });
  await kcat(["-P", "-b", broker.bootstrap, "-t", "other", "-p", "0"], { input: "o\n" });
});

after(async () => {
  await broker?.dispose();
});

test("the broker's log dir and the topic's partitions with their sizes, as Kafka's JSON", {
  timeout: TEST_TIMEOUT_MS,
}, async () => {
  const run = await logDirs("--describe", "--topic-list", "sizes");
  assert.equal(run.code, 0, run.stderr);
  const [querying, received, json, ...rest] = run.stdout.split("\n");
  assert.equal(querying, "Querying brokers for log directories information");
  assert.equal(received, "Received log directory information from brokers 1");
  assert.deepEqual(rest, [""]);
  // Kafka 4.0's tool writes Java HashMaps: "brokers" before "version", "partitions" first in a dir.
  assert.match(json ?? "", /^\{"brokers":\[\{"broker":1,"logDirs":\[\{"partitions":\[\{"partition":"sizes-/);
  assert.match(json ?? "", /\],"error":null,"logDir":"[^"]+"\}\]\}\],"version":1\}$/);
  const parsed = JSON.parse(json ?? "") as LogDirsJson;
  const [dir] = parsed.brokers[0]?.logDirs ?? [];
  assert.equal(dir?.logDir, resolve(broker.dataDir));
  const sizes = new Map(dir?.partitions.map((p) => [p.partition, p]));
  assert.deepEqual(
    [...sizes.keys()].sort(),
    ["sizes-0", "sizes-1", "sizes-2"],
    "the topic's partitions only",
  );
  const size = (name: string) => sizes.get(name)?.size ?? -1;
  assert.ok(
    size("sizes-0") >= 50 * 200 && size("sizes-0") < 50 * 200 + 50 * 100,
    `sizes-0: ${size("sizes-0")} bytes`,
  );
  assert.ok(size("sizes-1") > 0 && size("sizes-1") < 200, `sizes-1: ${size("sizes-1")} bytes`);
  assert.equal(size("sizes-2"), 0);
  for (const p of sizes.values()) {
    assert.equal(p.offsetLag, 0);
    assert.equal(p.isFuture, false);
  }

  // Without --topic-list every partition of the broker, the other topic's too.
  const all = JSON.parse(
    (await logDirs("--describe", "--broker-list", "1")).stdout.split("\n")[2] ?? "",
  ) as LogDirsJson;
  const names = all.brokers[0]?.logDirs[0]?.partitions.map((p) => p.partition) ?? [];
  assert.ok(names.includes("other-0") && names.includes("sizes-2"), names.join(","));
});

test("brokers the cluster does not have, and a broker list that is no list", {
  timeout: TEST_TIMEOUT_MS,
}, async () => {
  assert.deepEqual(await logDirs("--describe", "--broker-list", "1,5,17,16"), {
    code: 1,
    signal: null,
    stdout: "",
    stderr:
      "ERROR: The given brokers do not exist from --broker-list: 16,17,5. Current existent brokers: 1\n",
  });
  assert.deepEqual(await logDirs("--describe", "--broker-list", "one"), {
    code: 1,
    signal: null,
    stdout: "",
    stderr: 'For input string: "one"\n',
  });
});
