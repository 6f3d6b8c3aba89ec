import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { silentLogger } from "../../src/base/index.js";
import {
  type ControllerLeadership,
  EmbeddedMetadataQuorum,
  METADATA_TOPIC,
  MetadataLoader,
  type MetadataRecord,
} from "../../src/metadata/index.js";
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

/** Opens the single node's quorum on a data directory and waits to be its controller. */
async function open(dir: string) {
  const manager = await LogManager.open({ logDirs: [dir] });
  const quorum = new EmbeddedMetadataQuorum(manager.getOrCreateLog({ topic: METADATA_TOPIC, partition: 0 }));
  const loader = new MetadataLoader(quorum, silentLogger);
  loader.start();
  const leadership = await new Promise<ControllerLeadership>((resolve) => {
    quorum.campaign({ nodeId: 1, endPoint: null }, { elected: resolve, resigned: () => {} });
  });
  let end = leadership.startEnd;
  const append = async (records: MetadataRecord[]) => {
    await leadership.append(end, records);
    end += BigInt(records.length);
  };
  return { manager, quorum, loader, leadership, append };
}

test("metadata survives a restart: records are replayed into the same image", async () => {
  const dir = mkdtempSync(join(tmpdir(), "brook-metadata-"));
  try {
    let node = await open(dir);
    await node.append([broker]);
    await node.append([
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
    await node.append([
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
    const before = node.loader.image;
    assert.equal(before.offset, 5n);
    const firstEpoch = node.leadership.epoch;
    await node.manager.shutdown();

    node = await open(dir);
    // The whole log is replayed before following starts returns: the image is there at once.
    const after = node.loader.image;
    assert.ok(node.leadership.epoch > firstEpoch, "each start is a new controller epoch");
    assert.equal(node.leadership.startEnd, 6n);
    assert.equal(after.offset, before.offset);
    assert.deepEqual(after.topic("orders"), before.topic("orders"));
    assert.equal(after.topicConfig("orders").get("cleanup.policy"), "compact");
    assert.equal(after.nextProducerId, 1000n);
    assert.equal(after.brokers.get(1)?.endPoints[0]?.port, 9092);
    assert.equal(after.partition("orders", 0)?.partitionEpoch, 1);
    await assert.rejects(node.leadership.append(3n, [{ type: "NoOp" }]), /appends at the log end/);
    await node.manager.shutdown();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
