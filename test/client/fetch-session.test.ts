import assert from "node:assert/strict";
import { after, test } from "node:test";
import fc from "fast-check";
import { FetchSession, type SessionPartition } from "../../src/client/fetch-session.js";
import { Consumer, type ConsumerRecord } from "../../src/client/index.js";
import { ApiKey, ErrorCode, encodeRecordBatch, type FetchRequest } from "../../src/protocol/index.js";
import { FakeBroker, oneBrokerMetadata } from "./fake-broker.js";

/**
 * Brook's consumer fetches in an incremental fetch session (KIP-227), as Kafka's does: the first
 * Fetch names every partition and opens a session, later ones name only the partitions whose fetch
 * offset changed and list the ones no longer fetched as forgotten; a lost session starts over.
 */

const p = (partition: number, fetchOffset: bigint): SessionPartition => ({
  topic: "t",
  partition,
  fetchOffset,
  partitionMaxBytes: 1024,
});
const names = (ps: readonly { partition: number }[]) => ps.map((x) => x.partition).sort();

test("a session opens with a full fetch, then names only what changed and forgets what is no longer wanted", () => {
  const s = new FetchSession();
  const first = s.next([p(0, 0n), p(1, 0n), p(2, 0n)], true);
  assert.deepEqual([first.sessionId, first.sessionEpoch, names(first.toSend)], [0, 0, [0, 1, 2]]);
  s.answered(ErrorCode.NONE, 42);
  const second = s.next([p(0, 0n), p(1, 0n), p(2, 0n)], true);
  assert.deepEqual([second.sessionId, second.sessionEpoch, second.toSend, second.toForget], [42, 1, [], []]);
  s.answered(ErrorCode.NONE, 42);
  const third = s.next([p(0, 5n), p(2, 0n), p(3, 0n)], true);
  assert.deepEqual([third.sessionEpoch, names(third.toSend), names(third.toForget)], [2, [0, 3], [1]]);
  s.answered(ErrorCode.NONE, 42);
  // Lost: the next request opens a new session and names everything.
  const fourth = s.next([p(0, 5n), p(2, 0n), p(3, 0n)], true);
  assert.deepEqual([fourth.sessionEpoch, fourth.toSend, fourth.toForget], [3, [], []]);
  s.answered(ErrorCode.FETCH_SESSION_ID_NOT_FOUND, 0);
  const fifth = s.next([p(0, 5n), p(2, 0n), p(3, 0n)], true);
  assert.deepEqual([fifth.sessionId, fifth.sessionEpoch, names(fifth.toSend)], [0, 0, [0, 2, 3]]);
});

test("a failed request, a broker without a session to give, or an old broker: full fetches", () => {
  const s = new FetchSession();
  s.next([p(0, 0n)], true);
  s.answered(ErrorCode.NONE, 7);
  s.next([p(0, 1n)], true);
  s.failed();
  assert.deepEqual(s.next([p(0, 1n)], true).sessionEpoch, 0);
  s.answered(ErrorCode.NONE, 0); // the broker's cache is full: no session
  const again = s.next([p(0, 1n)], true);
  assert.deepEqual([again.sessionId, again.sessionEpoch, names(again.toSend)], [0, 0, [0]]);
  const old = s.next([p(0, 1n)], false);
  assert.deepEqual([old.sessionId, old.sessionEpoch, names(old.toSend)], [0, -1, [0]]);
});

test("property: the broker's view (named now, or held and neither named nor forgotten) is always what is wanted", () => {
  const partitionSet = fc.uniqueArray(fc.integer({ min: 0, max: 7 }), { maxLength: 8 });
  const step = fc.record({
    wanted: partitionSet,
    offsets: fc.array(fc.bigInt({ min: 0n, max: 3n }), { minLength: 8, maxLength: 8 }),
    outcome: fc.constantFrom("ok", "ok", "ok", "lost", "failed", "no-session"),
  });
  fc.assert(
    fc.property(fc.array(step, { maxLength: 30 }), (steps) => {
      const s = new FetchSession();
      // What the broker's session holds, as a fake broker would keep it.
      let broker = new Map<number, bigint>();
      let brokerSession = 0;
      for (const st of steps) {
        const wanted = st.wanted.map((i) => p(i, st.offsets[i] as bigint));
        const req = s.next(wanted, true);
        const view = new Map(req.sessionEpoch === 0 ? [] : broker);
        if (req.sessionEpoch !== 0) assert.equal(req.sessionId, brokerSession);
        for (const f of req.toForget) view.delete(f.partition);
        for (const x of req.toSend) view.set(x.partition, x.fetchOffset);
        // What the broker fetches for this request is exactly what the consumer wants.
        assert.deepEqual(
          [...view].sort((a, b) => a[0] - b[0]),
          wanted.map((w) => [w.partition, w.fetchOffset] as const).sort((a, b) => a[0] - b[0]),
        );
        if (st.outcome === "ok") {
          broker = view;
          if (req.sessionEpoch === 0) brokerSession = 9;
          s.answered(ErrorCode.NONE, req.sessionEpoch === 0 ? 9 : req.sessionId);
        } else if (st.outcome === "lost") {
          broker = new Map();
          s.answered(ErrorCode.INVALID_FETCH_SESSION_EPOCH, 0);
        } else if (st.outcome === "no-session") {
          // No session given (a full cache), or the session closed in an incremental answer.
          broker = new Map();
          s.answered(ErrorCode.NONE, 0);
        } else {
          broker = new Map();
          s.failed();
        }
      }
    }),
  );
});

