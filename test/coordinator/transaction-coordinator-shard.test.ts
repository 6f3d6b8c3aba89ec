import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { ManualClock } from "../../src/base/index.js";
import {
  decodeTransactionRecord,
  encodeTransactionRecord,
  TransactionState as S,
  TransactionCoordinatorShard,
  type TransactionEffect,
  type TransactionRecord,
  type TransactionResponse,
  transactionCoordinatorConfig,
} from "../../src/coordinator/index.js";
import { isValidTransition } from "../../src/coordinator/transaction-state.js";
import { ErrorCode } from "../../src/protocol/index.js";

const config = transactionCoordinatorConfig({
  transactionMaxTimeoutMs: 60_000,
  transactionalIdExpirationMs: 3_600_000,
  abortTimedOutTransactionsIntervalMs: 1_000,
  removeExpiredTransactionalIdsIntervalMs: 60_000,
});

type Marker = Extract<TransactionEffect, { kind: "writeMarkers" }>;

/**
 * Drives a shard as its shell would: appends complete at once (through the record codec, into a
 * log that is replayed by `reload`) unless `failNextAppend` is set, markers are collected and
 * written when the test says so, time only moves when the test advances it. Checks that every
 * handle is answered exactly once and that each state written follows a legal transition.
 */
class Harness {
  readonly clock = new ManualClock();
  shard = new TransactionCoordinatorShard({ config, clock: this.clock });
  readonly log: TransactionRecord[] = [];
  readonly answers = new Map<number, TransactionResponse>();
  readonly markers: Marker[] = [];
  failNextAppend: number = ErrorCode.NONE;
  private nextHandle = 1;
  private nextProducerId = 1000n;

  constructor() {
    this.run(this.shard.onLoaded());
  }

  init(transactionalId: string, options: { timeoutMs?: number; producerId?: bigint; epoch?: number } = {}) {
    return this.call((h) =>
      this.shard.initProducerId(
        h,
        {
          transactionalId,
          transactionTimeoutMs: options.timeoutMs ?? 10_000,
          producerId: options.producerId ?? -1n,
          producerEpoch: options.epoch ?? -1,
        },
        this.nextProducerId++,
      ),
    );
  }

  add(
    transactionalId: string,
    producerId: bigint,
    producerEpoch: number,
    partitions: [string, number][],
    clientTransactionVersion = 0,
  ) {
    return this.call((h) =>
      this.shard.addPartitions(h, {
        transactionalId,
        producerId,
        producerEpoch,
        partitions: partitions.map(([topic, partition]) => ({ topic, partition })),
        clientTransactionVersion,
      }),
    );
  }

  end(
    transactionalId: string,
    producerId: bigint,
    producerEpoch: number,
    committed: boolean,
    clientTransactionVersion = 0,
  ) {
    const request = { transactionalId, producerId, producerEpoch, committed, clientTransactionVersion };
    const newProducerId = this.shard.needsNewProducerId(request) ? this.nextProducerId++ : undefined;
    return this.call((h) => this.shard.endTransaction(h, request, newProducerId));
  }

  writeMarkers(): void {
    for (const m of this.markers.splice(0))
      this.run(this.shard.onMarkersWritten(m.transactionalId, m.producerId, m.producerEpoch));
  }

  advance(ms: number): void {
    this.clock.advance(ms);
    this.run(this.shard.poll());
  }

  state(transactionalId: string) {
    return this.shard.transaction(transactionalId);
  }

  /** A new shard loaded from the log, as after a leader change. */
  reload(): void {
    this.shard = new TransactionCoordinatorShard({ config, clock: this.clock });
    for (const r of this.log) this.shard.replay(r);
    this.run(this.shard.onLoaded());
  }

  private call(run: (handle: number) => TransactionEffect[]): TransactionResponse {
    const handle = this.nextHandle++;
    this.run(run(handle));
    const answer = this.answers.get(handle);
    assert.ok(answer !== undefined, "answered synchronously in this harness");
    return answer;
  }

