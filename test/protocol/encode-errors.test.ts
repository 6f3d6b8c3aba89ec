import assert from "node:assert/strict";
import { test } from "node:test";
import {
  decodeApiVersionsResponse,
  decodeFetchRequest,
  decodeProduceResponse,
  encodeApiVersionsResponse,
  encodeFetchRequest,
  encodeMetadataRequest,
  encodeProduceRequest,
  encodeProduceResponse,
  ProtocolEncodeError,
  Reader,
  Writer,
} from "../../src/protocol/index.js";

function encodeError(fn: (w: Writer) => void): ProtocolEncodeError {
  try {
    fn(new Writer());
  } catch (e) {
    if (e instanceof ProtocolEncodeError) return e;
    throw e;
  }
  assert.fail("expected a ProtocolEncodeError");
}

test("a non-default value in a field absent from the version is refused, naming message, field and version", () => {
  const e = encodeError((w) =>
    encodeProduceRequest(w, { transactionalId: "tx-1", acks: -1, timeoutMs: 1000, topicData: [] }, 2),
  );
  assert.match(e.message, /ProduceRequest\.transactionalId/);
  assert.match(e.message, /version 2/);
  // The default (null) is fine at that version.
  encodeProduceRequest(new Writer(), { transactionalId: null, acks: -1, timeoutMs: 1000 }, 2);
});

test("null in a version where the field is not nullable is refused", () => {
  const e = encodeError((w) => encodeMetadataRequest(w, { topics: null }, 0));
  assert.match(e.message, /MetadataRequest\.topics/);
  assert.match(e.message, /version 0/);
  encodeMetadataRequest(new Writer(), { topics: null }, 1);
});

test("ignorable fields are dropped silently where the version lacks them", () => {
  const w = new Writer();
  encodeProduceResponse(w, { responses: [], throttleTimeMs: 250 }, 0);
  const decoded = decodeProduceResponse(new Reader(w.toBuffer()), 0);
  assert.equal(decoded.throttleTimeMs, 0);
});

test("nested non-ignorable fields are checked too", () => {
  const response = {
    responses: [
      {
        name: "t",
        partitionResponses: [
          { index: 0, errorCode: 6, baseOffset: -1n, currentLeader: { leaderId: 2, leaderEpoch: 5 } },
        ],
      },
    ],
  };
  const e = encodeError((w) => encodeProduceResponse(w, response, 9));
  assert.match(e.message, /ProduceResponse\.PartitionProduceResponse\.currentLeader/);
  const w = new Writer();
  encodeProduceResponse(w, response, 10);
  const decoded = decodeProduceResponse(new Reader(w.toBuffer()), 10);
  assert.deepEqual(decoded.responses[0]?.partitionResponses[0]?.currentLeader, {
    leaderId: 2,
    leaderEpoch: 5,
  });
});

test("versions outside the valid range are refused", () => {
  const e = encodeError((w) => encodeProduceRequest(w, { acks: 1, timeoutMs: 1 }, 13));
  assert.equal(e.code, "BRK_ERR_PROTOCOL_VERSION");
});

test("unknown tagged fields cannot be sent at a version that is not flexible", () => {
  const unknownTaggedFields = [{ tag: 9, data: Buffer.from([1]) }];
  encodeError((w) => encodeApiVersionsResponse(w, { errorCode: 0, unknownTaggedFields }, 2));
  encodeApiVersionsResponse(new Writer(), { errorCode: 0, unknownTaggedFields }, 3);
});

test("tagged fields are written only when not at their default, in tag order with unknown ones", () => {
  const defaults = new Writer();
  encodeApiVersionsResponse(
    defaults,
    { errorCode: 0, finalizedFeaturesEpoch: -1n, zkMigrationReady: false },
    3,
  );
  // error code, empty compact array, throttle time, no tagged fields.
  assert.deepEqual([...defaults.toBuffer()], [0, 0, 1, 0, 0, 0, 0, 0]);

  const w = new Writer();
  encodeApiVersionsResponse(
    w,
    {
      errorCode: 0,
      zkMigrationReady: true,
      finalizedFeaturesEpoch: 7n,
      unknownTaggedFields: [{ tag: 5, data: Buffer.from([0xaa]) }],
    },
    3,
  );
  const bytes = w.toBuffer();
  const tagged = bytes.subarray(7);
  assert.deepEqual(
    [...tagged],
    [3, 1, 8, 0, 0, 0, 0, 0, 0, 0, 7, 3, 1, 1, 5, 1, 0xaa],
    "three fields: tag 1 (int64 epoch), tag 3 (bool), unknown tag 5",
  );
  const decoded = decodeApiVersionsResponse(new Reader(bytes), 3);
  assert.equal(decoded.finalizedFeaturesEpoch, 7n);
  assert.equal(decoded.zkMigrationReady, true);
  assert.deepEqual(decoded.unknownTaggedFields, [{ tag: 5, data: Buffer.from([0xaa]) }]);
});

test("an unknown tag that collides with a known one is refused", () => {
  encodeError((w) =>
    encodeApiVersionsResponse(
      w,
      { errorCode: 0, zkMigrationReady: true, unknownTaggedFields: [{ tag: 3, data: Buffer.from([1]) }] },
      3,
    ),
  );
});

test("a tagged struct field (FetchRequest.replicaState) round-trips and defaults when absent", () => {
  const base = { maxWaitMs: 500, minBytes: 1, topics: [] };
  const w = new Writer();
  encodeFetchRequest(w, { ...base, clusterId: "c1", replicaState: { replicaId: 3, replicaEpoch: 9n } }, 15);
  const decoded = decodeFetchRequest(new Reader(w.toBuffer()), 15);
  assert.equal(decoded.clusterId, "c1");
  assert.deepEqual(decoded.replicaState, { replicaId: 3, replicaEpoch: 9n });
  const plain = new Writer();
  encodeFetchRequest(plain, base, 15);
  const defaults = decodeFetchRequest(new Reader(plain.toBuffer()), 15);
  assert.equal(defaults.clusterId, null);
  assert.deepEqual(defaults.replicaState, { replicaId: -1, replicaEpoch: -1n });
  assert.equal(defaults.replicaId, -1, "absent from v15: the spec default");
});
