import assert from "node:assert/strict";
import { request } from "node:http";
import { after, before, describe, test } from "node:test";
import { AdminClient, Consumer, Producer } from "../../src/client/index.js";
import { type BrookServer, startBroker } from "../../src/server/index.js";
import { assertError, type RestAnswer, rest } from "./rest-http.js";

/**
 * API v3 over HTTP against an in-process broker with the Schema Registry and the REST Proxy: the
 * resources' bodies (kind, metadata.self and resource_name, related links) as Confluent's OpenAPI
 * examples show them, their status codes, and the streamed record production.
 */

let server: BrookServer;
let base: string;
let clusterId: string;
let admin: AdminClient;

before(async () => {
  server = await startBroker({
    registry: true,
    restProxy: true,
    properties: { "auto.create.topics.enable": "false" },
  });
  base = server.restProxyUrl as string;
  clusterId = server.broker.clusterId;
  admin = new AdminClient({ bootstrap: server.bootstrap });
});

after(async () => {
  admin.close();
  await server.stop();
});

const JSON_TYPE = "application/json";

function v3(path: string, method = "GET", body?: unknown): Promise<RestAnswer> {
  return rest(base, `/v3/clusters/${clusterId}${path}`, {
    method,
    headers: { "content-type": JSON_TYPE },
    ...(body === undefined ? {} : { body }),
  });
}

describe("cluster and brokers", () => {
  test("GET /v3/clusters: the one cluster with its related resources", async () => {
    const answer = await rest(base, "/v3/clusters");
    assert.equal(answer.status, 200);
    assert.equal(answer.headers["content-type"], JSON_TYPE);
    const url = `${base}/v3/clusters/${clusterId}`;
    assert.deepEqual(answer.json, {
      kind: "KafkaClusterList",
      metadata: { self: `${base}/v3/clusters`, next: null },
      data: [
        {
          kind: "KafkaCluster",
          metadata: { self: url, resource_name: `crn:///kafka=${clusterId}` },
          cluster_id: clusterId,
          controller: { related: `${url}/brokers/1` },
          acls: { related: `${url}/acls` },
          brokers: { related: `${url}/brokers` },
          broker_configs: { related: `${url}/broker-configs` },
          consumer_groups: { related: `${url}/consumer-groups` },
          topics: { related: `${url}/topics` },
          partition_reassignments: { related: `${url}/topics/-/partitions/-/reassignment` },
        },
      ],
    });
    assert.equal(((await v3("")).json as { cluster_id: string }).cluster_id, clusterId);
    assertError(await rest(base, "/v3/clusters/other"), 404, 404, "Cluster other cannot be found.");
  });

  test("brokers, one broker, its configs", async () => {
    const list = (await v3("/brokers")).json as { kind: string; data: Record<string, unknown>[] };
    assert.equal(list.kind, "KafkaBrokerList");
    const broker = list.data[0] as Record<string, unknown>;
    assert.equal(broker["kind"], "KafkaBroker");
    assert.equal(broker["broker_id"], 1);
    assert.equal(broker["port"], server.port);
    assert.deepEqual((await v3("/brokers/1")).json, broker);
    assertError(await v3("/brokers/9"), 404, 404);
    const configs = (await v3("/brokers/1/configs")).json as {
      kind: string;
      data: Record<string, unknown>[];
    };
    assert.equal(configs.kind, "KafkaBrokerConfigList");
    const retention = configs.data.find((c) => c["name"] === "log.retention.hours") as Record<
      string,
      unknown
    >;
    assert.equal(retention["kind"], "KafkaBrokerConfig");
    assert.equal(retention["broker_id"], 1);
    assert.equal(typeof retention["is_default"], "boolean");
    assert.ok(Array.isArray(retention["synonyms"]));
    const one = (await v3("/brokers/1/configs/log.retention.hours")).json as Record<string, unknown>;
    assert.equal(one["value"], retention["value"]);
  });
});

