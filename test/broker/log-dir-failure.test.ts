import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import {
  ApiKey,
  type CreateTopicsResponse,
  type DescribeLogDirsResponse,
  ErrorCode,
  encodeRecordBatch,
  type MetadataResponse,
  type ProduceResponse,
} from "../../src/protocol/index.js";
import { type BrookServer, startBroker } from "../../src/server/index.js";
import { parsePrometheusText, sampleValue } from "../console/prometheus-parse.js";
import { WireClient } from "../helpers/kafka-wire.js";
import { waitFor } from "../helpers/wait-for.js";
import { createTopic, fetchAt } from "./handlers/broker-harness.js";
import {
  commit,
  commitErrors,
  coordinatorReady,
  fetchCommitted,
  startGroupBroker,
} from "./handlers/group-wire.js";
import { ProcessTraps } from "./robustness/robustness-harness.js";

/**
 * A broker whose log dir fails (EIO, ENOSPC injected into the storage layer) takes that dir
 * offline as Kafka does: its partitions answer KAFKA_STORAGE_ERROR, DescribeLogDirs reports the
 * dir with KAFKA_STORAGE_ERROR, Metadata lists the replicas offline and the controller moves their
 * leadership away (here there is no other replica: the partitions become leaderless); the other
 * dir and the metadata keep being served, and a restart brings everything back.
 */

async function produceOne(client: WireClient, topic: string, partition: number, value: string) {
  const response = await client.request<ProduceResponse>(ApiKey.Produce, 9, {
    transactionalId: null,
    acks: -1,
    timeoutMs: 5000,
    topicData: [
      {
        name: topic,
        partitionData: [
          {
            index: partition,
            records: encodeRecordBatch({
              records: [{ key: null, value: Buffer.from(value) }],
              baseTimestamp: BigInt(Date.now()),
            }),
          },
        ],
      },
    ],
  });
  const p = response.responses[0]?.partitionResponses[0];
  assert.ok(p !== undefined);
  return p;
}

function metadata(client: WireClient, topics: string[] | null) {
  return client.request<MetadataResponse>(ApiKey.Metadata, 12, {
    topics: topics?.map((name) => ({ topicId: "AAAAAAAAAAAAAAAAAAAAAA", name })) ?? null,
    allowAutoTopicCreation: false,
    includeTopicAuthorizedOperations: false,
  });
}

function describeLogDirs(client: WireClient) {
  return client.request<DescribeLogDirsResponse>(ApiKey.DescribeLogDirs, 4, { topics: null });
}

async function start(dirs: string[]): Promise<{ server: BrookServer; client: WireClient }> {
  const server = await startBroker({
    dataDir: dirs[0] as string,
    console: true,
    properties: { "log.dirs": dirs.join(","), "num.partitions": "1" },
  });
  return { server, client: await WireClient.connect(server.port) };
}

async function metrics(server: BrookServer) {
  const response = await fetch(`${server.consoleUrl}/metrics`);
  assert.equal(response.status, 200);
  return parsePrometheusText(await response.text());
}

