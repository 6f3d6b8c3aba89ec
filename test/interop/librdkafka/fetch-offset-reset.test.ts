import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { ApiKey, ErrorCode, type FetchResponse, type MetadataResponse } from "../../../src/protocol/index.js";
import { WireClient } from "../../helpers/kafka-wire.js";
import { BrokerProcess, pythonClient, TEST_TIMEOUT_MS } from "../broker-process.js";

/**
 * Issue 14: a consumer whose fetch offset is out of range must see OFFSET_OUT_OF_RANGE to apply
 * auto.offset.reset. Brook used to send that partition's record set as null (size -1), which
 * librdkafka rejects as a whole ("Protocol parse failure for Fetch ... invalid MessageSetSize -1"),
 * so the consumer retried the same fetch forever and never received a message. Kafka sends an
 * empty record set there. Checked on the wire (raw Fetch at several versions against a broker
 * process) and with confluent-kafka for Python (librdkafka 2.0.2, Fetch v11).
 */

const TOPIC = "offset-reset";
const BEFORE = ["before-0", "before-1", "before-2"];
const RECEIVED_COUNT = 3;

interface ResetAnswer {
  records: { offset: number; value: string }[];
  produced: number;
  protocolErrors: string[];
  errors: string[];
}

let broker: BrokerProcess;

before(async () => {
  broker = await BrokerProcess.start();
  const produced = await pythonClient<{ undelivered: number; errors: string[] }>({
    op: "produce",
    config: { "bootstrap.servers": broker.bootstrap },
    messages: BEFORE.map((value) => ({ topic: TOPIC, value, partition: 0 })),
  });
  assert.equal(produced.undelivered, 0, produced.errors.join("\n"));
});

after(async () => {
  await broker?.dispose();
});

test("an out-of-range Fetch is answered with an empty record set (size 0, not -1) at v4-v17", async () => {
  const client = await WireClient.connect(broker.port, broker.host);
  try {
    const metadata = await client.request<MetadataResponse>(ApiKey.Metadata, 12, {
      topics: [{ name: TOPIC, topicId: "AAAAAAAAAAAAAAAAAAAAAA" }],
      allowAutoTopicCreation: false,
    });
    const topicId = metadata.topics[0]?.topicId ?? "";
    for (const version of [4, 7, 11, 12, 13, 16, 17]) {
      const response = await client.request<FetchResponse>(ApiKey.Fetch, version, {
        replicaId: -1,
        maxWaitMs: 0,
        minBytes: 1,
        maxBytes: 1 << 20,
        isolationLevel: 0,
        sessionId: 0,
        sessionEpoch: -1,
        topics: [
          {
            topic: TOPIC,
            topicId,
            partitions: [
              {
                partition: 0,
                fetchOffset: 1000n,
                partitionMaxBytes: 1 << 20,
                currentLeaderEpoch: -1,
                logStartOffset: -1n,
              },
            ],
          },
        ],
        forgottenTopicsData: [],
        rackId: "",
      });
      const partition = response.responses[0]?.partitions[0];
      assert.equal(partition?.errorCode, ErrorCode.OFFSET_OUT_OF_RANGE, `v${version}`);
      // The decoder reads a size of -1 as null, a size of 0 as an empty buffer.
      assert.notEqual(partition?.records, null, `v${version}: record set size -1 on the wire`);
      assert.equal(partition?.records?.length, 0, `v${version}`);
    }
  } finally {
    client.close();
  }
});

test("librdkafka with auto.offset.reset=latest resets an out-of-range offset and receives what is produced next", {
  timeout: TEST_TIMEOUT_MS,
}, async () => {
  const answer = await pythonClient<ResetAnswer>({
    op: "consume_after_reset",
    config: { "bootstrap.servers": broker.bootstrap, "auto.offset.reset": "latest" },
    topic: TOPIC,
    partition: 0,
    offset: 1000,
    count: RECEIVED_COUNT,
    timeoutS: 20,
  });
  const why = `produced ${answer.produced}; errors: ${answer.errors.join("; ")}`;
  assert.deepEqual(answer.protocolErrors, [], "librdkafka could parse every response");
  assert.equal(answer.records.length, RECEIVED_COUNT, why);
  const first = answer.records[0];
  assert.ok(first !== undefined && first.offset >= BEFORE.length, "started at the end (latest), not earlier");
  // From where the reset put it, the consumer reads on without a gap.
  answer.records.forEach((r, i) => {
    assert.equal(r.offset, (first?.offset ?? 0) + i);
    assert.equal(r.value, `after-${r.offset - BEFORE.length}`);
  });
});
