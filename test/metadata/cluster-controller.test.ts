import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import { SeededRandom } from "../../src/base/index.js";
import {
  ClusterController,
  type CreateTopicRequest,
  MetadataDelta,
  MetadataImage,
  type MetadataRecord,
  placeReplicas,
} from "../../src/metadata/index.js";
import { ErrorCode } from "../../src/protocol/index.js";

const defaults = { numPartitions: 1, defaultReplicationFactor: 1, partitionsPerRequestMax: 10_000 };

function replay(image: MetadataImage, records: readonly MetadataRecord[]): MetadataImage {
  const delta = new MetadataDelta(image);
  let offset = image.offset;
  for (const r of records) delta.replay(r, ++offset);
  return delta.apply();
}

function clusterOf(brokerCount: number): MetadataImage {
  return replay(
    MetadataImage.EMPTY,
    Array.from({ length: brokerCount }, (_, i) => ({
      type: "RegisterBroker" as const,
      brokerId: i + 1,
      incarnationId: "AAAAAAAAAAAAAAAAAAAAAQ",
      brokerEpoch: 1n,
      endPoints: [{ name: "PLAINTEXT", host: "localhost", port: 9092 + i, securityProtocol: 0 }],
      rack: null,
      fenced: false,
    })),
  );
}

const controller = new ClusterController({
  random: new SeededRandom(7),
  validateTopicConfigs: (configs) => {
    const retention = configs.get("retention.ms");
    return retention !== undefined && !/^-?\d+$/.test(retention) ? "bad retention.ms" : null;
  },
});

const topic = (name: string, extra: Partial<CreateTopicRequest> = {}): CreateTopicRequest => ({
  name,
  numPartitions: 3,
  replicationFactor: 1,
  assignments: [],
  configs: [],
  ...extra,
});

test("created topics appear in the image with partitions, leaders and configs", () => {
  const image = clusterOf(1);
  const { results, records } = controller.createTopics(
    image,
    [topic("orders", { configs: [{ name: "retention.ms", value: "1000" }] })],
    defaults,
    false,
  );
  assert.equal(results[0]?.errorCode, ErrorCode.NONE);
  const next = replay(image, records);
  const orders = next.topic("orders");
  assert.equal(orders?.partitions.length, 3);
  assert.deepEqual(
    orders?.partitions.map((p) => [p.leader, p.leaderEpoch, p.isr]),
    [
      [1, 0, [1]],
      [1, 0, [1]],
      [1, 0, [1]],
    ],
  );
  assert.equal(next.topicConfig("orders").get("retention.ms"), "1000");
  assert.equal(image.topic("orders"), undefined, "the old image never changes");
});

test("create topics refuses what Kafka refuses, with Kafka's error codes", () => {
  const image = replay(
    clusterOf(1),
    controller.createTopics(clusterOf(1), [topic("a.b")], defaults, false).records,
  );
  const { results, records } = controller.createTopics(
    image,
    [
      topic("a.b"),
      topic("a_b"),
      topic("bad name"),
      topic("x", { replicationFactor: 2 }),
      topic("y", { numPartitions: 0 }),
      topic("z", { configs: [{ name: "retention.ms", value: "soon" }] }),
      topic("dup"),
      topic("dup"),
    ],
    defaults,
    false,
  );
  assert.deepEqual(
    results.map((r) => r.errorCode),
    [
      ErrorCode.TOPIC_ALREADY_EXISTS,
      ErrorCode.INVALID_TOPIC_EXCEPTION,
      ErrorCode.INVALID_TOPIC_EXCEPTION,
      ErrorCode.INVALID_REPLICATION_FACTOR,
      ErrorCode.INVALID_PARTITIONS,
      ErrorCode.INVALID_CONFIG,
      ErrorCode.INVALID_REQUEST,
      ErrorCode.INVALID_REQUEST,
    ],
  );
  assert.deepEqual(records, []);
});