describe("topics", () => {
  test("create (201, Location), get, list, partitions, replicas, delete (204), then 40403", async () => {
    const created = await v3("/topics", "POST", {
      topic_name: "v3-topic",
      partitions_count: 3,
      replication_factor: 1,
      configs: [{ name: "cleanup.policy", value: "compact" }],
    });
    assert.equal(created.status, 201, created.text);
    const self = `${base}/v3/clusters/${clusterId}/topics/v3-topic`;
    assert.equal(created.headers["location"], self);
    assert.deepEqual(created.json, {
      kind: "KafkaTopic",
      metadata: { self, resource_name: `crn:///kafka=${clusterId}/topic=v3-topic` },
      cluster_id: clusterId,
      topic_name: "v3-topic",
      is_internal: false,
      replication_factor: 1,
      partitions_count: 3,
      partitions: { related: `${self}/partitions` },
      configs: { related: `${self}/configs` },
      partition_reassignments: { related: `${self}/partitions/-/reassignment` },
      authorized_operations: [],
    });
    assert.deepEqual((await v3("/topics/v3-topic")).json, created.json);
    const list = (await v3("/topics")).json as { kind: string; data: { topic_name: string }[] };
    assert.equal(list.kind, "KafkaTopicList");
    assert.ok(list.data.some((t) => t.topic_name === "v3-topic"));
    const partitions = (await v3("/topics/v3-topic/partitions")).json as { data: Record<string, unknown>[] };
    assert.equal(partitions.data.length, 3);
    assert.deepEqual(partitions.data[2], {
      kind: "KafkaPartition",
      metadata: {
        self: `${self}/partitions/2`,
        resource_name: `crn:///kafka=${clusterId}/topic=v3-topic/partition=2`,
      },
      cluster_id: clusterId,
      topic_name: "v3-topic",
      partition_id: 2,
      leader: { related: `${self}/partitions/2/replicas/1` },
      replicas: { related: `${self}/partitions/2/replicas` },
      reassignment: { related: `${self}/partitions/2/reassignment` },
    });
    const replica = (await v3("/topics/v3-topic/partitions/0/replicas/1")).json as Record<string, unknown>;
    assert.equal(replica["is_leader"], true);
    assert.equal(replica["is_in_sync"], true);
    assertError(await v3("/topics/v3-topic/partitions/7"), 404, 40403);
    const patched = await v3("/topics/v3-topic", "PATCH", { partitions_count: 4 });
    assert.equal((patched.json as { partitions_count: number }).partitions_count, 4);
    assert.equal((await v3("/topics/v3-topic", "DELETE")).status, 204);
    assertError(await v3("/topics/v3-topic"), 404, 40403, "This server does not host this topic-partition.");
  });

  test("create errors: an existing topic 40002, an invalid name 422, no body 422; validate_only 200", async () => {
    await v3("/topics", "POST", { topic_name: "exists", partitions_count: 1 });
    assertError(await v3("/topics", "POST", { topic_name: "exists" }), 400, 40002, /already exists/);
    assertError(
      await v3("/topics", "POST", { topic_name: "bad name!" }),
      422,
      422,
      "Payload error. Invalid topic name.",
    );
    assertError(
      await v3("/topics", "POST"),
      422,
      422,
      "Payload error. Request body is empty. Data is required.",
    );
    const dry = await v3("/topics", "POST", { topic_name: "dry", partitions_count: 2, validate_only: true });
    assert.equal(dry.status, 200, dry.text);
    assertError(await v3("/topics/dry"), 404, 40403);
    assertError(
      await rest(base, `/v3/clusters/${clusterId}/topics`, {
        method: "POST",
        headers: { "content-type": "text/plain" },
        body: "x",
      }),
      415,
      415,
    );
  });

  test("configs: list, get, set (PUT), reset (DELETE), batch alter", async () => {
    await v3("/topics", "POST", { topic_name: "configured", partitions_count: 1 });
    const list = (await v3("/topics/configured/configs")).json as {
      kind: string;
      data: Record<string, unknown>[];
    };
    assert.equal(list.kind, "KafkaTopicConfigList");
    const cleanup = list.data.find((c) => c["name"] === "cleanup.policy") as Record<string, unknown>;
    assert.equal(cleanup["kind"], "KafkaTopicConfig");
    assert.equal(cleanup["value"], "delete");
    assert.equal(cleanup["source"], "DEFAULT_CONFIG");
    assert.equal(
      (cleanup["metadata"] as { resource_name: string }).resource_name,
      `crn:///kafka=${clusterId}/topic=configured/config=cleanup.policy`,
    );
    assert.equal((await v3("/topics/configured/configs/retention.ms", "PUT", { value: "1000" })).status, 204);
    const set = (await v3("/topics/configured/configs/retention.ms")).json as Record<string, unknown>;
    assert.equal(set["value"], "1000");
    assert.equal(set["source"], "DYNAMIC_TOPIC_CONFIG");
    assert.equal(set["is_default"], false);
    const batch = await v3("/topics/configured/configs:alter", "POST", {
      data: [
        { name: "retention.ms", operation: "DELETE" },
        { name: "cleanup.policy", value: "compact" },
      ],
    });
    assert.equal(batch.status, 204, batch.text);
    const after = (await v3("/topics/configured/configs/cleanup.policy")).json as Record<string, unknown>;
    assert.equal(after["value"], "compact");
    assert.equal(
      ((await v3("/topics/configured/configs/retention.ms")).json as Record<string, unknown>)["is_default"],
      true,
    );
    assert.equal((await v3("/topics/configured/configs/cleanup.policy", "DELETE")).status, 204);
    assertError(await v3("/topics/configured/configs/no.such.config"), 404, 404);
    assertError(await v3("/topics/configured/configs/retention.ms", "PUT", { value: "soon" }), 400, 40002);
  });
});

