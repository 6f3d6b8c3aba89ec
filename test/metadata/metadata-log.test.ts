import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { METADATA_TOPIC, MetadataLog, type MetadataRecord } from "../../src/metadata/index.js";
import { LogManager } from "../../src/storage/index.js";

const broker: MetadataRecord = {
  type: "RegisterBroker",
  brokerId: 1,
  incarnationId: "AAAAAAAAAAAAAAAAAAAAAQ",
  brokerEpoch: 5n,
  endPoints: [{ name: "PLAINTEXT", host: "localhost", port: 9092, securityProtocol: 0 }],
  rack: null,
  fenced: false,
};

test("metadata survives a restart: records are replayed into the same image", async () => {
  const dir = mkdtempSync(join(tmpdir(), "brook-metadata-"));
  try {
    let manager = await LogManager.open({ logDirs: [dir] });
    let metadata = MetadataLog.load(manager.getOrCreateLog({ topic: METADATA_TOPIC, partition: 0 }), 1);
    metadata.append([broker]);
    metadata.append([
      { type: "Topic", name: "orders", topicId: "q5Hn6z4jQWyYh0j8bJ3q9A" },
      {
        type: "Partition",
        topicId: "q5Hn6z4jQWyYh0j8bJ3q9A",
        partitionId: 0,
        replicas: [1],
        isr: [1],
        leader: 1,
        leaderEpoch: 0,
        partitionEpoch: 0,
      },
      { type: "Config", resourceType: 2, resourceName: "orders", name: "cleanup.policy", value: "compact" },
    ]);
    metadata.append([
      {
        type: "PartitionChange",
        topicId: "q5Hn6z4jQWyYh0j8bJ3q9A",
        partitionId: 0,
        leader: 1,
        isr: null,
        replicas: null,
      },
      { type: "ProducerIds", brokerId: 1, brokerEpoch: 5n, nextProducerId: 1000n },
    ]);
    const before = metadata.image;
    await manager.shutdown();

    manager = await LogManager.open({ logDirs: [dir] });
    metadata = MetadataLog.load(manager.getOrCreateLog({ topic: METADATA_TOPIC, partition: 0 }), 1);
    const after = metadata.image;
    assert.equal(after.offset, before.offset);
    assert.deepEqual(after.topic("orders"), before.topic("orders"));
    assert.equal(after.topicConfig("orders").get("cleanup.policy"), "compact");
    assert.equal(after.nextProducerId, 1000n);
    assert.equal(after.brokers.get(1)?.endPoints[0]?.port, 9092);
    assert.equal(after.partition("orders", 0)?.partitionEpoch, 1);
    await manager.shutdown();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
