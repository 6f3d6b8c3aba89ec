import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import { ManualClock } from "../../src/base/index.js";
import { ErrorCode, KafkaError } from "../../src/protocol/index.js";
import type { AppendOrigin } from "../../src/storage/index.js";
import { DuplicateBatchError } from "../../src/storage/index.js";
import { type ProducerBatch, ProducerState } from "../../src/storage/producer-state.js";
import {
  decrementSequence,
  incrementSequence,
  inSequence,
  SEQUENCE_MAX,
} from "../../src/storage/producer-state-entry.js";

/**
 * The idempotent-producer rules without a log: a tiny "log" here assigns offsets the way the
 * real one does (validate, then apply with the final offsets), so the tests read like appends.
 */
class Harness {
  readonly state = new ProducerState("t-0", 1000);
  logEnd = 0n;

  /** Validates and, when accepted, applies one batch; returns its first offset. */
  append(
    producerId: bigint,
    epoch: number,
    firstSeq: number,
    count = 1,
    options: { origin?: AppendOrigin; timestamp?: bigint } = {},
  ): bigint {
    const batch = this.batch(producerId, epoch, firstSeq, count, options.timestamp ?? 1000n);
    this.state.beginAppend();
    this.state.validate(batch, options.origin ?? "client");
    this.state.apply(batch);
    this.logEnd = batch.lastOffset + 1n;
    return batch.firstOffset;
  }

  batch(
    producerId: bigint,
    epoch: number,
    firstSeq: number,
    count: number,
    timestamp = 1000n,
  ): ProducerBatch {
    return {
      producerId,
      producerEpoch: epoch,
      firstSeq,
      lastSeq: firstSeq < 0 ? firstSeq : incrementSequence(firstSeq, count - 1),
      firstOffset: this.logEnd,
      lastOffset: this.logEnd + BigInt(count - 1),
      maxTimestamp: timestamp,
      isTransactional: false,
      isControl: false,
    };
  }
}

function kafkaCode(fn: () => unknown): number | "ok" | "duplicate" {
  try {
    fn();
    return "ok";
  } catch (e) {
    if (e instanceof DuplicateBatchError) return "duplicate";
    if (e instanceof KafkaError) return e.errorCode;
    throw e;
  }
}

test("sequence arithmetic wraps at Int32.MAX", () => {
  assert.equal(incrementSequence(5, 3), 8);
  assert.equal(incrementSequence(SEQUENCE_MAX - 1, 1), SEQUENCE_MAX);
  assert.equal(incrementSequence(SEQUENCE_MAX - 1, 2), 0);
  assert.equal(incrementSequence(SEQUENCE_MAX, 4), 3);
  assert.equal(decrementSequence(3, 4), SEQUENCE_MAX);
  assert.equal(decrementSequence(0, 2), SEQUENCE_MAX - 1);
  assert.equal(decrementSequence(10, 3), 7);
  assert.ok(inSequence(-1, 0));
  assert.ok(inSequence(SEQUENCE_MAX, 0));
  assert.ok(inSequence(6, 7));
  assert.ok(!inSequence(6, 8));
  fc.assert(
    fc.property(fc.integer({ min: 0, max: SEQUENCE_MAX }), fc.integer({ min: 0, max: 1_000_000 }), (s, n) => {
      assert.equal(decrementSequence(incrementSequence(s, n), n), s);
    }),
  );
});

test("in-order batches are accepted and the entry tracks epoch, last sequence and time", () => {
  const h = new Harness();
  assert.equal(h.append(7n, 0, 0, 3, { timestamp: 111n }), 0n);
  assert.equal(h.append(7n, 0, 3, 2, { timestamp: 222n }), 3n);
  const entry = h.state.get(7n);
  assert.ok(entry);
  assert.equal(entry.producerEpoch, 0);
  assert.equal(entry.lastSeq, 4);
  assert.equal(entry.lastDataOffset, 4n);
  assert.equal(entry.lastTimestamp, 222n);
  assert.equal(entry.currentTxnFirstOffset, -1n);
});

test("a retry of each of the last five batches is a duplicate with the original offsets; older ones are out of order", () => {
  const h = new Harness();
  const firstOffsets: bigint[] = [];
  for (let i = 0; i < 7; i++) firstOffsets.push(h.append(1n, 0, i * 2, 2));
  const logEnd = h.logEnd;
  for (let i = 2; i < 7; i++) {
    const retry = h.batch(1n, 0, i * 2, 2);
    h.state.beginAppend();
    assert.throws(
      () => h.state.validate(retry, "client"),
      (e: unknown) =>
        e instanceof DuplicateBatchError &&
        e.firstOffset === firstOffsets[i] &&
        e.lastOffset === (firstOffsets[i] as bigint) + 1n,
    );
  }
  // the sixth-newest and older are forgotten: a plain sequence gap
  for (const i of [0, 1]) {
    h.state.beginAppend();
    assert.equal(
      kafkaCode(() => h.state.validate(h.batch(1n, 0, i * 2, 2), "client")),
      ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER,
    );
  }
  // same first sequence but another range is not a duplicate
  h.state.beginAppend();
  assert.equal(
    kafkaCode(() => h.state.validate(h.batch(1n, 0, 12, 1), "client")),
    ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER,
  );
  assert.equal(h.logEnd, logEnd);
  assert.equal(h.append(1n, 0, 14, 1), logEnd);
});

