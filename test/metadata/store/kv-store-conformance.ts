import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { describe, test } from "node:test";
import { inspect } from "node:util";
import {
  KvCompacted,
  type KvCompare,
  type KvEvent,
  KvLeaseNotFound,
  type KvOp,
  type KvStore,
  type KvWatchListener,
  prefixRangeEnd,
} from "../../../src/metadata/store/kv-store.js";

/**
 * The behaviour every `KvStore` shares, which is etcd's: run against etcd itself
 * (`etcd-kv-store.test.ts`) and against any other implementation (the in-memory store), so that
 * code tested on the fake store behaves the same on etcd. A case that only passes on one of them
 * means the fake is not etcd.
 */
export interface KvStoreHarness {
  readonly store: KvStore;
  /**
   * Lets `ms` of the store's time pass: a store on a manual clock advances it (and expires what
   * is due); without it the suite sleeps for real, as etcd's leases run on its own clock.
   */
  readonly passTime?: (ms: number) => Promise<void>;
  /** Compacts the store's history before `revision` (etcd's Compact); without it the compaction case is skipped. */
  readonly compact?: (revision: bigint) => Promise<void>;
  cleanup(): Promise<void>;
}

const WAIT_MS_MAX = 5_000;
/** How long a case waits to be sure that something does NOT arrive. */
const QUIET_MS = 300;

