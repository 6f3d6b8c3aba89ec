import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { ApiKey, ErrorCode, encodeRecordBatch, type ProduceResponse } from "../../../src/protocol/index.js";
import { SegmentWriter } from "../../../src/storage/index.js";
import { WireClient } from "../../helpers/kafka-wire.js";
import { createTopic, listOffset, produce, startTestBroker } from "./broker-harness.js";

test("a produce is answered once its records are in the log file; the high watermark waits for it too", async () => {
  const broker = await startTestBroker();
  const writer = SegmentWriter.shared();
  writer.policy = "always"; // the default writes on the event loop: nothing to wait for
  const producer = await WireClient.connect(broker.server.port);
  try {
    await createTopic(broker.client, "acked", 1);
    assert.equal(await produce(broker.client, "acked", 0, 1), 0n);
    writer.hold();
    let held = true;
    try {
      const records = encodeRecordBatch({ records: [{ key: null, value: Buffer.from("held-back") }] });
      const id = producer.send(ApiKey.Produce, 9, {
        acks: 1,
        timeoutMs: 5000,
        topicData: [{ name: "acked", partitionData: [{ index: 0, records }] }],
      });
      await assert.rejects(producer.nextFrame(300), /timed out/, "no answer before the write");
      assert.equal((await listOffset(broker.client, "acked", 0, -1n)).offset, 1n, "not exposed yet");
      writer.release();
      held = false;
      const response = await producer.receive<ProduceResponse>(ApiKey.Produce, 9);
      assert.equal(response.correlationId, id);
      const p = response.body.responses[0]?.partitionResponses[0];
      assert.equal(p?.errorCode, ErrorCode.NONE);
      assert.equal(p?.baseOffset, 1n);
      assert.equal((await listOffset(broker.client, "acked", 0, -1n)).offset, 2n);
      const dir = join(broker.server.dataDir, "acked-0");
      const segment = readdirSync(dir).find((f) => f.endsWith(".log")) as string;
      assert.ok(readFileSync(join(dir, segment)).includes("held-back"), "the answer came after the write");
    } finally {
      if (held) writer.release();
    }
  } finally {
    producer.close();
    await broker.stop();
  }
});
