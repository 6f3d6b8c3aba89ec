import assert from "node:assert/strict";
import { after, test } from "node:test";
import { ErrorCode, encodeRecordBatch, KafkaError, randomUuid } from "../../src/protocol/index.js";
import { Partition } from "../../src/replication/index.js";
import type { LogManager } from "../../src/storage/index.js";
import { newClock, openManager, tempDir } from "../storage/helpers.js";

/**
 * The low watermark DeleteRecords waits for (Kafka's lowWatermarkIfLeader and DelayedDeleteRecords):
 * the smallest log start offset over the leader and its in-sync followers, as their fetches report it.
 */
const dir = tempDir("brook-partition-low-watermark-");
const clock = newClock();
let manager: LogManager;
after(() => {
  manager?.closeUncleanly();
  dir.cleanup();
});

async function leaderOfThree(topic: string): Promise<Partition> {
  manager ??= await openManager(dir.path, clock);
  const topicId = randomUuid();
  const log = manager.getOrCreateLog({ topic, partition: 0 }, undefined, topicId);
  const p = new Partition({
    topic,
    partitionIndex: 0,
    topicId,
    log,
    localBrokerId: 1,
    state: { leader: 1, leaderEpoch: 0, partitionEpoch: 0, replicas: [1, 2, 3], isr: [1, 2, 3] },
    producerState: { producerIdExpirationMs: 86_400_000, clock },
    clock,
  });
  p.appendRecordsToLeader(
    encodeRecordBatch({
      records: Array.from({ length: 10 }, (_, i) => ({
        key: null,
        value: Buffer.from(`v${i}`),
        timestamp: 1n,
      })),
    }),
    -1,
  );
  await p.whenAppended();
  return p;
}

const fetch = (p: Partition, replicaId: number, logStartOffset: bigint) =>
  p.fetchForFollower({
    replicaId,
    replicaEpoch: -1n,
    fetchOffset: 10n,
    lastFetchedEpoch: 0,
    currentLeaderEpoch: 0,
    maxBytes: 1 << 20,
    logStartOffset,
  });

test("the wait ends when the last in-sync follower reports the new log start offset", async () => {
  const p = await leaderOfThree("low-watermark");
  fetch(p, 2, 0n);
  fetch(p, 3, 0n);
  assert.equal(p.highWatermark, 10n);
  p.log.deleteRecordsBefore(6n);
  assert.equal(p.lowWatermark, 0n, "the followers still hold records from 0");
  let done = false;
  const waiting = p.whenLowWatermarkReaches(6n).then(() => {
    done = true;
  });
  fetch(p, 2, 6n);
  await Promise.resolve();
  assert.equal(done, false, "one follower of two moved");
  assert.equal(p.lowWatermark, 0n);
  fetch(p, 3, 6n);
  await waiting;
  assert.equal(p.lowWatermark, 6n);
});

test("a follower out of the ISR is not waited for; losing the leadership ends the wait with NOT_LEADER_OR_FOLLOWER", async () => {
  const p = await leaderOfThree("low-watermark-isr");
  fetch(p, 2, 0n);
  fetch(p, 3, 0n);
  p.log.deleteRecordsBefore(4n);
  const pending = p.whenLowWatermarkReaches(4n);
  fetch(p, 2, 4n);
  p.update({ leader: 1, leaderEpoch: 0, partitionEpoch: 1, replicas: [1, 2, 3], isr: [1, 2] });
  await pending;
  p.log.deleteRecordsBefore(8n);
  const abandoned = p.whenLowWatermarkReaches(8n);
  p.update({ leader: 2, leaderEpoch: 1, partitionEpoch: 2, replicas: [1, 2, 3], isr: [1, 2] });
  await assert.rejects(
    abandoned,
    (e: unknown) => e instanceof KafkaError && e.errorCode === ErrorCode.NOT_LEADER_OR_FOLLOWER,
  );
});
