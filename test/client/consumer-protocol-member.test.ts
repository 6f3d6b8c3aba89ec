import assert from "node:assert/strict";
import { after, test } from "node:test";
import type { TopicPartition } from "../../src/client/admin-group-results.js";
import { Consumer } from "../../src/client/index.js";
import {
  ApiKey,
  type ConsumerGroupHeartbeatRequest,
  ErrorCode,
  type FindCoordinatorRequest,
  type OffsetCommitRequest,
} from "../../src/protocol/index.js";
import { FakeBroker } from "./fake-broker.js";

/**
 * Brook's consumer with group.protocol=consumer against a scripted coordinator: what its
 * ConsumerGroupHeartbeats say (a full join, then only what changed: the owned partitions once it
 * reconciled), how it takes a target that shrinks (revoked first, the rest kept), and a fence:
 * FENCED_MEMBER_EPOCH loses the partitions (onPartitionsLost) and the member joins again at epoch 0
 * with the same member id; commits carry the member epoch at OffsetCommit v9.
 */

const T = "AAAAAAAAAAAAAAAAAAAAAQ";
const brokers: FakeBroker[] = [];
after(async () => {
  for (const b of brokers) await b.stop();
});

const names = (tps: readonly TopicPartition[]) => tps.map((tp) => `${tp.topic}-${tp.partition}`).sort();