  private run(effects: TransactionEffect[]): void {
    for (const e of effects) {
      if (e.kind === "respond") {
        assert.ok(!this.answers.has(e.handle), `handle ${e.handle} answered twice`);
        this.answers.set(e.handle, e.response);
      } else if (e.kind === "writeMarkers") {
        this.markers.push(e);
      } else {
        const code = this.failNextAppend;
        this.failNextAppend = ErrorCode.NONE;
        if (code === ErrorCode.NONE) {
          for (const r of e.records) {
            const decoded = decodeTransactionRecord(encodeTransactionRecord(r));
            assert.ok(decoded !== null);
            assert.deepEqual(decoded.value?.state, r.value?.state);
            const previous = this.log.findLast((p) => p.transactionalId === r.transactionalId)?.value;
            const from = previous?.state ?? S.Empty;
            const to = r.value?.state ?? S.Dead;
            assert.ok(
              isValidTransition(from, to) || (from === S.Ongoing && to === S.PrepareAbort),
              `${from} -> ${to}`,
            );
            this.log.push(decoded);
          }
        }
        this.run(this.shard.onAppendCompleted(e.appendId, code));
      }
    }
  }
}

describe("TransactionCoordinatorShard", () => {
  test("InitProducerId: a new id gets a producer id at epoch 0, a new session bumps the epoch", () => {
    const h = new Harness();
    const first = h.init("t1");
    assert.deepEqual(first, { errorCode: ErrorCode.NONE, producerId: 1000n, producerEpoch: 0 });
    assert.equal(h.log.at(-1)?.value?.state, S.Empty);
    const second = h.init("t1");
    assert.deepEqual(second, { errorCode: ErrorCode.NONE, producerId: 1000n, producerEpoch: 1 });
  });

  test("InitProducerId: a timeout outside (0, transaction.max.timeout.ms] is INVALID_TRANSACTION_TIMEOUT", () => {
    const h = new Harness();
    assert.equal(h.init("t1", { timeoutMs: 0 }).errorCode, ErrorCode.INVALID_TRANSACTION_TIMEOUT);
    assert.equal(h.init("t1", { timeoutMs: 60_001 }).errorCode, ErrorCode.INVALID_TRANSACTION_TIMEOUT);
    assert.equal(h.init("t1", { timeoutMs: 60_000 }).errorCode, ErrorCode.NONE);
  });

  test("a committed transaction: Ongoing, PrepareCommit, markers, CompleteCommit", () => {
    const h = new Harness();
    const { producerId: pid, producerEpoch: epoch } = h.init("t1");
    assert.equal(
      h.add("t1", pid, epoch, [
        ["a", 0],
        ["b", 1],
      ]).errorCode,
      ErrorCode.NONE,
    );
    assert.equal(h.state("t1")?.state, S.Ongoing);
    const written = h.log.length;
    assert.equal(h.add("t1", pid, epoch, [["a", 0]]).errorCode, ErrorCode.NONE);
    assert.equal(h.log.length, written, "partitions already in the transaction write nothing");
    assert.equal(h.end("t1", pid, epoch, true).errorCode, ErrorCode.NONE);
    assert.equal(h.state("t1")?.state, S.PrepareCommit);
    assert.equal(h.markers.length, 1);
    assert.deepEqual(h.markers[0]?.partitions, [
      { topic: "a", partition: 0 },
      { topic: "b", partition: 1 },
    ]);
    assert.equal(h.markers[0]?.committed, true);
    // Until the markers are written, the next transaction waits.
    assert.equal(h.add("t1", pid, epoch, [["a", 0]]).errorCode, ErrorCode.CONCURRENT_TRANSACTIONS);
    assert.equal(h.end("t1", pid, epoch, true).errorCode, ErrorCode.CONCURRENT_TRANSACTIONS);
    assert.equal(h.end("t1", pid, epoch, false).errorCode, ErrorCode.INVALID_TXN_STATE);
    assert.equal(h.init("t1").errorCode, ErrorCode.CONCURRENT_TRANSACTIONS);
    h.writeMarkers();
    assert.equal(h.state("t1")?.state, S.CompleteCommit);
    assert.equal(h.state("t1")?.partitionCount, 0);
    assert.equal(h.end("t1", pid, epoch, true).errorCode, ErrorCode.NONE, "a retried commit");
    assert.equal(h.end("t1", pid, epoch, false).errorCode, ErrorCode.INVALID_TXN_STATE);
    // The next transaction starts from CompleteCommit.
    assert.equal(h.add("t1", pid, epoch, [["c", 0]]).errorCode, ErrorCode.NONE);
    assert.equal(h.end("t1", pid, epoch, false).errorCode, ErrorCode.NONE);
    assert.equal(h.markers[0]?.committed, false);
    h.writeMarkers();
    assert.equal(h.state("t1")?.state, S.CompleteAbort);
    assert.equal(h.end("t1", pid, epoch, false).errorCode, ErrorCode.NONE);
    assert.equal(h.end("t1", pid, epoch, true).errorCode, ErrorCode.INVALID_TXN_STATE);
  });

  test("requests with the wrong producer are refused with Kafka's errors", () => {
    const h = new Harness();
    const { producerId: pid, producerEpoch: epoch } = h.init("t1");
    assert.equal(h.add("nope", pid, epoch, [["a", 0]]).errorCode, ErrorCode.INVALID_PRODUCER_ID_MAPPING);
    assert.equal(h.add("t1", pid + 1n, epoch, [["a", 0]]).errorCode, ErrorCode.INVALID_PRODUCER_ID_MAPPING);
    assert.equal(h.add("t1", pid, epoch + 1, [["a", 0]]).errorCode, ErrorCode.PRODUCER_FENCED);
    assert.equal(h.end("t1", pid, epoch, true).errorCode, ErrorCode.INVALID_TXN_STATE, "EndTxn on Empty");
    assert.equal(h.end("nope", pid, epoch, true).errorCode, ErrorCode.INVALID_PRODUCER_ID_MAPPING);
  });

  test("a second producer fences the first and aborts its ongoing transaction", () => {
    const h = new Harness();
    const zombie = h.init("t1");
    h.add("t1", zombie.producerId, zombie.producerEpoch, [["a", 0]]);
    assert.equal(h.init("t1").errorCode, ErrorCode.CONCURRENT_TRANSACTIONS);
    assert.equal(h.state("t1")?.state, S.PrepareAbort);
    assert.equal(h.markers[0]?.committed, false);
    assert.equal(h.markers[0]?.producerEpoch, zombie.producerEpoch + 1, "markers carry the fencing epoch");
    assert.equal(h.log.at(-1)?.value?.producerEpoch, zombie.producerEpoch + 1);
    // The zombie's commit is fenced.
    assert.equal(
      h.end("t1", zombie.producerId, zombie.producerEpoch, true).errorCode,
      ErrorCode.PRODUCER_FENCED,
    );
    h.writeMarkers();
    const successor = h.init("t1");
    assert.deepEqual(successor, {
      errorCode: ErrorCode.NONE,
      producerId: zombie.producerId,
      producerEpoch: 2,
    });
    assert.equal(
      h.add("t1", zombie.producerId, zombie.producerEpoch, [["a", 0]]).errorCode,
      ErrorCode.PRODUCER_FENCED,
    );
  });

  test("a transaction older than its timeout is aborted with a bumped epoch", () => {
    const h = new Harness();
    const p = h.init("t1", { timeoutMs: 5_000 });
    h.add("t1", p.producerId, p.producerEpoch, [["a", 0]]);
    h.advance(4_000);
    assert.equal(h.state("t1")?.state, S.Ongoing);
    h.advance(2_000);
    assert.equal(h.state("t1")?.state, S.PrepareAbort);
    assert.equal(h.state("t1")?.producerEpoch, p.producerEpoch + 1);
    h.writeMarkers();
    assert.equal(h.state("t1")?.state, S.CompleteAbort);
    assert.equal(h.end("t1", p.producerId, p.producerEpoch, true).errorCode, ErrorCode.PRODUCER_FENCED);
  });

  test("an idle transactional id expires after transactional.id.expiration.ms; an ongoing one does not", () => {
    const h = new Harness();
    h.init("idle");
    const busy = h.init("busy", { timeoutMs: 60_000 });
    h.add("busy", busy.producerId, busy.producerEpoch, [["a", 0]]);
    for (let i = 0; i < 60; i++) {
      h.advance(60_000);
      // keep "busy" ongoing: a new transaction every minute
      if (h.state("busy")?.state === S.PrepareAbort) h.writeMarkers();
      const b = h.state("busy");
      if (b !== undefined && b.state !== S.Ongoing) h.add("busy", b.producerId, b.producerEpoch, [["a", 0]]);
    }
    h.advance(60_000);
    assert.equal(h.state("idle"), undefined);
    assert.equal(h.log.at(-1)?.transactionalId !== undefined, true);
    assert.ok(
      h.log.some((r) => r.transactionalId === "idle" && r.value === null),
      "a tombstone is written",
    );
    assert.ok(h.state("busy") !== undefined);
  });

  test("KIP-360: an InitProducerId with the current id and epoch bumps it; its retry gets the same epoch", () => {
    const h = new Harness();
    const p = h.init("t1");
    const bumped = h.init("t1", { producerId: p.producerId, epoch: p.producerEpoch });
    assert.deepEqual(bumped, { errorCode: ErrorCode.NONE, producerId: p.producerId, producerEpoch: 1 });
    const retried = h.init("t1", { producerId: p.producerId, epoch: p.producerEpoch });
    assert.deepEqual(retried, bumped);
    assert.equal(h.init("t1", { producerId: 77n, epoch: 0 }).errorCode, ErrorCode.PRODUCER_FENCED);
    h.init("t1"); // a new producer: the old epoch may no longer retry
    assert.equal(h.init("t1", { producerId: p.producerId, epoch: 0 }).errorCode, ErrorCode.PRODUCER_FENCED);
  });

  test("exhausted epochs rotate to a new producer id at epoch 0", () => {
    const h = new Harness();
    const p = h.init("t1");
    const txn = h.state("t1");
    assert.ok(txn !== undefined);
    txn.producerEpoch = 32_766;
    const rotated = h.init("t1");
    assert.equal(rotated.errorCode, ErrorCode.NONE);
    assert.notEqual(rotated.producerId, p.producerId);
    assert.equal(rotated.producerEpoch, 0);
    assert.equal(h.state("t1")?.previousProducerId, p.producerId);
  });

  test("a failed append answers the mapped error and leaves the id as it was", () => {
    const h = new Harness();
    const p = h.init("t1");
    h.failNextAppend = ErrorCode.NOT_LEADER_OR_FOLLOWER;
    assert.equal(h.add("t1", p.producerId, p.producerEpoch, [["a", 0]]).errorCode, ErrorCode.NOT_COORDINATOR);
    assert.equal(h.state("t1")?.state, S.Empty);
    h.failNextAppend = ErrorCode.NOT_ENOUGH_REPLICAS;
    assert.equal(
      h.add("t1", p.producerId, p.producerEpoch, [["a", 0]]).errorCode,
      ErrorCode.COORDINATOR_NOT_AVAILABLE,
    );
    assert.equal(h.add("t1", p.producerId, p.producerEpoch, [["a", 0]]).errorCode, ErrorCode.NONE);
  });

  test("a failed completion write is retried after a backoff", () => {
    const h = new Harness();
    const p = h.init("t1");
    h.add("t1", p.producerId, p.producerEpoch, [["a", 0]]);
    h.end("t1", p.producerId, p.producerEpoch, true);
    h.failNextAppend = ErrorCode.REQUEST_TIMED_OUT;
    h.writeMarkers();
    assert.equal(h.state("t1")?.state, S.PrepareCommit);
    h.advance(200);
    assert.equal(h.state("t1")?.state, S.CompleteCommit);
  });

  test("a new leader resumes a transaction that was being committed", () => {
    const h = new Harness();
    const p = h.init("t1");
    h.add("t1", p.producerId, p.producerEpoch, [
      ["a", 0],
      ["a", 1],
    ]);
    h.end("t1", p.producerId, p.producerEpoch, true);
    h.markers.length = 0; // the old leader dies before writing them
    h.reload();
    assert.equal(h.state("t1")?.state, S.PrepareCommit);
    assert.equal(h.markers.length, 1);
    assert.equal(h.markers[0]?.partitions.length, 2);
    h.writeMarkers();
    assert.equal(h.state("t1")?.state, S.CompleteCommit);
  });

  test("verifyPartitions (AddPartitionsToTxn v4 verify-only) writes nothing", () => {
    const h = new Harness();
    const p = h.init("t1");
    h.add("t1", p.producerId, p.producerEpoch, [["a", 0]]);
    const written = h.log.length;
    const codes = h.shard.verifyPartitions({
      transactionalId: "t1",
      producerId: p.producerId,
      producerEpoch: p.producerEpoch,
      partitions: [
        { topic: "a", partition: 0 },
        { topic: "a", partition: 1 },
      ],
    });
    assert.deepEqual(codes, [ErrorCode.NONE, ErrorCode.TRANSACTION_ABORTABLE]);
    assert.equal(h.log.length, written);
  });

  test("verifyPartitions: Kafka's errors for the wrong producer and for a transaction being completed", () => {
    const h = new Harness();
    const p = h.init("t1");
    h.add("t1", p.producerId, p.producerEpoch, [["a", 0]]);
    const verify = (producerId: bigint, producerEpoch: number, transactionalId = "t1") =>
      h.shard.verifyPartitions({
        transactionalId,
        producerId,
        producerEpoch,
        partitions: [{ topic: "a", partition: 0 }],
      });
    assert.deepEqual(verify(p.producerId, p.producerEpoch, "nobody"), [
      ErrorCode.INVALID_PRODUCER_ID_MAPPING,
    ]);
    assert.deepEqual(verify(p.producerId + 1n, p.producerEpoch), [ErrorCode.INVALID_PRODUCER_ID_MAPPING]);
    assert.deepEqual(verify(p.producerId, p.producerEpoch - 1), [ErrorCode.PRODUCER_FENCED]);
    h.end("t1", p.producerId, p.producerEpoch, true);
    assert.deepEqual(verify(p.producerId, p.producerEpoch), [ErrorCode.CONCURRENT_TRANSACTIONS]);
    h.writeMarkers();
    // Completed: its partitions are gone, a produce to them would start a transaction unannounced.
    assert.deepEqual(verify(p.producerId, p.producerEpoch), [ErrorCode.TRANSACTION_ABORTABLE]);
  });
});