test("EIO on one of two log dirs: its partitions go offline, the rest and the metadata are served", async () => {
  const traps = new ProcessTraps();
  const root = mkdtempSync(join(tmpdir(), "brook-broker-dir-failure-"));
  const dirs = [join(root, "a"), join(root, "b")];
  for (const d of dirs) mkdirSync(d);
  let { server, client } = await start(dirs);
  try {
    await createTopic(client, "t", 4);
    for (let p = 0; p < 4; p++) {
      assert.equal((await produceOne(client, "t", p, `before-${p}`)).errorCode, ErrorCode.NONE);
    }
    const manager = server.broker.logManager;
    const metadataDir = manager.logDirOf({ topic: "__cluster_metadata", partition: 0 });
    const failing = dirs.find((d) => d !== metadataDir) as string;
    const healthy = metadataDir as string;
    const inFailing = [0, 1, 2, 3].filter((p) => manager.logDirOf({ topic: "t", partition: p }) === failing);
    const inHealthy = [0, 1, 2, 3].filter((p) => !inFailing.includes(p));
    assert.ok(inFailing.length > 0 && inHealthy.length > 0, `partitions in both dirs: ${inFailing}`);

    const before = await metrics(server);
    assert.equal(sampleValue(before, "kafka_log_logmanager_offlinelogdirectorycount"), 0);
    assert.equal(sampleValue(before, "kafka_server_replicamanager_offlinereplicacount"), 0);

    manager.faults.fail(failing, "EIO");
    const refused = await produceOne(client, "t", inFailing[0] as number, "refused");
    assert.equal(refused.errorCode, ErrorCode.KAFKA_STORAGE_ERROR);
    manager.faults.heal(failing); // offline until restart all the same

    for (const p of inFailing) {
      assert.equal((await produceOne(client, "t", p, "again")).errorCode, ErrorCode.KAFKA_STORAGE_ERROR);
      assert.equal((await fetchAt(client, "t", p, 0n)).errorCode, ErrorCode.KAFKA_STORAGE_ERROR);
    }
    for (const p of inHealthy) {
      assert.equal((await produceOne(client, "t", p, `after-${p}`)).errorCode, ErrorCode.NONE);
      const fetched = await fetchAt(client, "t", p, 0n);
      assert.equal(fetched.errorCode, ErrorCode.NONE);
      assert.equal(fetched.highWatermark, 2n);
    }

    const logDirs = await describeLogDirs(client);
    assert.equal(logDirs.errorCode, ErrorCode.NONE);
    const byDir = new Map(logDirs.results.map((r) => [r.logDir, r]));
    assert.equal(byDir.get(failing)?.errorCode, ErrorCode.KAFKA_STORAGE_ERROR);
    assert.deepEqual(byDir.get(failing)?.topics, []);
    assert.equal(byDir.get(healthy)?.errorCode, ErrorCode.NONE);
    assert.deepEqual(
      byDir
        .get(healthy)
        ?.topics.find((t) => t.name === "t")
        ?.partitions.map((p) => p.partitionIndex)
        .sort(),
      inHealthy,
    );

    // The controller hears of the offline replicas through the broker's session: with no other
    // replica in the ISR, their partitions lose their leader and the ISR empties (KIP-966: the
    // replica becomes an eligible leader replica and the partition's last known leader, so that
    // the partition comes back with it); the others keep theirs.
    await waitFor("the offline partitions to lose their leader", async () => {
      const m = await metadata(client, ["t"]);
      const partitions = m.topics[0]?.partitions ?? [];
      return inFailing.every((p) => partitions.find((x) => x.partitionIndex === p)?.leaderId === -1)
        ? true
        : undefined;
    });
    const m = await metadata(client, ["t"]);
    for (const p of m.topics[0]?.partitions ?? []) {
      if (inFailing.includes(p.partitionIndex)) {
        assert.equal(p.errorCode, ErrorCode.LEADER_NOT_AVAILABLE);
        assert.deepEqual(p.offlineReplicas, [1]);
        assert.deepEqual(p.isrNodes, []);
      } else {
        assert.equal(p.leaderId, 1);
        assert.deepEqual(p.offlineReplicas, []);
      }
    }
    assert.equal(server.broker.replicaManager.offlineReplicas().length, inFailing.length);
    const after = await metrics(server);
    assert.equal(sampleValue(after, "kafka_log_logmanager_offlinelogdirectorycount"), 1);
    const dirMetric = "kafka_log_logmanager_logdirectoryoffline";
    assert.equal(sampleValue(after, dirMetric, { logDirectory: failing }), 1);
    assert.equal(sampleValue(after, dirMetric, { logDirectory: healthy }), 0);
    assert.equal(sampleValue(after, "kafka_server_replicamanager_offlinereplicacount"), inFailing.length);
    const cluster = (await (await fetch(`${server.consoleUrl}/api/cluster`)).json()) as {
      logDirs: { path: string; offline: boolean }[];
    };
    assert.deepEqual(
      cluster.logDirs.map((d) => [d.path, d.offline]).sort(),
      [
        [failing, true],
        [healthy, false],
      ].sort(),
    );
    server.broker.logManager.faults.heal(failing);

    await server.stop();
    ({ server, client } = await start(dirs));
    // After the restart the dir is back: every partition is led again and holds what it was acknowledged.
    await waitFor("every partition led again", async () => {
      const after = await metadata(client, ["t"]);
      return (after.topics[0]?.partitions ?? []).every((p) => p.leaderId === 1) ? true : undefined;
    });
    for (let p = 0; p < 4; p++) {
      const fetched = await fetchAt(client, "t", p, 0n);
      assert.equal(fetched.errorCode, ErrorCode.NONE, `partition ${p} after restart`);
      assert.equal(fetched.highWatermark, inHealthy.includes(p) ? 2n : 1n, `partition ${p} after restart`);
    }
    assert.equal((await produceOne(client, "t", inFailing[0] as number, "back")).errorCode, ErrorCode.NONE);
    traps.assertNone("log dir failure");
  } finally {
    client.close();
    await server.stop();
    traps.remove();
    rmSync(root, { recursive: true, force: true });
  }
});