test("heartbeats, a shrinking target, a fence and a rejoin, as Kafka's consumer protocol member", async () => {
  let port = 0;
  const heartbeats: ConsumerGroupHeartbeatRequest[] = [];
  const commits: { version: number; body: OffsetCommitRequest }[] = [];
  /** The coordinator's script, one answer per heartbeat. */
  const script = [
    { memberEpoch: 1, assignment: [0, 1, 2] }, // the join
    { memberEpoch: 1, assignment: null }, // the report of [0, 1, 2]
    { memberEpoch: 1, assignment: [0] }, // another member came: keep 0
    { memberEpoch: 2, assignment: null }, // the report of [0]
  ];
  const afterScript = [
    { errorCode: ErrorCode.FENCED_MEMBER_EPOCH },
    { memberEpoch: 4, assignment: [2] }, // the rejoin
  ];
  /** Index in `heartbeats` of the one answered FENCED_MEMBER_EPOCH. */
  let fencedAt = -1;
  /**
   * The answer to the next heartbeat. Epoch 2 holds until the test has committed at it (on a busy
   * machine the commit could otherwise race the fence), then the fence and the rejoin.
   */
  const nextStep = (): { memberEpoch?: number; assignment?: number[] | null; errorCode?: number } => {
    const index = heartbeats.length - 1;
    const scripted = script[index];
    if (scripted !== undefined) return scripted;
    if (commits.length === 0) return { memberEpoch: 2, assignment: null };
    if (fencedAt < 0) fencedAt = index;
    return afterScript[index - fencedAt] ?? { memberEpoch: 4, assignment: null };
  };
  const broker = await FakeBroker.start((request) => {
    switch (request.apiKey) {
      case ApiKey.Metadata:
        return {
          body: {
            brokers: [{ nodeId: 1, host: "127.0.0.1", port }],
            clusterId: "fake",
            controllerId: 1,
            topics: [
              {
                errorCode: 0,
                name: "t",
                topicId: T,
                partitions: [0, 1, 2].map((partitionIndex) => ({
                  errorCode: 0,
                  partitionIndex,
                  leaderId: 1,
                  replicaNodes: [1],
                  isrNodes: [1],
                })),
              },
            ],
          },
        };
      case ApiKey.FindCoordinator: {
        const key = (request.body as FindCoordinatorRequest).coordinatorKeys[0] ?? "";
        return {
          body: {
            coordinators: [{ key, nodeId: 1, host: "127.0.0.1", port, errorCode: 0, errorMessage: null }],
          },
        };
      }
      case ApiKey.ConsumerGroupHeartbeat: {
        const body = request.body as ConsumerGroupHeartbeatRequest;
        heartbeats.push(body);
        const step = nextStep();
        return {
          body: {
            errorCode: step.errorCode ?? 0,
            errorMessage: null,
            memberId: body.memberId,
            memberEpoch: step.memberEpoch ?? -1,
            heartbeatIntervalMs: 50,
            assignment:
              step.assignment === null || step.assignment === undefined
                ? null
                : { topicPartitions: [{ topicId: T, partitions: step.assignment }] },
          },
        };
      }
      case ApiKey.OffsetFetch: {
        const topics = [
          {
            name: "t",
            partitions: [0, 1, 2].map((partitionIndex) => ({
              partitionIndex,
              committedOffset: 7n,
              committedLeaderEpoch: -1,
              metadata: null,
              errorCode: 0,
            })),
          },
        ];
        return { body: { errorCode: 0, topics, groups: [{ groupId: "g", errorCode: 0, topics }] } };
      }
      case ApiKey.OffsetCommit: {
        const body = request.body as OffsetCommitRequest;
        commits.push({ version: request.apiVersion, body });
        return {
          body: {
            topics: body.topics.map((t) => ({
              name: t.name,
              partitions: t.partitions.map((p) => ({ partitionIndex: p.partitionIndex, errorCode: 0 })),
            })),
          },
        };
      }
      default:
        return undefined; // Fetch: no answer, the consumer keeps it in flight.
    }
  });
  brokers.push(broker);
  port = broker.port;

  const calls: string[] = [];
  const consumer = new Consumer({
    bootstrap: `127.0.0.1:${port}`,
    groupId: "g",
    groupProtocol: "consumer",
    groupRemoteAssignor: "range",
    rebalanceTimeoutMs: 12_345,
    enableAutoCommit: false,
  });
  const until = async (what: string, check: () => boolean) => {
    const end = performance.now() + 10_000;
    while (!check()) {
      if (performance.now() > end) assert.fail(`${what}; calls: ${calls.join("; ")}`);
      await consumer.poll(20);
    }
  };
  try {
    consumer.subscribe(["t"], {
      onPartitionsAssigned: (tps) => void calls.push(`assigned ${names(tps)}`),
      onPartitionsRevoked: (tps) => void calls.push(`revoked ${names(tps)}`),
      onPartitionsLost: (tps) => void calls.push(`lost ${names(tps)}`),
    });
    await until("the first assignment", () => calls.length >= 1);
    assert.equal(consumer.position({ topic: "t", partition: 1 }), 7n, "from the committed offsets");
    await until("the shrink", () => calls.length >= 2);
    assert.deepEqual(names(consumer.assignment()), ["t-0"]);
    // The fifth heartbeat is sent only after the fourth's answer (epoch 2) was taken in.
    await until("the report of the shrink answered", () => heartbeats.length >= 5);
    await consumer.commitSync();
    await until("the fence and the rejoin", () => calls.length >= 4);
    assert.deepEqual(calls, ["assigned t-0,t-1,t-2", "revoked t-1,t-2", "lost t-0", "assigned t-2"]);

    const [join, report, , shrinkReport] = heartbeats;
    const rejoin = heartbeats[fencedAt + 1];
    assert.ok(
      join !== undefined && rejoin !== undefined && report !== undefined && shrinkReport !== undefined,
    );
    // The join says everything; later heartbeats only what changed.
    assert.equal(join.memberEpoch, 0);
    assert.match(join.memberId, /^[A-Za-z0-9_-]{22}$/, "a client-chosen id, as Kafka's Uuid");
    assert.deepEqual(join.subscribedTopicNames, ["t"]);
    assert.equal(join.rebalanceTimeoutMs, 12_345);
    assert.equal(join.serverAssignor, "range");
    assert.deepEqual(join.topicPartitions, []);
    assert.deepEqual(report.topicPartitions, [{ topicId: T, partitions: [0, 1, 2] }]);
    assert.equal(report.subscribedTopicNames, null);
    assert.equal(report.rebalanceTimeoutMs, -1);
    assert.deepEqual(shrinkReport.topicPartitions, [{ topicId: T, partitions: [0] }]);
    // After the fence: epoch 0, the same id, the full join again, owning nothing.
    assert.equal(rejoin.memberEpoch, 0);
    assert.equal(rejoin.memberId, join.memberId);
    assert.deepEqual(rejoin.subscribedTopicNames, ["t"]);
    assert.deepEqual(rejoin.topicPartitions, []);

    const [commit] = commits;
    assert.equal(commit?.version, 9);
    assert.equal(commit?.body.generationIdOrMemberEpoch, 2);
    assert.equal(commit?.body.memberId, join.memberId);
  } finally {
    await consumer.close();
  }
  const leave = heartbeats.at(-1);
  assert.equal(leave?.memberEpoch, -1, "close leaves with epoch -1");
});
