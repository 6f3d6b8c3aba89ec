import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import {
  AdminClient,
  AlterConfigOp,
  ClientError,
  ClientErrorCode,
  ConfigResourceType,
  ConfigSource,
} from "../../src/client/index.js";
import { type BrookServer, startBroker } from "../../src/index.js";
import { ApiKey, type CreateTopicsRequest, ErrorCode } from "../../src/protocol/index.js";
import { WireClient } from "../helpers/kafka-wire.js";
import { FakeBroker } from "./fake-broker.js";

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer().listen(0, "127.0.0.1", () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

describe("against a Brook broker", () => {
  let server: BrookServer;
  let admin: AdminClient;
  before(async () => {
    server = await startBroker({ properties: { "num.partitions": "3" } });
    admin = new AdminClient({ bootstrap: server.bootstrap, timeoutMs: 5000 });
  });
  after(async () => {
    admin?.close();
    await server?.stop();
  });

  test("createTopics waits for the answer; metadata shows each partition's leader, replicas and ISR", async () => {
    const results = await admin.createTopics([
      { name: "orders", numPartitions: 2, replicationFactor: 1, configs: { "retention.ms": "3600000" } },
      { name: "with-defaults" },
      { name: "assigned", assignments: [[1], [1], [1], [1]] },
    ]);
    assert.deepEqual(
      results.map((r) => [r.name, r.errorCode, r.errorMessage]),
      [
        ["orders", 0, null],
        ["with-defaults", 0, null],
        ["assigned", 0, null],
      ],
    );
    assert.equal(results[0]?.numPartitions, 2);
    assert.equal(results[1]?.numPartitions, 3);
    const metadata = await admin.metadata(["orders", "with-defaults", "assigned"]);
    assert.deepEqual(metadata.brokers, [{ nodeId: 1, host: "127.0.0.1", port: server.port, rack: null }]);
    assert.equal(metadata.controllerId, 1);
    assert.deepEqual(
      metadata.topics.map((t) => [t.name, t.errorCode, t.partitions.length]),
      [
        ["orders", 0, 2],
        ["with-defaults", 0, 3],
        ["assigned", 0, 4],
      ],
    );
    const orders = metadata.topics[0];
    assert.equal(orders?.topicId, results[0]?.topicId);
    for (const [i, p] of (orders?.partitions ?? []).entries()) {
      assert.equal(p.partitionIndex, i);
      assert.equal(p.leaderId, 1);
      assert.deepEqual(p.replicas, [1]);
      assert.deepEqual(p.isr, [1]);
      assert.ok(p.leaderEpoch >= 0);
    }
  });

  test("per-topic failures are results, returned at once when they are not retriable", async () => {
    await admin.createTopics([{ name: "exists-already" }]);
    const startMs = performance.now();
    const results = await admin.createTopics([
      { name: "exists-already" },
      { name: "too-many-replicas", numPartitions: 1, replicationFactor: 3 },
    ]);
    assert.equal(results[0]?.errorCode, ErrorCode.TOPIC_ALREADY_EXISTS);
    assert.equal(results[1]?.errorCode, ErrorCode.INVALID_REPLICATION_FACTOR);
    for (const r of results) assert.ok(r.errorMessage !== null && r.errorMessage.length > 0);
    assert.ok(performance.now() - startMs < 1000, "not retried");
  });

  test("validateOnly creates nothing", async () => {
    const [result] = await admin.createTopics([{ name: "only-validated", numPartitions: 1 }], {
      validateOnly: true,
    });
    assert.equal(result?.errorCode, 0);
    const metadata = await admin.metadata(["only-validated"]);
    assert.equal(metadata.topics[0]?.errorCode, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
  });

  test("createPartitions raises the count and refuses to lower it", async () => {
    await admin.createTopics([{ name: "growing", numPartitions: 1 }]);
    const [grown] = await admin.createPartitions([{ name: "growing", count: 4 }]);
    assert.equal(grown?.errorCode, 0);
    const metadata = await admin.metadata(["growing"]);
    assert.deepEqual(
      metadata.topics[0]?.partitions.map((p) => [p.partitionIndex, p.leaderId, p.isr]),
      [
        [0, 1, [1]],
        [1, 1, [1]],
        [2, 1, [1]],
        [3, 1, [1]],
      ],
    );
    const [lowered] = await admin.createPartitions([{ name: "growing", count: 2 }]);
    assert.equal(lowered?.errorCode, ErrorCode.INVALID_PARTITIONS);
  });

  test("describeConfigs and incrementalAlterConfigs, for topics and for the broker", async () => {
    await admin.createTopics([{ name: "configured", configs: { "retention.ms": "3600000" } }]);
    const topic = { resourceType: ConfigResourceType.topic, resourceName: "configured" };
    const [described] = await admin.describeConfigs([topic]);
    assert.equal(described?.errorCode, 0);
    const retention = described?.configs.find((c) => c.name === "retention.ms");
    assert.equal(retention?.value, "3600000");
    assert.equal(retention?.source, ConfigSource.dynamicTopicConfig);
    assert.equal(described?.configs.find((c) => c.name === "cleanup.policy")?.value, "delete");
    // Kafka's wire numbering: a default is 5 (DEFAULT_CONFIG), not the admin enum's position.
    assert.equal(
      described?.configs.find((c) => c.name === "cleanup.policy")?.source,
      ConfigSource.defaultConfig,
    );
    assert.equal(described?.configs.find((c) => c.name === "cleanup.policy")?.isDefault, true);

    const altered = await admin.incrementalAlterConfigs([
      {
        ...topic,
        configs: [
          { name: "retention.ms", configOperation: AlterConfigOp.delete },
          { name: "cleanup.policy", configOperation: AlterConfigOp.set, value: "compact" },
        ],
      },
      {
        resourceType: ConfigResourceType.topic,
        resourceName: "no-such-topic",
        configs: [{ name: "retention.ms", configOperation: AlterConfigOp.set, value: "1" }],
      },
    ]);
    assert.deepEqual(
      altered.map((r) => [r.resourceName, r.errorCode]),
      [
        ["configured", 0],
        ["no-such-topic", ErrorCode.UNKNOWN_TOPIC_OR_PARTITION],
      ],
    );
    const [after, broker] = await admin.describeConfigs([
      { ...topic, configurationKeys: ["retention.ms", "cleanup.policy"] },
      { resourceType: ConfigResourceType.broker, resourceName: "1", configurationKeys: ["num.partitions"] },
    ]);
    assert.deepEqual(
      after?.configs.map((c) => [c.name, c.value]),
      [
        ["retention.ms", "604800000"],
        ["cleanup.policy", "compact"],
      ],
    );
    assert.equal(after?.configs[1]?.source, ConfigSource.dynamicTopicConfig);
    assert.equal(broker?.errorCode, 0);
    assert.equal(broker?.configs[0]?.value, "3");
  });

  test("deleteTopics; deleting a topic that is not there is answered at once", async () => {
    await admin.createTopics([{ name: "doomed" }]);
    const [deleted] = await admin.deleteTopics(["doomed"]);
    assert.equal(deleted?.errorCode, 0);
    assert.equal(
      (await admin.metadata(["doomed"])).topics[0]?.errorCode,
      ErrorCode.UNKNOWN_TOPIC_OR_PARTITION,
    );
    const startMs = performance.now();
    const [again] = await admin.deleteTopics(["doomed"]);
    assert.equal(again?.errorCode, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
    assert.ok(performance.now() - startMs < 1000, "not retried");
  });

  test("listTopics leaves internal topics out unless asked; describeTopics answers in the order asked", async () => {
    await admin.createTopics([{ name: "listed", numPartitions: 2 }]);
    const wire = await WireClient.connect(server.port);
    await wire.request(ApiKey.FindCoordinator, 0, { key: "g" }); // creates __consumer_offsets
    wire.close();
    const external = await admin.listTopics();
    const all = await admin.listTopics({ listInternal: true });
    const offsets = all.find((t) => t.name === "__consumer_offsets");
    assert.equal(offsets?.isInternal, true);
    assert.ok(!external.some((t) => t.name === "__consumer_offsets"));
    assert.deepEqual(
      external.map((t) => t.name),
      all.filter((t) => !t.isInternal).map((t) => t.name),
    );
    const listed = external.find((t) => t.name === "listed");
    assert.equal(listed?.isInternal, false);

    const described = await admin.describeTopics(["no-such-topic", "listed"]);
    assert.deepEqual(
      described.map((t) => [t.name, t.errorCode, t.partitions.length]),
      [
        ["no-such-topic", ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, 0],
        ["listed", ErrorCode.NONE, 2],
      ],
    );
    assert.equal(described[1]?.topicId, listed?.topicId);
    assert.deepEqual(await admin.describeTopics([]), []);
  });

  test("describeCluster names the cluster, its controller and brokers", async () => {
    const cluster = await admin.describeCluster();
    assert.ok(cluster.clusterId.length > 0);
    assert.equal(cluster.controllerId, 1);
    assert.deepEqual(cluster.brokers, [{ nodeId: 1, host: "127.0.0.1", port: server.port, rack: null }]);
  });

  test("a bootstrap address that does not answer is passed over", async () => {
    const other = new AdminClient({
      bootstrap: [`127.0.0.1:${await freePort()}`, server.bootstrap],
      timeoutMs: 5000,
    });
    const metadata = await other.metadata();
    assert.ok(metadata.topics.some((t) => t.name === "orders"));
    other.close();
  });
});

test("the admin client rides out a broker restart on the same port", async () => {
  const dataDir = mkdtempSync(join(tmpdir(), "brook-client-admin-"));
  let broker = await startBroker({ dataDir });
  const port = broker.port;
  const admin = new AdminClient({ bootstrap: `127.0.0.1:${port}`, timeoutMs: 10_000, retryBackoffMs: 50 });
  try {
    await admin.createTopics([{ name: "kept", numPartitions: 2 }]);
    await broker.stop();
    const restarted = new Promise<void>((resolve) =>
      setTimeout(async () => {
        broker = await startBroker({ dataDir, port });
        resolve();
      }, 300),
    );
    const metadata = await admin.metadata(["kept"]);
    await restarted;
    assert.equal(metadata.topics[0]?.partitions.length, 2);
  } finally {
    admin.close();
    await broker.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
});

describe("retries, against a scripted broker", () => {
  /** A broker answering CreateTopics with the error codes given per attempt, then NONE. */
  async function controllerMoving(codesPerAttempt: Record<string, number>[]) {
    let attempt = 0;
    return FakeBroker.start((r) => {
      if (r.apiKey !== ApiKey.CreateTopics) return undefined;
      const codes = codesPerAttempt[attempt++] ?? {};
      const topics = (r.body as CreateTopicsRequest).topics.map((t) => ({
        name: t.name,
        errorCode: codes[t.name] ?? 0,
        numPartitions: t.numPartitions,
        replicationFactor: t.replicationFactor,
      }));
      return { body: { topics } };
    });
  }

  test("items answered NOT_CONTROLLER are sent again, alone", async () => {
    const fake = await controllerMoving([{ b: ErrorCode.NOT_CONTROLLER }, { b: ErrorCode.NOT_CONTROLLER }]);
    const admin = new AdminClient({ bootstrap: `127.0.0.1:${fake.port}`, retryBackoffMs: 10 });
    const results = await admin.createTopics([
      { name: "a", numPartitions: 1 },
      { name: "b", numPartitions: 1 },
    ]);
    assert.deepEqual(
      results.map((r) => [r.name, r.errorCode]),
      [
        ["a", 0],
        ["b", 0],
      ],
    );
    const sent = fake.requests
      .filter((r) => r.apiKey === ApiKey.CreateTopics)
      .map((r) => (r.body as CreateTopicsRequest).topics.map((t) => t.name));
    assert.deepEqual(sent, [["a", "b"], ["b"], ["b"]]);
    admin.close();
    await fake.stop();
  });

  test("a retriable error that lasts past the timeout is the result", async () => {
    const always = Array.from({ length: 1000 }, () => ({ a: ErrorCode.NOT_CONTROLLER }));
    const fake = await controllerMoving(always);
    const admin = new AdminClient({ bootstrap: `127.0.0.1:${fake.port}`, retryBackoffMs: 20 });
    try {
      const startMs = performance.now();
      const [result] = await admin.createTopics([{ name: "a" }], { timeoutMs: 300 });
      const elapsedMs = performance.now() - startMs;
      assert.equal(result?.errorCode, ErrorCode.NOT_CONTROLLER);
      assert.ok(elapsedMs >= 280 && elapsedMs < 2000, `${elapsedMs} ms`);
    } finally {
      admin.close();
      await fake.stop();
    }
  });

  test("a connection lost mid-request is retried on a new one", async () => {
    let closedOnce = false;
    const fake = await FakeBroker.start((r) => {
      if (r.apiKey !== ApiKey.DeleteTopics) return undefined;
      if (!closedOnce) {
        closedOnce = true;
        return { close: true };
      }
      return { body: { responses: [{ name: "t", errorCode: 0 }] } };
    });
    const admin = new AdminClient({ bootstrap: `127.0.0.1:${fake.port}`, retryBackoffMs: 10 });
    const [result] = await admin.deleteTopics(["t"]);
    assert.equal(result?.errorCode, 0);
    assert.equal(fake.requests.filter((r) => r.apiKey === ApiKey.DeleteTopics).length, 2);
    admin.close();
    await fake.stop();
  });

  test("a broker that accepts connections and never answers is given up on at the timeout", async () => {
    const silent = await FakeBroker.start(() => ({ silent: true }));
    const admin = new AdminClient({ bootstrap: `127.0.0.1:${silent.port}`, connectTimeoutMs: 10_000 });
    const startMs = performance.now();
    await assert.rejects(
      admin.describeCluster({ timeoutMs: 300 }),
      (e) => e instanceof ClientError && e.code === ClientErrorCode.timeout,
    );
    assert.ok(performance.now() - startMs < 1500);
    admin.close();
    await silent.stop();
  });

  test("with no broker reachable, the last connection error is thrown at the timeout", async () => {
    const admin = new AdminClient({ bootstrap: `127.0.0.1:${await freePort()}`, timeoutMs: 300 });
    await assert.rejects(
      admin.metadata(),
      (e) => e instanceof ClientError && e.code === ClientErrorCode.connectFailed,
    );
    admin.close();
  });
});