test("validate-only checks without emitting records", () => {
  const { results, records } = controller.createTopics(clusterOf(1), [topic("t")], defaults, true);
  assert.equal(results[0]?.errorCode, ErrorCode.NONE);
  assert.equal(results[0]?.numPartitions, 3);
  assert.deepEqual(records, []);
});

test("partitions can be added, never removed; deleted topics leave the image", () => {
  let image = clusterOf(1);
  image = replay(image, controller.createTopics(image, [topic("t")], defaults, false).records);
  const more = controller.createPartitions(image, [{ name: "t", count: 5, assignments: null }], false);
  assert.equal(more.results[0]?.errorCode, ErrorCode.NONE);
  image = replay(image, more.records);
  assert.equal(image.topic("t")?.partitions.length, 5);
  const fewer = controller.createPartitions(image, [{ name: "t", count: 2, assignments: null }], false);
  assert.equal(fewer.results[0]?.errorCode, ErrorCode.INVALID_PARTITIONS);
  const deleted = controller.deleteTopics(image, ["t", "missing"]);
  assert.deepEqual(
    deleted.results.map((r) => r.errorCode),
    [ErrorCode.NONE, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION],
  );
  image = replay(image, deleted.records);
  assert.equal(image.topic("t"), undefined);
});

test("replica placement: distinct brokers per partition, leaders spread evenly", () => {
  fc.assert(
    fc.property(
      fc.integer({ min: 1, max: 7 }),
      fc.integer({ min: 1, max: 40 }),
      fc.integer(),
      (n, partitions, seed) => {
        const brokers = Array.from({ length: n }, (_, i) => i + 10);
        const rf = 1 + (Math.abs(seed) % n);
        const placed = placeReplicas(
          brokers.map((id) => ({ id, rack: null })),
          partitions,
          rf,
          0,
          new SeededRandom(seed),
        );
        const leaders = new Map<number, number>();
        for (const replicas of placed) {
          assert.equal(replicas.length, rf);
          assert.equal(new Set(replicas).size, rf);
          for (const r of replicas) assert.ok(brokers.includes(r));
          leaders.set(replicas[0] as number, (leaders.get(replicas[0] as number) ?? 0) + 1);
        }
        const counts = [...leaders.values()];
        assert.ok(Math.max(...counts) - Math.min(...counts) <= 1 || counts.length < n);
      },
    ),
  );
});

test("producer id blocks advance and never repeat", () => {
  let image = clusterOf(1);
  const first = controller.allocateProducerIds(image, 1, 1n);
  image = replay(image, first.records);
  const second = controller.allocateProducerIds(image, 1, 1n);
  assert.equal(second.firstProducerId, first.firstProducerId + BigInt(first.size));
});

test("rack-aware placement: replicas of a partition on as many racks as there are, leaders spread", () => {
  fc.assert(
    fc.property(
      fc.integer({ min: 2, max: 4 }),
      fc.integer({ min: 1, max: 3 }),
      fc.integer({ min: 1, max: 30 }),
      fc.integer(),
      (racks, perRack, partitions, seed) => {
        const brokers = Array.from({ length: racks * perRack }, (_, i) => ({
          id: i + 1,
          rack: `r${i % racks}`,
        }));
        const rf = 1 + (Math.abs(seed) % Math.min(3, brokers.length));
        const placed = placeReplicas(brokers, partitions, rf, 0, new SeededRandom(seed));
        const rackOf = new Map(brokers.map((b) => [b.id, b.rack]));
        const leaders = new Map<number, number>();
        for (const replicas of placed) {
          assert.equal(replicas.length, rf);
          assert.equal(new Set(replicas).size, rf, "a broker holds one replica of a partition");
          assert.equal(
            new Set(replicas.map((r) => rackOf.get(r))).size,
            Math.min(rf, racks),
            "replicas spread over racks",
          );
          leaders.set(replicas[0] as number, (leaders.get(replicas[0] as number) ?? 0) + 1);
        }
        const counts = [...leaders.values()];
        assert.ok(Math.max(...counts) - Math.min(...counts) <= 1 || counts.length < brokers.length);
      },
    ),
  );
});