export function kvStoreConformance(name: string, makeStore: () => Promise<KvStoreHarness>): void {
  /** Runs `fn` on a fresh store, with a key prefix no other case uses. */
  const withStore = async (fn: (h: KvStoreHarness, store: KvStore, p: string) => Promise<void>) => {
    const h = await makeStore();
    try {
      await fn(h, h.store, `/conformance/${randomBytes(4).toString("hex")}/`);
    } finally {
      await h.cleanup();
    }
  };

  describe(`${name}: KvStore conformance`, () => {
    test("range returns the keys under a prefix, sorted, at one revision", () =>
      withStore(async (_h, store, p) => {
        const empty = await store.range(p);
        assert.deepEqual(empty.entries, []);
        assert.ok(empty.revision >= 0n); // etcd starts at 1, a fresh memory store at 0: nothing depends on it
        const outside = [p.slice(0, -1), `${p.slice(0, -1)}0`, `${p}`.slice(0, -2)];
        for (const key of outside) await put(store, key, "outside");
        const revisions: bigint[] = [];
        for (const key of ["b", "a", "c/d"]) revisions.push(await put(store, p + key, `v-${key}`));
        const after = await store.range(p);
        assert.deepEqual(
          after.entries.map((e) => [e.key, e.value.toString()]),
          [
            [`${p}a`, "v-a"],
            [`${p}b`, "v-b"],
            [`${p}c/d`, "v-c/d"],
          ],
        );
        assert.ok(after.revision >= (revisions.at(-1) ?? 0n));
        const a = after.entries[0];
        assert.equal(a?.createRevision, revisions[1]);
        assert.equal(a?.modRevision, revisions[1]);
        assert.equal(a?.lease, "0");
        const next = await put(store, `${p}e`, "later");
        assert.ok(after.revision < next, "the range's revision is the store's revision when it was read");
      }));

    test("get: null for a missing key; an overwrite keeps createRevision; a re-created key gets a new one", () =>
      withStore(async (_h, store, p) => {
        const k = `${p}k`;
        assert.equal(await store.get(k), null);
        const r1 = await put(store, k, "v1");
        assert.deepEqual(await store.get(k), entry(k, "v1", r1, r1));
        const r2 = await put(store, k, "v2");
        assert.deepEqual(await store.get(k), entry(k, "v2", r1, r2));
        await store.txn([], [{ type: "delete", key: k }]);
        assert.equal(await store.get(k), null);
        const r3 = await put(store, k, "v3");
        assert.deepEqual(await store.get(k), entry(k, "v3", r3, r3));
      }));

    test("txn compares on createRevision and modRevision with each operator, both branches", () =>
      withStore(async (_h, store, p) => {
        const k = `${p}k`;
        const c = await put(store, k, "v1");
        const m = await put(store, k, "v2");
        assert.ok(m > c);
        for (const [target, at] of [
          ["createRevision", c],
          ["modRevision", m],
        ] as const) {
          const cases: ["==" | "!=" | "<" | ">", bigint, boolean][] = [
            ["==", at, true],
            ["==", at + 1n, false],
            ["!=", at, false],
            ["!=", at + 1n, true],
            ["<", at + 1n, true],
            ["<", at, false],
            [">", at - 1n, true],
            [">", at, false],
          ];
          for (const [op, value, holds] of cases) {
            const outcome = await branchTaken(store, p, [{ key: k, target, op, value }]);
            assert.equal(outcome, holds, `${target} ${op} ${value} (key at ${at})`);
          }
        }
      }));

    test("txn compares on value and lease, both branches", () =>
      withStore(async (_h, store, p) => {
        const k = `${p}k`;
        const plain = `${p}plain`;
        const lease = await store.grantLease(10_000);
        try {
          await store.txn([], [{ type: "put", key: k, value: Buffer.from("v"), lease: lease.id }]);
          await put(store, plain, "x");
          const cases: [KvCompare, boolean][] = [
            [{ key: k, target: "value", op: "==", value: Buffer.from("v") }, true],
            [{ key: k, target: "value", op: "==", value: Buffer.from("w") }, false],
            [{ key: k, target: "value", op: "!=", value: Buffer.from("w") }, true],
            [{ key: k, target: "value", op: "!=", value: Buffer.from("v") }, false],
            [{ key: k, target: "lease", op: "==", value: lease.id }, true],
            [{ key: k, target: "lease", op: "==", value: "0" }, false],
            [{ key: k, target: "lease", op: "!=", value: "0" }, true],
            [{ key: k, target: "lease", op: "!=", value: lease.id }, false],
            [{ key: plain, target: "lease", op: "==", value: "0" }, true],
          ];
          for (const [compare, holds] of cases) {
            assert.equal(await branchTaken(store, p, [compare]), holds, inspect(compare));
          }
        } finally {
          await store.revokeLease(lease.id);
        }
      }));

    test("txn compares on a missing key: revisions and lease are 0, a value compare never holds", () =>
      withStore(async (_h, store, p) => {
        const k = `${p}missing`;
        const cases: [KvCompare, boolean][] = [
          [{ key: k, target: "createRevision", op: "==", value: 0n }, true],
          [{ key: k, target: "modRevision", op: "==", value: 0n }, true],
          [{ key: k, target: "createRevision", op: ">", value: 0n }, false],
          [{ key: k, target: "lease", op: "==", value: "0" }, true],
          [{ key: k, target: "value", op: "==", value: Buffer.alloc(0) }, false],
          [{ key: k, target: "value", op: "!=", value: Buffer.from("x") }, false],
        ];
        for (const [compare, holds] of cases) {
          assert.equal(await branchTaken(store, p, [compare]), holds, inspect(compare));
        }
      }));

    test("txn: every compare must hold; one revision for all the ops; no change, no new revision", () =>
      withStore(async (_h, store, p) => {
        const a = `${p}a`;
        const r0 = await put(store, a, "1");
        const modIs: KvCompare = { key: a, target: "modRevision", op: "==", value: r0 };
        const valueIs = (value: string): KvCompare => ({
          key: a,
          target: "value",
          op: "==",
          value: Buffer.from(value),
        });
        assert.equal(await branchTaken(store, p, [modIs, valueIs("1")]), true);
        assert.equal(await branchTaken(store, p, [modIs, valueIs("2")]), false);
        assert.equal(await branchTaken(store, p, [valueIs("2"), modIs]), false);

        const result = await store.txn(
          [],
          [
            { type: "put", key: `${p}x`, value: Buffer.from("x") },
            { type: "put", key: `${p}y`, value: Buffer.from("y") },
            { type: "delete", key: a },
          ],
        );
        assert.equal(result.succeeded, true);
        assert.equal((await store.get(`${p}x`))?.modRevision, result.revision);
        assert.equal((await store.get(`${p}y`))?.modRevision, result.revision);
        assert.equal(await store.get(a), null);

        const failed = await store.txn(
          [{ key: a, target: "createRevision", op: "!=", value: 0n }],
          [putOp(a, "z")],
        );
        assert.deepEqual(failed, { succeeded: false, revision: result.revision });
        const deleteMissing = await store.txn([], [{ type: "delete", key: `${p}none` }]);
        assert.deepEqual(deleteMissing, { succeeded: true, revision: result.revision });
        const nothing = await store.txn([], []);
        assert.deepEqual(nothing, { succeeded: true, revision: result.revision });
        const failureBranch = await store.txn(
          [{ key: a, target: "createRevision", op: "!=", value: 0n }],
          [putOp(`${p}s`, "s")],
          [putOp(`${p}f`, "f")],
        );
        assert.deepEqual(failureBranch, { succeeded: false, revision: result.revision + 1n });
        assert.equal(await store.get(`${p}s`), null);
        assert.equal((await store.get(`${p}f`))?.modRevision, result.revision + 1n);
      }));

    test("deleteRange deletes [key, rangeEnd) and nothing else", () =>
      withStore(async (_h, store, p) => {
        for (const key of ["a", "b", "b/1", "c", "d/1", "d/2", "e"]) await put(store, p + key, key);
        const result = await store.txn([], [{ type: "deleteRange", key: `${p}b`, rangeEnd: `${p}c` }]);
        assert.deepEqual(await keys(store, p), ["a", "c", "d/1", "d/2", "e"]);
        assert.equal((await store.range(p)).revision, result.revision);
        await store.txn([], [{ type: "deleteRange", key: `${p}d/`, rangeEnd: prefixRangeEnd(`${p}d/`) }]);
        assert.deepEqual(await keys(store, p), ["a", "c", "e"]);
      }));

    test("leases: grant, attach, keep alive, revoke deletes the keys; keep-alive after revoke: KvLeaseNotFound", () =>
      withStore(async (_h, store, p) => {
        const grant = await store.grantLease(5_000);
        assert.match(grant.id, /^[1-9]\d*$/);
        assert.ok(grant.ttlMs >= 5_000, `ttl ${grant.ttlMs}`);
        await store.txn([], [{ type: "put", key: `${p}session`, value: Buffer.from("s"), lease: grant.id }]);
        assert.equal((await store.get(`${p}session`))?.lease, grant.id);
        await store.keepAlive(grant.id);
        const watch = new WatchRecorder();
        const from = (await store.range(p)).revision + 1n;
        const handle = store.watch(p, from, watch.listener);
        await store.revokeLease(grant.id);
        assert.equal(await store.get(`${p}session`), null);
        await rejectsWith(store.keepAlive(grant.id), KvLeaseNotFound);
        await store.revokeLease(grant.id); // already gone: nothing to do
        await watch.until((events) => events.length >= 1, "the revoke's delete event");
        const [deleted] = watch.all;
        assert.equal(deleted?.type, "delete");
        assert.equal(deleted?.key, `${p}session`);
        assert.equal(deleted?.value.length, 0);
        assert.equal(deleted?.createRevision, 0n);
        handle.cancel();
      }));

    test("a put attached to a lease that does not exist is refused with KvLeaseNotFound", () =>
      withStore(async (_h, store, p) => {
        const grant = await store.grantLease(1_000);
        await store.revokeLease(grant.id);
        const before = (await store.range(p)).revision;
        await rejectsWith(
          store.txn([], [{ type: "put", key: `${p}k`, value: Buffer.from("v"), lease: grant.id }]),
          KvLeaseNotFound,
        );
        assert.equal(await store.get(`${p}k`), null);
        assert.equal((await store.range(p)).revision, before);
      }));

    test("keep-alives keep a lease and its keys past the lease's TTL", () =>
      withStore(async (h, store, p) => {
        const grant = await store.grantLease(1_000);
        await store.txn([], [{ type: "put", key: `${p}k`, value: Buffer.from("v"), lease: grant.id }]);
        for (let i = 0; i < 5; i++) {
          await passTime(h, 400);
          await store.keepAlive(grant.id);
        }
        assert.notEqual(await store.get(`${p}k`), null, "alive after 2 s of a 1 s lease kept alive");
        await store.revokeLease(grant.id);
      }));

    test("an expired lease deletes its keys within ttl + 1 s; keep-alive then fails with KvLeaseNotFound", () =>
      withStore(async (h, store, p) => {
        const grant = await store.grantLease(1_000);
        const put1 = await store.txn(
          [],
          [{ type: "put", key: `${p}k`, value: Buffer.from("v"), lease: grant.id }],
        );
        const watch = new WatchRecorder();
        const handle = store.watch(p, put1.revision + 1n, watch.listener);
        await passTime(h, grant.ttlMs);
        let waitedMs = 0;
        while ((await store.get(`${p}k`)) !== null) {
          assert.ok(
            waitedMs < 1_000,
            `key still there ${grant.ttlMs + waitedMs} ms after a ${grant.ttlMs} ms lease`,
          );
          await passTime(h, 50);
          waitedMs += 50;
        }
        await rejectsWith(store.keepAlive(grant.id), KvLeaseNotFound);
        await watch.until((events) => events.length >= 1, "the expiry's delete event");
        assert.deepEqual(
          watch.all.map((e) => [e.type, e.key]),
          [["delete", `${p}k`]],
        );
        handle.cancel();
      }));

    test("a watch from a past revision replays history in order, then live changes", () =>
      withStore(async (_h, store, p) => {
        const r1 = await put(store, `${p}a`, "a1");
        const r2 = (await store.txn([], [putOp(`${p}b`, "b1"), putOp(`${p}c`, "c1")])).revision;
        const r3 = (await store.txn([], [{ type: "delete", key: `${p}a` }])).revision;
        await put(store, `${p.slice(0, -1)}-outside`, "x");
        const watch = new WatchRecorder();
        const handle = store.watch(p, r1, watch.listener);
        await watch.until((events) => events.length >= 4, "the replayed history");
        const r4 = await put(store, `${p}d`, "d1");
        await watch.until((events) => events.length >= 5, "the live change");
        assert.deepEqual(
          watch.all.map((e) => [e.type, e.key.slice(p.length), e.value.toString(), e.modRevision]),
          [
            ["put", "a", "a1", r1],
            ["put", "b", "b1", r2],
            ["put", "c", "c1", r2],
            ["delete", "a", "", r3],
            ["put", "d", "d1", r4],
          ],
        );
        const [putA] = watch.all;
        assert.equal(putA?.createRevision, r1);
        watch.assertWholeRevisions();
        assert.deepEqual(watch.failures, []);
        handle.cancel();
      }));

    test("a watch from range.revision + 1 sees exactly the changes after the range", () =>
      withStore(async (_h, store, p) => {
        await put(store, `${p}a`, "before");
        const { revision } = await store.range(p);
        const watch = new WatchRecorder();
        const handle = store.watch(p, revision + 1n, watch.listener);
        const writes: bigint[] = [];
        for (let i = 0; i < 20; i++) writes.push(await put(store, `${p}k${i % 3}`, `v${i}`));
        await watch.until((events) => events.length >= 20, "20 changes");
        await sleep(QUIET_MS);
        assert.deepEqual(
          watch.all.map((e) => e.modRevision),
          writes,
        );
        watch.assertWholeRevisions();
        handle.cancel();
      }));

    test("a watch from a compacted revision fails with KvCompacted carrying the compact revision", (t) =>
      withStore(async (h, store, p) => {
        if (h.compact === undefined) {
          t.skip("the store cannot be compacted from the harness");
          return;
        }
        const r1 = await put(store, `${p}a`, "1");
        await put(store, `${p}a`, "2");
        const r3 = await put(store, `${p}a`, "3");
        await h.compact(r3);
        const old = new WatchRecorder();
        store.watch(p, r1, old.listener);
        const error = await old.untilFailed();
        assert.deepEqual(old.all, []);
        assert.ok(error instanceof KvCompacted, String(error));
        assert.equal(error.compactRevision, r3);
        const fromCompaction = new WatchRecorder();
        const handle = store.watch(p, r3, fromCompaction.listener);
        await fromCompaction.until((events) => events.length >= 1, "the event at the compact revision");
        assert.deepEqual(
          fromCompaction.all.map((e) => [e.value.toString(), e.modRevision]),
          [["3", r3]],
        );
        assert.equal((await store.get(`${p}a`))?.value.toString(), "3");
        handle.cancel();
      }));

    test("cancel stops delivery, and nothing at all is delivered after an immediate cancel", () =>
      withStore(async (_h, store, p) => {
        const r1 = await put(store, `${p}a`, "1");
        const early = new WatchRecorder();
        store.watch(p, r1, early.listener).cancel();
        const watch = new WatchRecorder();
        const handle = store.watch(p, r1 + 1n, watch.listener);
        await put(store, `${p}a`, "2");
        await watch.until((events) => events.length >= 1, "the first change");
        handle.cancel();
        handle.cancel(); // twice: harmless
        await put(store, `${p}a`, "3");
        await put(store, `${p}b`, "4");
        await sleep(QUIET_MS);
        assert.equal(watch.all.length, 1);
        assert.deepEqual(watch.failures, []);
        assert.deepEqual(early.all, []);
        assert.deepEqual(early.failures, []);
      }));
  });
}