test("a gap in the sequence is OUT_OF_ORDER_SEQUENCE_NUMBER and changes nothing", () => {
  const h = new Harness();
  h.append(3n, 0, 0, 5);
  assert.equal(
    kafkaCode(() => h.append(3n, 0, 6)),
    ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER,
  );
  assert.equal(
    kafkaCode(() => h.append(3n, 0, 4)),
    ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER,
  );
  assert.equal(h.state.get(3n)?.lastSeq, 4);
  assert.equal(
    kafkaCode(() => h.append(3n, 0, 5)),
    "ok",
  );
});

test("an older epoch is INVALID_PRODUCER_EPOCH, for clients and coordinators, not for replication", () => {
  const h = new Harness();
  h.append(9n, 2, 0);
  assert.equal(
    kafkaCode(() => h.append(9n, 1, 1)),
    ErrorCode.INVALID_PRODUCER_EPOCH,
  );
  assert.equal(
    kafkaCode(() => h.append(9n, 1, 0)),
    ErrorCode.INVALID_PRODUCER_EPOCH,
  );
  assert.equal(
    kafkaCode(() => h.append(9n, 1, 1, 1, { origin: "coordinator" })),
    ErrorCode.INVALID_PRODUCER_EPOCH,
  );
  assert.equal(
    kafkaCode(() => h.append(9n, 1, 57, 1, { origin: "replication" })),
    "ok",
  );
});

test("a new epoch starts at sequence 0 and forgets the batches of the old one", () => {
  const h = new Harness();
  h.append(4n, 0, 0, 3);
  assert.equal(
    kafkaCode(() => h.append(4n, 1, 3)),
    ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER,
  );
  assert.equal(
    kafkaCode(() => h.append(4n, 1, 0, 2)),
    "ok",
  );
  assert.equal(h.state.get(4n)?.producerEpoch, 1);
  assert.equal(h.state.get(4n)?.batches.length, 1);
  // the old epoch's batch is now fenced, not a duplicate
  assert.equal(
    kafkaCode(() => h.append(4n, 0, 0, 3)),
    ErrorCode.INVALID_PRODUCER_EPOCH,
  );
  assert.equal(
    kafkaCode(() => h.append(4n, 1, 2)),
    "ok",
  );
});

test("a producer the partition does not know may start at any sequence (KIP-360)", () => {
  const h = new Harness();
  assert.equal(
    kafkaCode(() => h.append(11n, 3, 42, 2)),
    "ok",
  );
  assert.equal(
    kafkaCode(() => h.append(11n, 3, 45)),
    ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER,
  );
  assert.equal(
    kafkaCode(() => h.append(11n, 3, 44)),
    "ok",
  );
});

test("sequences wrap around from Int32.MAX to 0", () => {
  const h = new Harness();
  h.append(5n, 0, SEQUENCE_MAX - 4, 3); // ends at MAX - 2
  h.append(5n, 0, SEQUENCE_MAX - 1, 4); // MAX - 1, MAX, 0, 1
  assert.equal(h.state.get(5n)?.lastSeq, 1);
  assert.equal(
    kafkaCode(() => h.append(5n, 0, SEQUENCE_MAX - 1, 4)),
    "duplicate",
  );
  assert.equal(
    kafkaCode(() => h.append(5n, 0, 3)),
    ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER,
  );
  assert.equal(
    kafkaCode(() => h.append(5n, 0, 2)),
    "ok",
  );
  const exact = new Harness();
  exact.append(6n, 0, SEQUENCE_MAX - 1, 2); // ends exactly at MAX
  assert.equal(
    kafkaCode(() => exact.append(6n, 0, SEQUENCE_MAX)),
    ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER,
  );
  assert.equal(
    kafkaCode(() => exact.append(6n, 0, 0)),
    "ok",
  );
});

test("producers are independent of each other", () => {
  const h = new Harness();
  h.append(1n, 0, 0, 2);
  h.append(2n, 5, 0, 1);
  h.append(1n, 0, 2, 1);
  h.append(2n, 5, 1, 4);
  assert.equal(
    kafkaCode(() => h.append(1n, 0, 0, 2)),
    "duplicate",
  );
  assert.equal(
    kafkaCode(() => h.append(2n, 4, 5)),
    ErrorCode.INVALID_PRODUCER_EPOCH,
  );
  assert.equal(
    kafkaCode(() => h.append(1n, 0, 3)),
    "ok",
  );
  assert.equal(h.state.get(1n)?.lastSeq, 3);
  assert.equal(h.state.get(2n)?.lastSeq, 4);
  assert.equal(h.state.size, 2);
});