/** POSTs a body and reads the answer lines as they come (the streamed produce). */
function streamRecords(
  path: string,
  chunks: string[],
): Promise<{ status: number; lines: Record<string, unknown>[]; raw: string }> {
  const url = new URL(base);
  return new Promise((resolve, reject) => {
    const req = request(
      { host: url.hostname, port: url.port, path, method: "POST", headers: { "content-type": JSON_TYPE } },
      (res) => {
        let raw = "";
        res.setEncoding("utf8");
        res.on("data", (c: string) => {
          raw += c;
        });
        res.on("end", () =>
          resolve({
            status: res.statusCode ?? 0,
            raw,
            lines: raw
              .split("\r\n")
              .filter((l) => l !== "")
              .map((l) => JSON.parse(l) as Record<string, unknown>),
          }),
        );
      },
    );
    req.on("error", reject);
    // Chunked: every write is its own chunk, as a streaming client sends records.
    for (const chunk of chunks) req.write(chunk);
    req.end();
  });
}

describe("records", () => {
  test("one record: the answer says where it went and what key and value were", async () => {
    await v3("/topics", "POST", { topic_name: "v3-records", partitions_count: 2 });
    const answer = await v3("/topics/v3-records/records", "POST", {
      partition_id: 1,
      headers: [{ name: "Header-1", value: Buffer.from("h1").toString("base64") }],
      key: { type: "BINARY", data: Buffer.from("foobar").toString("base64") },
      value: { type: "JSON", data: { foo: "bar" } },
      timestamp: "2021-02-05T19:14:42Z",
    });
    assert.equal(answer.status, 200, answer.text);
    assert.ok(answer.text.endsWith("\r\n"));
    assert.deepEqual(answer.json, {
      error_code: 200,
      cluster_id: clusterId,
      topic_name: "v3-records",
      partition_id: 1,
      offset: 0,
      timestamp: "2021-02-05T19:14:42Z",
      key: { type: "BINARY", size: 6 },
      value: { type: "JSON", size: 13 },
    });
    const consumer = new Consumer({ bootstrap: server.bootstrap });
    consumer.assign([{ topic: "v3-records", partition: 1, offset: 0n }]);
    const [record] = await consumer.poll(2000);
    await consumer.close();
    assert.equal(record?.key?.toString(), "foobar");
    assert.equal(record?.value?.toString(), '{"foo":"bar"}');
    assert.equal(record?.timestamp, BigInt(Date.parse("2021-02-05T19:14:42Z")));
    assert.deepEqual(
      record?.headers.map((h) => [h.key, h.value?.toString()]),
      [["Header-1", "h1"]],
    );
  });

  test("streaming: records in one chunked request, each answered in order, errors in their place", async () => {
    const records = [
      { value: { type: "STRING", data: "first" } },
      { value: { type: "BINARY", data: "!!" } },
      { partition_id: 0, value: { type: "STRING", data: "third" } },
      { partition_id: 9, value: { type: "STRING", data: "no such partition" } },
    ];
    const text = records.map((r) => JSON.stringify(r)).join("\n");
    // Cut mid-record, so that records span chunks.
    const answer = await streamRecords(`/v3/clusters/${clusterId}/topics/v3-records/records`, [
      text.slice(0, 17),
      text.slice(17, 60),
      text.slice(60),
    ]);
    assert.equal(answer.status, 200);
    assert.equal(answer.lines.length, 4, answer.raw);
    assert.equal(answer.lines[0]?.["error_code"], 200);
    assert.deepEqual(answer.lines[1], {
      error_code: 400,
      message: 'Bad Request: data="!!" is not a valid base64 string.',
    });
    assert.equal(answer.lines[2]?.["partition_id"], 0);
    assert.deepEqual(answer.lines[3], { error_code: 40402, message: "Partition not found." });
  });

  test("avro with a raw schema: registered, and its subject, id and version answered", async () => {
    const answer = await v3("/topics/v3-records/records", "POST", {
      key: { type: "STRING", data: "k" },
      value: { type: "AVRO", schema: '{"type":"string"}', data: "foobar" },
    });
    const body = answer.json as {
      value: { type: string; subject: string; schema_id: number; schema_version: number; size: number };
    };
    assert.equal(body.value.type, "AVRO");
    assert.equal(body.value.subject, "v3-records-value");
    assert.equal(body.value.schema_version, 1);
    assert.equal(body.value.size, 5 + 7);
    // Without a type, the subject's latest schema is used.
    const latest = await v3("/topics/v3-records/records", "POST", { value: { data: "again" } });
    assert.equal((latest.json as { value: { schema_id: number } }).value.schema_id, body.value.schema_id);
  });

  test("errors: an empty body 422; an unknown topic 40401 in the stream", async () => {
    assertError(
      await v3("/topics/v3-records/records", "POST"),
      422,
      422,
      "Payload error. Request body is empty. Data is required.",
    );
    const unknown = await v3("/topics/nope/records", "POST", { value: { type: "STRING", data: "x" } });
    assert.equal(unknown.status, 200);
    // Kafka's producer fails so after max.block.ms, and kafka-rest maps that to 40401; Brook knows at once.
    assert.deepEqual(unknown.json, { error_code: 40401, message: "Topic nope not present in metadata." });
  });
});

