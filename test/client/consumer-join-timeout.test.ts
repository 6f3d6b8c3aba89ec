import assert from "node:assert/strict";
import { after, test } from "node:test";
import { encodeAssignment } from "../../src/client/consumer-group.js";
import { Consumer } from "../../src/client/index.js";
import { ApiKey, type FindCoordinatorRequest, type JoinGroupRequest } from "../../src/protocol/index.js";
import { FakeBroker, oneBrokerMetadata } from "./fake-broker.js";

/**
 * poll(timeout) keeps its time while the group's JoinGroup is pending (other members slow to
 * rejoin), as Kafka's does: it returns empty at its timeout, the join goes on, and a later poll
 * takes the assignment and calls the listener.
 */

const JOIN_DELAY_MS = 1200;
const brokers: FakeBroker[] = [];
after(async () => {
  for (const b of brokers) await b.stop();
});

test("a poll shorter than a pending JoinGroup returns at its timeout; a later poll gets the assignment", async () => {
  let port = 0;
  const broker = await FakeBroker.start(async (request) => {
    switch (request.apiKey) {
      case ApiKey.Metadata:
        return { body: oneBrokerMetadata(port, { t: 1 }) };
      case ApiKey.FindCoordinator: {
        const key = (request.body as FindCoordinatorRequest).coordinatorKeys[0] ?? "";
        return {
          body: {
            coordinators: [{ key, nodeId: 1, host: "127.0.0.1", port, errorCode: 0, errorMessage: null }],
            nodeId: 1,
            host: "127.0.0.1",
            port,
          },
        };
      }
      case ApiKey.JoinGroup: {
        const body = request.body as JoinGroupRequest;
        await new Promise((resolve) => setTimeout(resolve, JOIN_DELAY_MS));
        return {
          body: {
            errorCode: 0,
            generationId: 1,
            protocolType: "consumer",
            protocolName: "range",
            leader: "m1",
            skipAssignment: false,
            memberId: "m1",
            members: [{ memberId: "m1", groupInstanceId: null, metadata: body.protocols[0]?.metadata }],
          },
        };
      }
      case ApiKey.SyncGroup:
        return {
          body: {
            errorCode: 0,
            protocolType: "consumer",
            protocolName: "range",
            assignment: encodeAssignment([{ topic: "t", partition: 0 }]),
          },
        };
      case ApiKey.Heartbeat:
        return { body: { errorCode: 0 } };
      case ApiKey.OffsetFetch:
        return { body: { errorCode: 0, topics: [], groups: [{ groupId: "g", errorCode: 0, topics: [] }] } };
      case ApiKey.LeaveGroup:
        return { body: { errorCode: 0, members: [] } };
      default:
        return undefined;
    }
  });
  brokers.push(broker);
  port = broker.port;
  const assigned: string[] = [];
  const consumer = new Consumer({ bootstrap: `127.0.0.1:${port}`, groupId: "g", enableAutoCommit: false });
  try {
    consumer.subscribe(["t"], {
      onPartitionsAssigned: (tps) => void assigned.push(...tps.map((tp) => `${tp.topic}-${tp.partition}`)),
    });
    const started = performance.now();
    assert.deepEqual(await consumer.poll(200), []);
    const took = performance.now() - started;
    assert.ok(took < JOIN_DELAY_MS - 300, `poll(200) took ${Math.round(took)} ms with the join pending`);
    assert.deepEqual(assigned, [], "no listener call before the join ends");
    const end = performance.now() + 10_000;
    while (consumer.assignment().length === 0 && performance.now() < end) await consumer.poll(100);
    assert.deepEqual(assigned, ["t-0"]);
    assert.equal(
      broker.requests.filter((r) => r.apiKey === ApiKey.JoinGroup).length,
      1,
      "the pending join was waited for, not sent again",
    );
  } finally {
    await consumer.close();
  }
});
