import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { SchemaRegistry as ConfluentRegistry } from "@kafkajs/confluent-schema-registry";
import { sleep } from "../helpers/wait-for.js";
import { post, type RestAnswer, rest, V2, V2_AVRO, V2_BINARY, V2_JSON } from "../rest-proxy/rest-http.js";
import {
  BrokerProcess,
  kcat,
  kcatConsume,
  REPO_ROOT,
  runTool,
  TEST_TIMEOUT_MS,
  waitFor,
} from "./broker-process.js";
import { kafkajsClient } from "./kafkajs-client.js";

/**
 * The REST Proxy of a broker process (`rest.proxy.enable`) with real clients on the other side:
 * records produced over HTTP (binary, json, avro with a schema registered through the proxy) read
 * with kcat and kafkajs, records produced with kcat read through a proxy consumer instance, a
 * group shared by two instances and left by one that expires, v3 topics seen by `kcat -L`, and the
 * README's curl commands run as written.
 */

const INSTANCE_TIMEOUT_MS = 5000;

let broker: BrokerProcess;
let base: string;
let registryUrl: string;

before(async () => {
  broker = await BrokerProcess.start({
    overrides: {
      "rest.proxy.enable": "true",
      "rest.proxy.listeners": "http://127.0.0.1:0",
      "rest.proxy.consumer.instance.timeout.ms": String(INSTANCE_TIMEOUT_MS),
      "schema.registry.enable": "true",
      "schema.registry.listeners": "http://127.0.0.1:0",
      // The README's commands assume the single-node default of one partition per new topic.
      "num.partitions": "1",
    },
  });
  base = /\brest=(\S+)/.exec(broker.readyLine)?.[1] ?? "";
  registryUrl = /\bregistry=(\S+)/.exec(broker.readyLine)?.[1] ?? "";
  assert.match(base, /^http:\/\/127\.0\.0\.1:\d+$/, broker.readyLine);
});

after(async () => {
  await broker?.dispose();
});

const b64 = (text: string) => Buffer.from(text).toString("base64");

function ok(answer: RestAnswer, status = 200): RestAnswer {
  assert.equal(answer.status, status, answer.text);
  return answer;
}

async function createTopic(name: string, partitions: number): Promise<void> {
  const cluster = ((await rest(base, "/v3/clusters")).json as { data: { cluster_id: string }[] }).data[0]
    ?.cluster_id;
  ok(
    await rest(base, `/v3/clusters/${cluster}/topics`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: { topic_name: name, partitions_count: partitions },
    }),
    201,
  );
}

test("records produced over HTTP (v2 binary and json, v3 with headers) as kcat reads them", {
  timeout: TEST_TIMEOUT_MS,
}, async () => {
  await createTopic("http-in", 3);
  ok(
    await post(base, "/topics/http-in", V2_BINARY, {
      records: [
        { key: b64("k0"), value: b64("binary zero"), partition: 0 },
        { key: b64("k2"), value: b64("binary two"), partition: 2 },
      ],
    }),
  );
  ok(await post(base, "/topics/http-in/partitions/1", V2_JSON, { records: [{ key: "j", value: { n: 1 } }] }));
  const cluster = broker.clusterId;
  const v3 = ok(
    await rest(base, `/v3/clusters/${cluster}/topics/http-in/records`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: {
        partition_id: 1,
        headers: [{ name: "trace", value: b64("t-1") }],
        key: { type: "STRING", data: "s" },
        value: { type: "STRING", data: "string value" },
      },
    }),
  );
  assert.equal((v3.json as { offset: number }).offset, 1);
  const records = await kcatConsume(broker.bootstrap, "http-in");
  const byPartition = (p: number) => records.filter((r) => r.partition === p).map((r) => [r.key, r.payload]);
  assert.deepEqual(byPartition(0), [["k0", "binary zero"]]);
  assert.deepEqual(byPartition(2), [["k2", "binary two"]]);
  assert.deepEqual(byPartition(1), [
    ['"j"', '{"n":1}'],
    ["s", "string value"],
  ]);
  const withHeader = records.find((r) => r.key === "s");
  assert.deepEqual(withHeader?.headers, ["trace", "t-1"]);
});