describe("consumer groups", () => {
  test("a group, its consumers and assignments, its lags and lag summary", async () => {
    await v3("/topics", "POST", { topic_name: "lagging", partitions_count: 2 });
    const producer = new Producer({ bootstrap: server.bootstrap });
    for (let i = 0; i < 10; i++) await producer.send({ topic: "lagging", partition: i % 2, value: `v${i}` });
    await producer.close();
    const consumer = new Consumer({
      bootstrap: server.bootstrap,
      groupId: "laggards",
      clientId: "lag-client",
      autoOffsetReset: "earliest",
      enableAutoCommit: false,
      maxPollRecords: 3,
    });
    consumer.subscribe(["lagging"]);
    let read = 0;
    while (read < 3) read += (await consumer.poll(1000)).length;
    await consumer.commitSync();
    try {
      const groups = (await v3("/consumer-groups")).json as { kind: string; data: Record<string, unknown>[] };
      assert.equal(groups.kind, "KafkaConsumerGroupList");
      const group = groups.data.find((g) => g["consumer_group_id"] === "laggards") as Record<string, unknown>;
      const url = `${base}/v3/clusters/${clusterId}`;
      assert.deepEqual(group, {
        kind: "KafkaConsumerGroup",
        metadata: {
          self: `${url}/consumer-groups/laggards`,
          resource_name: `crn:///kafka=${clusterId}/consumer-group=laggards`,
        },
        cluster_id: clusterId,
        consumer_group_id: "laggards",
        is_simple: false,
        partition_assignor: "range",
        state: "STABLE",
        type: "CLASSIC",
        is_mixed_consumer_group: false,
        coordinator: { related: `${url}/brokers/1` },
        consumers: { related: `${url}/consumer-groups/laggards/consumers` },
        lag_summary: { related: `${url}/consumer-groups/laggards/lag-summary` },
      });
      const consumers = (await v3("/consumer-groups/laggards/consumers")).json as {
        data: Record<string, unknown>[];
      };
      const member = consumers.data[0] as Record<string, unknown>;
      assert.equal(member["client_id"], "lag-client");
      const memberId = member["consumer_id"] as string;
      const assignments = (await v3(`/consumer-groups/laggards/consumers/${memberId}/assignments`)).json as {
        data: Record<string, unknown>[];
      };
      assert.deepEqual(
        assignments.data.map((a) => [a["topic_name"], a["partition_id"]]),
        [
          ["lagging", 0],
          ["lagging", 1],
        ],
      );
      const lags = (await v3("/consumer-groups/laggards/lags")).json as { data: Record<string, unknown>[] };
      const total = lags.data.reduce((sum, l) => sum + (l["lag"] as number), 0);
      assert.equal(total, 10 - read);
      assert.ok((lags.data[0]?.["lag"] as number) >= (lags.data.at(-1)?.["lag"] as number), "sorted by lag");
      for (const l of lags.data) {
        assert.equal(l["log_end_offset"], 5);
        assert.equal(l["consumer_id"], memberId);
      }
      const summary = (await v3("/consumer-groups/laggards/lag-summary")).json as Record<string, unknown>;
      assert.equal(summary["kind"], "KafkaConsumerGroupLagSummary");
      assert.equal(summary["total_lag"], total);
      assert.equal(summary["max_lag"], lags.data[0]?.["lag"]);
      assert.equal(summary["max_lag_client_id"], "lag-client");
      const one = (await v3("/consumer-groups/laggards/lags/lagging/partitions/1")).json as Record<
        string,
        unknown
      >;
      assert.equal(one["kind"], "KafkaConsumerLag");
      assertError(await v3("/consumer-groups/nobody"), 404, 404);
      assertError(
        await v3("/consumer-groups/nobody/lags"),
        404,
        404,
        "Consumer Group nobody could not be found.",
      );
    } finally {
      await consumer.close();
    }
  });
});