const brokers: FakeBroker[] = [];
const consumers: Consumer[] = [];
after(async () => {
  for (const c of consumers) await c.close().catch(() => {});
  for (const b of brokers) await b.stop();
});

test("Brook's consumer against a scripted broker: full fetch, incremental ones, and a full one after a lost session", async () => {
  let port = 0;
  const fetches: FetchRequest[] = [];
  const partitionData = (partition: number, records: Buffer | null) => ({
    partitionIndex: partition,
    errorCode: 0,
    highWatermark: 2n,
    lastStableOffset: 2n,
    logStartOffset: 0n,
    abortedTransactions: [],
    preferredReadReplica: -1,
    records,
  });
  const twoRecords = encodeRecordBatch({
    baseOffset: 0n,
    records: [
      { key: null, value: Buffer.from("a") },
      { key: null, value: Buffer.from("b") },
    ],
  });
  const broker = await FakeBroker.start(async (request) => {
    if (request.apiKey === ApiKey.Metadata) return { body: oneBrokerMetadata(port, { t: 3 }) };
    if (request.apiKey !== ApiKey.Fetch) return undefined;
    const body = request.body as FetchRequest;
    fetches.push(body);
    const n = fetches.length;
    await new Promise((resolve) => setTimeout(resolve, 20));
    // The second answer carries p1's records; the fourth says the session is gone.
    if (n === 4)
      return {
        body: {
          throttleTimeMs: 0,
          errorCode: ErrorCode.FETCH_SESSION_ID_NOT_FOUND,
          sessionId: 0,
          responses: [],
        },
      };
    const responses = n === 2 ? [{ topic: "t", partitions: [partitionData(1, twoRecords)] }] : [];
    return { body: { throttleTimeMs: 0, errorCode: 0, sessionId: 42, responses } };
  });
  brokers.push(broker);
  port = broker.port;
  const consumer = new Consumer({ bootstrap: `127.0.0.1:${port}`, fetchMaxWaitMs: 10 });
  consumers.push(consumer);
  consumer.assign([0, 1, 2].map((partition) => ({ topic: "t", partition, offset: 0n })));
  const got: ConsumerRecord[] = [];
  for (let i = 0; i < 50 && (got.length < 2 || fetches.length < 6); i++)
    got.push(...(await consumer.poll(100)));
  assert.deepEqual(
    got.map((r) => [r.partition, r.offset, r.value?.toString()]),
    [
      [1, 0n, "a"],
      [1, 1n, "b"],
    ],
  );
  const shape = (f: FetchRequest) => ({
    session: [f.sessionId, f.sessionEpoch],
    named: f.topics.flatMap((t) => t.partitions.map((x) => [x.partition, x.fetchOffset])),
    forgotten: f.forgottenTopicsData.flatMap((t) => t.partitions),
  });
  const [first, second, third, fourth, fifth] = fetches.map(shape);
  assert.deepEqual(first, {
    session: [0, 0],
    named: [
      [0, 0n],
      [1, 0n],
      [2, 0n],
    ],
    forgotten: [],
  });
  assert.deepEqual(second, { session: [42, 1], named: [], forgotten: [] }, "nothing changed: nothing named");
  // p1 came back with records: it is named again at its new position once they are handed out
  // (forgotten meanwhile if a fetch goes out while they wait), and nothing else is named.
  assert.deepEqual(
    [third?.session, fourth?.session],
    [
      [42, 2],
      [42, 3],
    ],
  );
  const renamed = [third, fourth].find((f) => f?.named.length !== 0);
  assert.deepEqual(renamed?.named, [[1, 2n]]);
  for (const f of [third, fourth])
    assert.ok(
      f?.forgotten.every((x) => x === 1),
      "only p1 is ever forgotten",
    );
  assert.deepEqual(fifth?.session, [0, 0], "after FETCH_SESSION_ID_NOT_FOUND: a new session");
  assert.deepEqual(fifth?.named, [
    [0, 0n],
    [1, 2n],
    [2, 0n],
  ]);
});