test("avro over HTTP with the schema registered through the proxy: Confluent's framing, read by kafkajs", {
  timeout: TEST_TIMEOUT_MS,
}, async () => {
  const schema = {
    type: "record",
    name: "Payment",
    namespace: "io.example",
    fields: [
      { name: "id", type: "string" },
      { name: "amount", type: "double" },
      { name: "note", type: ["null", "string"], default: null },
    ],
  };
  const answer = ok(
    await post(base, "/topics/payments", V2_AVRO, {
      key_schema: JSON.stringify({ type: "string" }),
      value_schema: JSON.stringify(schema),
      records: [
        { key: "p1", value: { id: "p1", amount: 9.5, note: { string: "first" } } },
        { key: "p2", value: { id: "p2", amount: 1.25, note: null } },
      ],
    }),
  );
  const ids = answer.json as { key_schema_id: number; value_schema_id: number };
  assert.ok(ids.key_schema_id > 0 && ids.value_schema_id > 0 && ids.key_schema_id !== ids.value_schema_id);
  const kafka = kafkajsClient(broker.bootstrap);
  const consumer = kafka.consumer({ groupId: "avro-reader" });
  const registry = new ConfluentRegistry({ host: registryUrl });
  const seen: { key: Buffer; value: Buffer }[] = [];
  await consumer.connect();
  try {
    await consumer.subscribe({ topic: "payments", fromBeginning: true });
    await consumer.run({
      eachMessage: async ({ message }) => {
        seen.push({ key: message.key as Buffer, value: message.value as Buffer });
      },
    });
    await waitFor("two records", async () => (seen.length >= 2 ? true : undefined), 20_000);
  } finally {
    await consumer.disconnect();
  }
  for (const { key, value } of seen) {
    assert.equal(value[0], 0, "magic byte");
    assert.equal(value.readInt32BE(1), ids.value_schema_id);
    assert.equal(key.readInt32BE(1), ids.key_schema_id);
  }
  // Plain data: avsc decodes records as instances of a class named after the record.
  const decoded = JSON.parse(JSON.stringify(await Promise.all(seen.map((s) => registry.decode(s.value)))));
  assert.deepEqual(decoded, [
    { id: "p1", amount: 9.5, note: "first" },
    { id: "p2", amount: 1.25, note: null },
  ]);
  assert.deepEqual(await Promise.all(seen.map((s) => registry.decode(s.key))), ["p1", "p2"]);
});

/** Reads an instance's records until `count` came; every read also keeps it from expiring. */
async function readUntil(
  path: string,
  accept: string,
  count: number,
  timeoutMs = 20_000,
): Promise<Record<string, unknown>[]> {
  const out: Record<string, unknown>[] = [];
  const end = Date.now() + timeoutMs;
  while (out.length < count && Date.now() < end) {
    out.push(
      ...(ok(await rest(base, `${path}/records?timeout=500`, { headers: { accept } })).json as Record<
        string,
        unknown
      >[]),
    );
  }
  return out;
}