// ---- helpers ----

async function put(store: KvStore, key: string, value: string): Promise<bigint> {
  return (await store.txn([], [putOp(key, value)])).revision;
}

function putOp(key: string, value: string): KvOp {
  return { type: "put", key, value: Buffer.from(value) };
}

function entry(key: string, value: string, createRevision: bigint, modRevision: bigint) {
  return { key, value: Buffer.from(value), createRevision, modRevision, lease: "0" };
}

async function keys(store: KvStore, p: string): Promise<string[]> {
  return (await store.range(p)).entries.map((e) => e.key.slice(p.length));
}

/** Runs a txn guarded by `compares` that marks which branch ran, and says whether success did. */
async function branchTaken(store: KvStore, p: string, compares: readonly KvCompare[]): Promise<boolean> {
  const marker = `${p}branch`;
  const result = await store.txn(compares, [putOp(marker, "success")], [putOp(marker, "failure")]);
  const written = await store.get(marker);
  assert.equal(written?.value.toString(), result.succeeded ? "success" : "failure");
  assert.equal(written?.modRevision, result.revision);
  return result.succeeded;
}

async function rejectsWith(promise: Promise<unknown>, type: new (...args: never[]) => Error): Promise<void> {
  await assert.rejects(promise, (error: unknown) => {
    assert.ok(error instanceof type, `expected ${type.name}, got ${String(error)}`);
    return true;
  });
}

