import assert from "node:assert/strict";
import { test } from "node:test";
import {
  decodeListOffsetsResponse,
  encodeListOffsetsResponse,
  ProtocolEncodeError,
  Reader,
  Writer,
} from "../../src/protocol/index.js";

const response = {
  throttleTimeMs: 0,
  topics: [
    {
      name: "t",
      partitions: [{ partitionIndex: 0, errorCode: 0, timestamp: -1n, offset: 42n, leaderEpoch: 3 }],
    },
  ],
};

test("strict encoding refuses a value the version cannot carry; lenient encoding leaves it out", () => {
  assert.throws(() => encodeListOffsetsResponse(new Writer(), response, 2), ProtocolEncodeError);
  const w = new Writer();
  encodeListOffsetsResponse(w, response, 2, true);
  const decoded = decodeListOffsetsResponse(new Reader(w.toBuffer()), 2);
  assert.equal(decoded.topics[0]?.partitions[0]?.offset, 42n);
  assert.equal(
    decoded.topics[0]?.partitions[0]?.leaderEpoch,
    -1,
    "v2 has no leader epoch: the default comes back",
  );
});