test("records produced with kcat read through a consumer instance, committed for the group", {
  timeout: TEST_TIMEOUT_MS,
}, async () => {
  await kcat(["-b", broker.bootstrap, "-P", "-t", "from-kcat", "-K:"], { input: "a:one\nb:two\nc:three\n" });
  const created = ok(
    await post(base, "/consumers/kcat-readers", V2, { name: "r", "auto.offset.reset": "earliest" }),
  );
  const path = new URL((created.json as { base_uri: string }).base_uri).pathname;
  ok(await post(base, `${path}/subscription`, V2, { topics: ["from-kcat"] }), 204);
  const records = await readUntil(path, V2_BINARY, 3);
  assert.deepEqual(
    records.map((r) => [
      Buffer.from(r["key"] as string, "base64").toString(),
      Buffer.from(r["value"] as string, "base64").toString(),
      r["offset"],
    ]),
    [
      ["a", "one", 0],
      ["b", "two", 1],
      ["c", "three", 2],
    ],
  );
  ok(await post(base, `${path}/offsets`, V2));
  const admin = kafkajsClient(broker.bootstrap).admin();
  await admin.connect();
  try {
    const [topic] = await admin.fetchOffsets({ groupId: "kcat-readers", topics: ["from-kcat"] });
    assert.deepEqual(
      topic?.partitions.map((p) => p.offset),
      ["3"],
    );
  } finally {
    await admin.disconnect();
  }
  ok(await rest(base, path, { method: "DELETE" }), 204);
});

/** The group's members as kafkajs's admin describes them, with their partitions. */
async function members(group: string): Promise<{ clientId: string; partitions: number[] }[]> {
  const admin = kafkajsClient(broker.bootstrap).admin();
  await admin.connect();
  try {
    const { groups } = await admin.describeGroups([group]);
    return (groups[0]?.members ?? []).map((m) => ({
      clientId: m.clientId,
      // ConsumerProtocolAssignment v0: version, [topic, [partition]], user data.
      partitions: decodePartitions(m.memberAssignment),
    }));
  } finally {
    await admin.disconnect();
  }
}

function decodePartitions(assignment: Buffer): number[] {
  if (assignment.length < 6) return [];
  let at = 2;
  const topics = assignment.readInt32BE(at);
  at += 4;
  const out: number[] = [];
  for (let t = 0; t < topics; t++) {
    at += 2 + assignment.readInt16BE(at);
    const count = assignment.readInt32BE(at);
    at += 4;
    for (let i = 0; i < count; i++, at += 4) out.push(assignment.readInt32BE(at));
  }
  return out.sort();
}

test("two instances of a group share its partitions; one that expires leaves the group", {
  timeout: TEST_TIMEOUT_MS * 2,
}, async () => {
  await createTopic("shared-work", 2);
  for (const name of ["first", "second"])
    ok(await post(base, "/consumers/workers", V2, { name, "auto.offset.reset": "earliest" }));
  const first = "/consumers/workers/instances/first";
  const second = "/consumers/workers/instances/second";
  ok(await post(base, `${first}/subscription`, V2, { topics: ["shared-work"] }), 204);
  await readUntil(first, V2_BINARY, 0);
  const assigned = async (path: string) =>
    (
      (await rest(base, `${path}/assignments`)).json as { partitions: { partition: number }[] }
    ).partitions.map((p) => p.partition);
  await waitFor(
    "the first instance to hold both partitions",
    async () => {
      await rest(base, `${first}/records?timeout=200`);
      return (await assigned(first)).length === 2 ? true : undefined;
    },
    20_000,
  );
  ok(await post(base, `${second}/subscription`, V2, { topics: ["shared-work"] }), 204);
  // Both read (the rebalance completes inside their reads) until each holds one partition.
  await waitFor(
    "the group to split the partitions between the instances",
    async () => {
      await Promise.all([
        rest(base, `${first}/records?timeout=300`),
        rest(base, `${second}/records?timeout=300`),
      ]);
      const [a, b] = [await assigned(first), await assigned(second)];
      return a.length === 1 && b.length === 1 && a[0] !== b[0] ? true : undefined;
    },
    40_000,
    0,
  );
  const split = await members("workers");
  assert.equal(split.length, 2);
  assert.deepEqual(
    split.map((m) => m.partitions.length),
    [1, 1],
  );
  // The second instance is left alone: after consumer.instance.timeout.ms it is closed and leaves.
  const left = Date.now();
  await waitFor(
    "the expired instance to leave the group and the other to take both partitions",
    async () => {
      await rest(base, `${first}/records?timeout=300`);
      const now = await members("workers");
      return now.length === 1 && now[0]?.partitions.length === 2 ? true : undefined;
    },
    40_000,
    0,
  );
  assert.ok(Date.now() - left >= INSTANCE_TIMEOUT_MS - 1000, "not before its timeout");
  const gone = await rest(base, `${second}/assignments`);
  assert.equal(gone.status, 404);
  assert.equal((gone.json as { error_code: number }).error_code, 40403);
  ok(await rest(base, first, { method: "DELETE" }), 204);
});