test("several batches of one producer in one append are checked against each other", () => {
  const h = new Harness();
  h.append(8n, 0, 0, 2);
  const first = h.batch(8n, 0, 2, 2);
  const second = {
    ...h.batch(8n, 0, 4, 1),
    firstOffset: first.lastOffset + 1n,
    lastOffset: first.lastOffset + 1n,
  };
  h.state.beginAppend();
  h.state.validate(first, "client");
  h.state.validate(second, "client");
  // a second batch that does not follow the first is refused ...
  h.state.beginAppend();
  h.state.validate(first, "client");
  assert.equal(
    kafkaCode(() => h.state.validate({ ...second, firstSeq: 2, lastSeq: 2 }, "client")),
    ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER,
  );
  // ... and the refused append left nothing behind: the table still expects sequence 2
  h.state.beginAppend();
  assert.equal(
    kafkaCode(() => h.state.validate(h.batch(8n, 0, 4, 1), "client")),
    ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER,
  );
  h.state.beginAppend();
  h.state.validate(first, "client");
  h.state.validate(second, "client");
  h.state.apply(first);
  h.state.apply(second);
  assert.equal(h.state.get(8n)?.lastSeq, 4);
  assert.equal(h.state.get(8n)?.batches.length, 3);
});

test("batches without a producer id and control batches are not tracked", () => {
  const h = new Harness();
  h.append(-1n, -1, -1, 3);
  assert.equal(h.state.size, 0);
  const control = { ...h.batch(12n, 0, 0, 1), isControl: true };
  h.state.beginAppend();
  h.state.validate(control, "coordinator");
  h.state.apply(control);
  assert.equal(h.state.size, 0);
});

test("producers expire producer.id.expiration.ms after their last batch's timestamp", () => {
  const clock = new ManualClock(1_700_000_000_000);
  const expirationMs = 86_400_000;
  const h = new Harness();
  h.append(1n, 0, 0, 1, { timestamp: BigInt(clock.nowMs()) });
  clock.advance(60_000);
  h.append(2n, 0, 0, 1, { timestamp: BigInt(clock.nowMs()) });
  clock.advance(expirationMs - 60_001);
  assert.equal(h.state.removeExpired(clock.nowMs(), expirationMs), 0);
  clock.advance(1);
  assert.equal(h.state.removeExpired(clock.nowMs(), expirationMs), 1);
  assert.equal(h.state.get(1n), undefined);
  assert.ok(h.state.get(2n));
  // an expired producer is unknown again: it may continue at any sequence
  assert.equal(
    kafkaCode(() => h.append(1n, 0, 17, 1, { timestamp: BigInt(clock.nowMs()) })),
    "ok",
  );
  clock.advance(60_000);
  assert.equal(h.state.removeExpired(clock.nowMs(), expirationMs), 1);
  assert.equal(h.state.get(2n), undefined);
});

test("a full table evicts the producer that wrote least recently", () => {
  const state = new ProducerState("t-0", 3);
  const h = new Harness();
  for (const [id, ts] of [
    [1n, 500n],
    [2n, 100n],
    [3n, 300n],
    [4n, 400n],
  ] as const) {
    const b = h.batch(id, 0, 0, 1, ts);
    state.beginAppend();
    state.validate(b, "client");
    state.apply(b);
    h.logEnd = b.lastOffset + 1n;
  }
  assert.equal(state.size, 3);
  assert.equal(state.get(2n), undefined);
});

test("property: retries of any of the last five batches answer their offsets; the next sequence continues", () => {
  fc.assert(
    fc.property(
      fc.array(
        fc.record({ count: fc.integer({ min: 1, max: 20 }), retryBack: fc.integer({ min: 0, max: 7 }) }),
        {
          minLength: 1,
          maxLength: 40,
        },
      ),
      fc.integer({ min: 0, max: SEQUENCE_MAX }),
      (steps, startSeq) => {
        const h = new Harness();
        const sent: { firstSeq: number; count: number; firstOffset: bigint }[] = [];
        let seq = startSeq;
        for (const step of steps) {
          const firstOffset = h.append(99n, 0, seq, step.count);
          sent.push({ firstSeq: seq, count: step.count, firstOffset });
          seq = incrementSequence(seq, step.count);
          const back = sent[sent.length - 1 - step.retryBack];
          if (back === undefined) continue;
          const outcome = kafkaCode(() => h.append(99n, 0, back.firstSeq, back.count));
          if (step.retryBack < 5) {
            assert.equal(outcome, "duplicate");
            h.state.beginAppend();
            try {
              h.state.validate(h.batch(99n, 0, back.firstSeq, back.count), "client");
            } catch (e) {
              assert.ok(e instanceof DuplicateBatchError);
              assert.equal(e.firstOffset, back.firstOffset);
            }
          } else {
            assert.equal(outcome, ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER);
          }
        }
        assert.equal(h.state.get(99n)?.lastSeq, decrementSequence(seq, 1));
      },
    ),
    { numRuns: 200 },
  );
});
