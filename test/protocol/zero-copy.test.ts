import assert from "node:assert/strict";
import { test } from "node:test";
import {
  decodeFetchResponse,
  decodeProduceRequest,
  encodeFetchResponse,
  encodeProduceRequest,
  Reader,
  WRITER_REF_BYTES_MIN,
  Writer,
} from "../../src/protocol/index.js";

const segment = Buffer.alloc(WRITER_REF_BYTES_MIN * 8);
for (let i = 0; i < segment.length; i++) segment[i] = i % 251;

test("a Fetch response sends record slices as their own chunks, never copied", () => {
  const slices = [segment.subarray(0, WRITER_REF_BYTES_MIN * 3), segment.subarray(WRITER_REF_BYTES_MIN * 3)];
  for (const version of [4, 11, 12, 17]) {
    const w = new Writer();
    encodeFetchResponse(
      w,
      {
        responses: [
          {
            topic: "t",
            partitions: [{ partitionIndex: 0, errorCode: 0, highWatermark: 8n, records: slices }],
          },
        ],
      },
      version,
    );
    const chunks = w.toChunks();
    assert.ok(
      slices.every((s) => chunks.includes(s)),
      `v${version}: each slice is a chunk of its own`,
    );
    const decoded = decodeFetchResponse(new Reader(Buffer.concat(chunks)), version);
    assert.ok(
      decoded.responses[0]?.partitions[0]?.records?.equals(segment),
      `v${version}: the slices in order`,
    );
  }
});

test("a decoded Produce request's records are a view on the request buffer", () => {
  for (const version of [3, 9, 11]) {
    const w = new Writer();
    encodeProduceRequest(
      w,
      {
        acks: 1,
        timeoutMs: 1000,
        topicData: [{ name: "t", partitionData: [{ index: 0, records: segment }] }],
      },
      version,
    );
    const request = w.toBuffer();
    const records = decodeProduceRequest(new Reader(request), version).topicData[0]?.partitionData[0]
      ?.records;
    assert.ok(records?.equals(segment));
    assert.equal(records?.buffer, request.buffer, `v${version}: same memory as the request`);
    const last = request.length - 1 - (version >= 9 ? 3 : 0);
    request[last] = (request[last] ?? 0) ^ 0xff;
    assert.ok(!records?.equals(segment), `v${version}: a change to the request shows through`);
  }
});