test("ENOSPC on the only log dir: writes refused, metadata still served, nothing lost after restart", async () => {
  const traps = new ProcessTraps();
  const root = mkdtempSync(join(tmpdir(), "brook-broker-disk-full-"));
  let { server, client } = await start([root]);
  try {
    await createTopic(client, "full", 1);
    for (let i = 0; i < 5; i++) {
      assert.equal((await produceOne(client, "full", 0, `kept-${i}`)).errorCode, ErrorCode.NONE);
    }
    server.broker.logManager.faults.fail(root, "ENOSPC");
    assert.equal((await produceOne(client, "full", 0, "refused")).errorCode, ErrorCode.KAFKA_STORAGE_ERROR);
    server.broker.logManager.faults.heal(root);
    assert.equal((await produceOne(client, "full", 0, "still")).errorCode, ErrorCode.KAFKA_STORAGE_ERROR);

    // Metadata is served from the image; changes cannot be committed (the metadata log is there too).
    const m = await metadata(client, null);
    assert.deepEqual(
      m.topics.map((t) => t.name),
      ["full"],
    );
    assert.deepEqual(m.topics[0]?.partitions[0]?.offlineReplicas, [1]);
    const created = await client.request<CreateTopicsResponse>(ApiKey.CreateTopics, 7, {
      topics: [{ name: "new", numPartitions: 1, replicationFactor: 1, assignments: [], configs: [] }],
      timeoutMs: 5000,
      validateOnly: false,
    });
    assert.equal(created.topics[0]?.errorCode, ErrorCode.KAFKA_STORAGE_ERROR);
    const logDirs = await describeLogDirs(client);
    assert.equal(logDirs.results[0]?.errorCode, ErrorCode.KAFKA_STORAGE_ERROR);

    await server.stop();
    ({ server, client } = await start([root]));
    const fetched = await fetchAt(client, "full", 0, 0n);
    assert.equal(fetched.errorCode, ErrorCode.NONE);
    assert.equal(fetched.highWatermark, 5n, "every acknowledged record is there, nothing else");
    assert.equal((await produceOne(client, "full", 0, "back")).errorCode, ErrorCode.NONE);
    traps.assertNone("disk full");
  } finally {
    client.close();
    await server.stop();
    traps.remove();
    rmSync(root, { recursive: true, force: true });
  }
});

test("internal writes fail cleanly on a full disk: offsets (NOT_COORDINATOR), _schemas (50001), metadata", async () => {
  const traps = new ProcessTraps();
  const root = mkdtempSync(join(tmpdir(), "brook-broker-internal-"));
  const open = () =>
    startGroupBroker({ dataDir: root, registry: true, properties: { "num.partitions": "1" } });
  let b = await open();
  const schema = (name: string) =>
    JSON.stringify({ schema: JSON.stringify({ type: "record", name, fields: [] }) });
  const register = (server: BrookServer, name: string) =>
    fetch(`${server.registryUrl}/subjects/${name}-value/versions`, {
      method: "POST",
      headers: { "content-type": "application/vnd.schemaregistry.v1+json" },
      body: schema(name),
    });
  try {
    await createTopic(b.client, "t", 1);
    await coordinatorReady(b, "g");
    assert.deepEqual(commitErrors(await commit(b.client, 8, "g", { t: { 0: 7n } })), [ErrorCode.NONE]);
    assert.equal((await register(b.server, "kept")).status, 200);

    b.server.broker.logManager.faults.fail(root, "ENOSPC");
    // The first write to meet the full disk takes the dir offline; every later one is refused.
    assert.deepEqual(commitErrors(await commit(b.client, 8, "g", { t: { 0: 8n } })), [
      ErrorCode.NOT_COORDINATOR,
    ]);
    const refused = await register(b.server, "refused");
    assert.equal(refused.status, 500);
    assert.equal(((await refused.json()) as { error_code: number }).error_code, 50001);
    assert.deepEqual(commitErrors(await commit(b.client, 8, "g", { t: { 0: 9n } })), [
      ErrorCode.NOT_COORDINATOR,
    ]);
    b.server.broker.logManager.faults.heal(root);

    await b.stop();
    b = await open();
    await coordinatorReady(b, "g");
    const committed = await fetchCommitted(b.client, 7, "g", "t", [0]);
    assert.equal(committed.topics[0]?.partitions[0]?.committedOffset, 7n);
    const subjects = await (await fetch(`${b.server.registryUrl}/subjects`)).json();
    assert.deepEqual(subjects, ["kept-value"]);
    traps.assertNone("internal writes");
  } finally {
    await b.stop();
    traps.remove();
    rmSync(root, { recursive: true, force: true });
  }
});