function passTime(h: KvStoreHarness, ms: number): Promise<void> {
  return h.passTime ? h.passTime(ms) : sleep(ms);
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** A watch listener that records what it is told. */
export class WatchRecorder {
  readonly batches: KvEvent[][] = [];
  readonly failures: Error[] = [];
  readonly listener: KvWatchListener = {
    events: (events) => {
      this.batches.push([...events]);
    },
    failed: (error) => {
      this.failures.push(error);
    },
  };

  /** Every event delivered so far, in delivery order. */
  get all(): KvEvent[] {
    return this.batches.flat();
  }

  until(done: (events: KvEvent[]) => boolean, what: string): Promise<void> {
    return this.waitFor(() => done(this.all), what, false);
  }

  untilFailed(): Promise<Error> {
    return this.waitFor(() => this.failures.length > 0, "failure", true).then(
      () => this.failures[0] as Error,
    );
  }

  /** Each delivery holds whole revisions, in order: no revision is split across two calls. */
  assertWholeRevisions(): void {
    let last = -1n;
    for (const batch of this.batches) {
      assert.ok(batch.length > 0, "an empty delivery");
      const first = batch[0] as KvEvent;
      assert.ok(
        first.modRevision > last,
        `revision ${first.modRevision} after ${last} in an earlier delivery`,
      );
      for (const event of batch) {
        assert.ok(event.modRevision >= last, "revisions out of order");
        last = event.modRevision;
      }
    }
  }

  private async waitFor(done: () => boolean, what: string, failureExpected: boolean): Promise<void> {
    const deadline = Date.now() + WAIT_MS_MAX;
    while (!done()) {
      if (!failureExpected && this.failures.length > 0) {
        assert.fail(`the watch failed while waiting for ${what}: ${String(this.failures[0])}`);
      }
      assert.ok(Date.now() < deadline, `no ${what} within ${WAIT_MS_MAX} ms`);
      await sleep(5);
    }
  }
}
