import assert from "node:assert/strict";
import { test } from "node:test";
import { ManualClock } from "../../src/base/index.js";
import {
  type FetchPartitionResult,
  type FetchPosition,
  FetchSessionCache,
} from "../../src/broker/fetch-session.js";
import { ErrorCode } from "../../src/protocol/index.js";

const pos = (key: string, fetchOffset: bigint): FetchPosition => ({
  key,
  fetchOffset,
  partitionMaxBytes: 1024,
  logStartOffset: -1n,
});
const res = (key: string, hw: bigint, recordsBytes = 0): FetchPartitionResult => ({
  key,
  errorCode: ErrorCode.NONE,
  highWatermark: hw,
  lastStableOffset: hw,
  logStartOffset: 0n,
  recordsBytes,
});

function ok(begin: ReturnType<FetchSessionCache["begin"]>) {
  assert.equal(begin.kind, "ok");
  return begin as Extract<typeof begin, { kind: "ok" }>;
}

test("epoch 0 creates a session; incremental fetches answer only what changed", () => {
  const cache = new FetchSessionCache({ slotsMax: 10, evictionMs: 1000, clock: new ManualClock() });
  const first = ok(
    cache.begin({ sessionId: 0, sessionEpoch: 0, positions: [pos("a", 0n), pos("b", 0n)], forgotten: [] }),
  );
  const { sessionId, results } = first.context.finish([res("a", 5n, 100), res("b", 0n)]);
  assert.ok(sessionId > 0);
  assert.equal(results.length, 2, "the first answer carries every partition");

  const second = ok(cache.begin({ sessionId, sessionEpoch: 1, positions: [pos("a", 5n)], forgotten: [] }));
  assert.deepEqual(
    second.positions.map((p) => [p.key, p.fetchOffset]),
    [
      ["a", 5n],
      ["b", 0n],
    ],
    "the session remembers partitions the client left out",
  );
  const answer = second.context.finish([res("a", 5n), res("b", 3n, 50)]);
  assert.deepEqual(
    answer.results.map((r) => r.key),
    ["b"],
  );

  const third = ok(cache.begin({ sessionId, sessionEpoch: 2, positions: [], forgotten: ["b"] }));
  assert.deepEqual(
    third.positions.map((p) => p.key),
    ["a"],
  );
});

test("wrong epochs and unknown sessions get Kafka's errors; epoch -1 closes the session", () => {
  const cache = new FetchSessionCache({ slotsMax: 10, evictionMs: 1000, clock: new ManualClock() });
  const { sessionId } = ok(
    cache.begin({ sessionId: 0, sessionEpoch: 0, positions: [pos("a", 0n)], forgotten: [] }),
  ).context.finish([res("a", 0n)]);
  assert.deepEqual(cache.begin({ sessionId, sessionEpoch: 7, positions: [], forgotten: [] }), {
    kind: "error",
    errorCode: ErrorCode.INVALID_FETCH_SESSION_EPOCH,
  });
  assert.deepEqual(cache.begin({ sessionId: 999, sessionEpoch: 1, positions: [], forgotten: [] }), {
    kind: "error",
    errorCode: ErrorCode.FETCH_SESSION_ID_NOT_FOUND,
  });
  const closing = ok(cache.begin({ sessionId, sessionEpoch: -1, positions: [pos("a", 0n)], forgotten: [] }));
  assert.equal(closing.context.finish([res("a", 0n)]).sessionId, 0);
  assert.equal(cache.size, 0);
});

test("a full cache declines new sessions until an idle one can be evicted", () => {
  const clock = new ManualClock();
  const cache = new FetchSessionCache({ slotsMax: 1, evictionMs: 1000, clock });
  const open = () =>
    ok(
      cache.begin({ sessionId: 0, sessionEpoch: 0, positions: [pos("a", 0n)], forgotten: [] }),
    ).context.finish([]).sessionId;
  assert.ok(open() > 0);
  assert.equal(open(), 0, "no slot: the client is told to fetch without a session");
  clock.advance(1000);
  assert.ok(open() > 0);
  assert.equal(cache.size, 1);
});