test("a v3 topic created, described and deleted is what kcat -L sees", {
  timeout: TEST_TIMEOUT_MS,
}, async () => {
  const cluster = broker.clusterId;
  const topics = `/v3/clusters/${cluster}/topics`;
  const json = { "content-type": "application/json" };
  ok(
    await rest(base, topics, {
      method: "POST",
      headers: json,
      body: { topic_name: "made-over-http", partitions_count: 4 },
    }),
    201,
  );
  const listed = await kcat(["-b", broker.bootstrap, "-L", "-t", "made-over-http"]);
  assert.match(listed, /topic "made-over-http" with 4 partitions:/);
  const described = (ok(await rest(base, `${topics}/made-over-http`)).json as { partitions_count: number })
    .partitions_count;
  assert.equal(described, 4);
  ok(await rest(base, `${topics}/made-over-http`, { method: "DELETE" }), 204);
  await waitFor("kcat -L to no longer list the topic", async () => {
    const after = await kcat(["-b", broker.bootstrap, "-L"]);
    return after.includes('"made-over-http"') ? undefined : true;
  });
});

/** The README's REST Proxy commands: `$ ` lines (with `\` and `|` continuations), each followed by its output. */
function readmeCommands(): { command: string; expected: string[] }[] {
  const readme = readFileSync(join(REPO_ROOT, "README.md"), "utf8");
  const section = readme.slice(readme.indexOf("## REST Proxy"));
  const block = section.slice(
    section.indexOf("```console\n") + 11,
    section.indexOf("\n```", section.indexOf("```console")),
  );
  const steps: { command: string; expected: string[] }[] = [];
  let continuing = false;
  for (const line of block.split("\n")) {
    if (line.startsWith("$ ")) {
      steps.push({ command: line.slice(2), expected: [] });
      continuing = /[\\|]$/.test(line);
    } else if (continuing) {
      const step = steps.at(-1) as { command: string };
      step.command += `\n${line}`;
      continuing = /[\\|]$/.test(line);
    } else {
      steps.at(-1)?.expected.push(line);
    }
  }
  return steps;
}

test("the README's curl commands, as written (another port)", { timeout: TEST_TIMEOUT_MS }, async () => {
  const port = new URL(base).port;
  const shell: string[] = [];
  for (const { command, expected } of readmeCommands()) {
    const here = command.replaceAll("localhost:8082", `127.0.0.1:${port}`);
    // Variables set by one command (CLUSTER=...) are known to the next.
    if (/^[A-Z_]+=/.test(here)) {
      shell.push(here);
      continue;
    }
    let output = "";
    for (let attempt = 0; attempt < 20; attempt++) {
      const result = await runTool("bash", ["-c", [...shell, here].join("\n")]);
      assert.equal(result.code, 0, `${command}\n${result.stderr}`);
      // v3's streamed answers end each line with CRLF, as kafka-rest's chunked output does.
      output = result.stdout
        .replaceAll(`127.0.0.1:${port}`, "localhost:8082")
        .replaceAll("\r\n", "\n")
        .trim();
      // A new instance's first reads answer [] while it joins its group.
      if (!(here.includes("/records") && output === "[]")) break;
      await sleep(300);
    }
    const pattern = new RegExp(
      `^${expected
        .join("\n")
        .trim()
        .replace(/[.*+?^${}()|[\]\\]/g, "\\$&")
        .replace(/<[a-z ]+>/g, '[^"]*')}$`,
    );
    assert.match(output, pattern, command);
  }
});