describe("TransactionCoordinatorShard, transactions version 2 (KIP-890 part 2)", () => {
  test("EndTxn v5 bumps the epoch: the prepare record, the markers and the answer carry it", () => {
    const h = new Harness();
    const p = h.init("t1");
    // The partition leader adds the partition for the TV2 producer (no AddPartitionsToTxn from it).
    assert.equal(h.add("t1", p.producerId, p.producerEpoch, [["a", 0]], 2).errorCode, ErrorCode.NONE);
    assert.equal(h.state("t1")?.clientTransactionVersion, 2);
    const ended = h.end("t1", p.producerId, p.producerEpoch, true, 2);
    assert.deepEqual(ended, {
      errorCode: ErrorCode.NONE,
      producerId: p.producerId,
      producerEpoch: p.producerEpoch + 1,
    });
    assert.equal(h.log.at(-1)?.value?.state, S.PrepareCommit);
    assert.equal(h.log.at(-1)?.value?.producerEpoch, p.producerEpoch + 1);
    assert.equal(h.markers[0]?.producerEpoch, p.producerEpoch + 1);
    assert.equal(h.markers[0]?.producerId, p.producerId);
    h.writeMarkers();
    assert.equal(h.state("t1")?.state, S.CompleteCommit);
    assert.equal(h.state("t1")?.producerEpoch, p.producerEpoch + 1);
    // The next transaction runs at the bumped epoch; the old one is fenced.
    assert.equal(
      h.add("t1", p.producerId, p.producerEpoch, [["a", 1]], 2).errorCode,
      ErrorCode.PRODUCER_FENCED,
    );
    assert.equal(h.add("t1", p.producerId, p.producerEpoch + 1, [["a", 1]], 2).errorCode, ErrorCode.NONE);
    const aborted = h.end("t1", p.producerId, p.producerEpoch + 1, false, 2);
    assert.equal(aborted.producerEpoch, p.producerEpoch + 2);
    h.writeMarkers();
    assert.equal(h.state("t1")?.state, S.CompleteAbort);
  });

  test("a retried EndTxn v5 names the epoch before the bump and gets the bumped one", () => {
    const h = new Harness();
    const p = h.init("t1");
    h.add("t1", p.producerId, p.producerEpoch, [["a", 0]], 2);
    h.end("t1", p.producerId, p.producerEpoch, true, 2);
    const whilePreparing = h.end("t1", p.producerId, p.producerEpoch, true, 2);
    assert.equal(whilePreparing.errorCode, ErrorCode.CONCURRENT_TRANSACTIONS);
    assert.equal(h.end("t1", p.producerId, p.producerEpoch, false, 2).errorCode, ErrorCode.INVALID_TXN_STATE);
    h.writeMarkers();
    assert.deepEqual(h.end("t1", p.producerId, p.producerEpoch, true, 2), {
      errorCode: ErrorCode.NONE,
      producerId: p.producerId,
      producerEpoch: p.producerEpoch + 1,
    });
    // With TV2 the same epoch as the state's is the next transaction's EndTxn, not a retry.
    assert.equal(
      h.end("t1", p.producerId, p.producerEpoch + 1, true, 2).errorCode,
      ErrorCode.PRODUCER_FENCED,
    );
    assert.equal(
      h.end("t1", p.producerId, p.producerEpoch - 1, true, 2).errorCode,
      ErrorCode.PRODUCER_FENCED,
    );
  });

  test("EndTxn v5 with the epochs used up rotates to a new producer id once the markers are written", () => {
    const h = new Harness();
    const p = h.init("t1");
    h.add("t1", p.producerId, p.producerEpoch, [["a", 0]], 2);
    const txn = h.state("t1");
    assert.ok(txn !== undefined);
    txn.producerEpoch = 32_766;
    const ended = h.end("t1", p.producerId, 32_766, true, 2);
    assert.equal(ended.errorCode, ErrorCode.NONE);
    assert.notEqual(ended.producerId, p.producerId);
    assert.equal(ended.producerEpoch, 0);
    // The markers are the old producer's, at the last epoch.
    assert.equal(h.markers[0]?.producerId, p.producerId);
    assert.equal(h.markers[0]?.producerEpoch, 32_767);
    // Until they are written, the new id's first add waits (CONCURRENT_TRANSACTIONS), not fenced.
    assert.equal(
      h.add("t1", ended.producerId, 0, [["a", 1]], 2).errorCode,
      ErrorCode.CONCURRENT_TRANSACTIONS,
    );
    h.writeMarkers();
    const after = h.state("t1");
    assert.equal(after?.state, S.CompleteCommit);
    assert.equal(after?.producerId, ended.producerId);
    assert.equal(after?.producerEpoch, 0);
    assert.equal(after?.previousProducerId, p.producerId);
    // A retry with the old id and epoch is recognised (retryOnOverflow) and answered with the new id.
    assert.deepEqual(h.end("t1", p.producerId, 32_766, true, 2), {
      errorCode: ErrorCode.NONE,
      producerId: ended.producerId,
      producerEpoch: 0,
    });
    assert.equal(h.add("t1", ended.producerId, 0, [["a", 1]], 2).errorCode, ErrorCode.NONE);
    // The rotation survives a reload (it is in the log).
    h.reload();
    assert.equal(h.state("t1")?.producerId, ended.producerId);
  });

  test("a fenced TV2 transaction is aborted with one epoch bump, not two", () => {
    const h = new Harness();
    const p = h.init("t1");
    h.add("t1", p.producerId, p.producerEpoch, [["a", 0]], 2);
    assert.equal(h.init("t1").errorCode, ErrorCode.CONCURRENT_TRANSACTIONS);
    assert.equal(h.markers[0]?.producerEpoch, p.producerEpoch + 1);
    assert.equal(h.markers[0]?.committed, false);
    h.writeMarkers();
    const next = h.init("t1");
    assert.equal(next.producerEpoch, p.producerEpoch + 2);
  });

  test("a client without TV2 keeps the epoch at EndTxn", () => {
    const h = new Harness();
    const p = h.init("t1");
    h.add("t1", p.producerId, p.producerEpoch, [["a", 0]]);
    const ended = h.end("t1", p.producerId, p.producerEpoch, true);
    assert.equal(ended.producerEpoch, p.producerEpoch);
    assert.equal(h.markers[0]?.producerEpoch, p.producerEpoch);
    h.writeMarkers();
    assert.equal(h.end("t1", p.producerId, p.producerEpoch, true).errorCode, ErrorCode.NONE);
    assert.equal(h.state("t1")?.producerEpoch, p.producerEpoch);
  });

  test("unloading answers requests whose append is in flight NOT_COORDINATOR", () => {
    const clock = new ManualClock();
    const shard = new TransactionCoordinatorShard({ config, clock });
    shard.onLoaded();
    const effects = shard.initProducerId(
      1,
      { transactionalId: "t", transactionTimeoutMs: 1000, producerId: -1n, producerEpoch: -1 },
      5n,
    );
    assert.equal(effects[0]?.kind, "append");
    const out = shard.onUnloaded();
    assert.deepEqual(out, [
      {
        kind: "respond",
        handle: 1,
        response: { errorCode: ErrorCode.NOT_COORDINATOR, producerId: -1n, producerEpoch: -1 },
      },
    ]);
  });
});
