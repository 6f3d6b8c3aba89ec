import { assert, type Clock, type Timer, type Timers } from "../../base/index.js";
import {
  KvCompacted,
  type KvCompare,
  type KvEntry,
  type KvEvent,
  type KvLeaseGrant,
  KvLeaseNotFound,
  type KvOp,
  type KvRange,
  type KvStore,
  type KvTxnResult,
  KvUnavailable,
  type KvWatch,
  type KvWatchListener,
} from "./kv-store.js";

interface StoredLease {
  readonly id: string;
  readonly ttlMs: number;
  expiresAtMs: number;
  timer: Timer;
  readonly keys: Set<string>;
}

interface CoreWatcher {
  readonly prefix: string;
  deliver(events: readonly KvEvent[]): void;
}

/** Revisions of history kept for watches from the past (older ones are compacted). */
const HISTORY_REVISIONS_MAX = 10_000;

/**
 * etcd's semantics in memory, synchronous and linearizable by construction (one thread, one
 * revision counter): the shared state of an in-process cluster, and the store a simulation
 * drives with faults. Clients reach it through `MemoryKvStore`, which adds the asynchrony (and in
 * a simulation the latency and failures) of a network.
 */
export class MemoryKvCore {
  private readonly clock: Clock;
  private readonly timers: Timers;
  private revision = 0n;
  private compactRevision = 0n;
  private readonly data = new Map<string, KvEntry>();
  private readonly leases = new Map<string, StoredLease>();
  private nextLeaseId = 1;
  private readonly history: { revision: bigint; events: KvEvent[] }[] = [];
  private readonly watchers = new Set<CoreWatcher>();

  constructor(clock: Clock, timers: Timers) {
    this.clock = clock;
    this.timers = timers;
  }

  get currentRevision(): bigint {
    return this.revision;
  }

  range(prefix: string): KvRange {
    const entries = [...this.data.values()].filter((e) => e.key.startsWith(prefix));
    entries.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
    return { entries, revision: this.revision };
  }

  get(key: string): KvEntry | null {
    return this.data.get(key) ?? null;
  }

  txn(compares: readonly KvCompare[], success: readonly KvOp[], failure: readonly KvOp[] = []): KvTxnResult {
    const succeeded = compares.every((c) => this.holds(c));
    const ops = succeeded ? success : failure;
    for (const op of ops) {
      if (op.type === "put" && op.lease !== undefined && op.lease !== "0" && !this.leases.has(op.lease)) {
        throw new KvLeaseNotFound(op.lease);
      }
    }
    const events: KvEvent[] = [];
    if (ops.some((op) => op.type === "put" || this.matchesAny(op))) {
      const revision = this.revision + 1n;
      for (const op of ops) this.applyOp(op, revision, events);
      if (events.length > 0) this.commit(revision, events);
    }
    return { succeeded, revision: this.revision };
  }

  grantLease(ttlMs: number): KvLeaseGrant {
    const id = String(this.nextLeaseId++);
    const lease: StoredLease = {
      id,
      ttlMs,
      expiresAtMs: this.clock.monotonicMs() + ttlMs,
      timer: this.timers.after(ttlMs, () => this.checkLease(id)),
      keys: new Set(),
    };
    this.leases.set(id, lease);
    return { id, ttlMs };
  }

  keepAlive(leaseId: string): void {
    const lease = this.leases.get(leaseId);
    if (lease === undefined) throw new KvLeaseNotFound(leaseId);
    lease.expiresAtMs = this.clock.monotonicMs() + lease.ttlMs;
    lease.timer.cancel();
    lease.timer = this.timers.after(lease.ttlMs, () => this.checkLease(leaseId));
  }

  revokeLease(leaseId: string): void {
    const lease = this.leases.get(leaseId);
    if (lease === undefined) return;
    this.expire(lease);
  }

  /** Ends a lease at once, as etcd does when its TTL runs out (a simulation's fault). */
  expireLease(leaseId: string): void {
    this.revokeLease(leaseId);
  }

  leaseIds(): string[] {
    return [...this.leases.keys()];
  }

  /** Delivers every event from `fromRevision` on, then each new revision as it commits. */
  watch(prefix: string, fromRevision: bigint, deliver: (events: readonly KvEvent[]) => void): () => void {
    // etcd keeps the compaction revision itself: only earlier revisions are gone.
    if (fromRevision < this.compactRevision && fromRevision > 0n) throw new KvCompacted(this.compactRevision);
    const past = this.history
      .filter((h) => h.revision >= fromRevision)
      .flatMap((h) => h.events.filter((e) => e.key.startsWith(prefix)));
    if (past.length > 0) deliver(past);
    const watcher: CoreWatcher = { prefix, deliver };
    this.watchers.add(watcher);
    return () => this.watchers.delete(watcher);
  }

  /** Forgets history before `revision` (etcd's Compact): watches from before it fail with KvCompacted. */
  compact(revision: bigint): void {
    if (revision <= this.compactRevision) return;
    this.compactRevision = revision;
    while (this.history.length > 0 && (this.history[0]?.revision ?? 0n) < revision) this.history.shift();
  }

  private holds(c: KvCompare): boolean {
    const entry = this.data.get(c.key);
    switch (c.target) {
      case "createRevision":
      case "modRevision": {
        const actual =
          entry === undefined ? 0n : c.target === "createRevision" ? entry.createRevision : entry.modRevision;
        return compareOrdered(actual, c.op, c.value);
      }
      case "value": {
        // etcd: a comparison on the value of a missing key fails, whatever the operator.
        if (entry === undefined) return false;
        const equal = entry.value.equals(c.value);
        return c.op === "==" ? equal : !equal;
      }
      case "lease": {
        const actual = entry?.lease ?? "0";
        return c.op === "==" ? actual === c.value : actual !== c.value;
      }
    }
  }

  private matchesAny(op: KvOp): boolean {
    if (op.type === "delete") return this.data.has(op.key);
    if (op.type === "deleteRange") return [...this.data.keys()].some((k) => k >= op.key && k < op.rangeEnd);
    return true;
  }

  private applyOp(op: KvOp, revision: bigint, events: KvEvent[]): void {
    if (op.type === "put") {
      const previous = this.data.get(op.key);
      if (previous !== undefined && previous.lease !== "0")
        this.leases.get(previous.lease)?.keys.delete(op.key);
      const lease = op.lease ?? "0";
      const entry: KvEntry = {
        key: op.key,
        value: Buffer.from(op.value),
        createRevision: previous?.createRevision ?? revision,
        modRevision: revision,
        lease,
      };
      this.data.set(op.key, entry);
      if (lease !== "0") this.leases.get(lease)?.keys.add(op.key);
      events.push({
        type: "put",
        key: op.key,
        value: entry.value,
        modRevision: revision,
        createRevision: entry.createRevision,
      });
      return;
    }
    const keys =
      op.type === "delete" ? [op.key] : [...this.data.keys()].filter((k) => k >= op.key && k < op.rangeEnd);
    for (const key of keys) this.deleteKey(key, revision, events);
  }

  private deleteKey(key: string, revision: bigint, events: KvEvent[]): void {
    const previous = this.data.get(key);
    if (previous === undefined) return;
    this.data.delete(key);
    if (previous.lease !== "0") this.leases.get(previous.lease)?.keys.delete(key);
    // As etcd's: a delete event carries no create revision (0).
    events.push({ type: "delete", key, value: Buffer.alloc(0), modRevision: revision, createRevision: 0n });
  }

  private commit(revision: bigint, events: KvEvent[]): void {
    assert(revision === this.revision + 1n, "revisions advance by one per transaction");
    this.revision = revision;
    this.history.push({ revision, events });
    if (this.history.length > HISTORY_REVISIONS_MAX) {
      this.history.shift();
      this.compactRevision = this.history[0]?.revision ?? revision;
    }
    for (const watcher of [...this.watchers]) {
      const mine = events.filter((e) => e.key.startsWith(watcher.prefix));
      if (mine.length > 0) watcher.deliver(mine);
    }
  }

  private checkLease(id: string): void {
    const lease = this.leases.get(id);
    if (lease === undefined) return;
    const remaining = lease.expiresAtMs - this.clock.monotonicMs();
    if (remaining > 0) {
      lease.timer = this.timers.after(remaining, () => this.checkLease(id));
      return;
    }
    this.expire(lease);
  }

  private expire(lease: StoredLease): void {
    lease.timer.cancel();
    this.leases.delete(lease.id);
    if (lease.keys.size === 0) return;
    const revision = this.revision + 1n;
    const events: KvEvent[] = [];
    for (const key of [...lease.keys].sort()) this.deleteKey(key, revision, events);
    if (events.length > 0) this.commit(revision, events);
  }
}

function compareOrdered(actual: bigint, op: "==" | "!=" | "<" | ">", value: bigint): boolean {
  switch (op) {
    case "==":
      return actual === value;
    case "!=":
      return actual !== value;
    case "<":
      return actual < value;
    case ">":
      return actual > value;
  }
}

/**
 * What a simulated network does to one client's requests and watches. Absent: requests resolve
 * on the next turn of the event loop and watches deliver in the next timer tick.
 */
export interface KvNetworkFaults {
  /** Latency of one leg of a request (sent, or answered). */
  latencyMs(): number;
  /** false: the store is unreachable; requests fail after `latencyMs` (a timeout). */
  reachable(): boolean;
  /** true: the request reaches the store but its answer is lost (the client sees KvUnavailable). */
  loseAnswer(): boolean;
}

/**
 * A client of a MemoryKvCore: every call is asynchronous, as over a network, and (with faults)
 * slow, failing or answer-losing. Watches deliver in order through a per-watch queue and end with
 * `failed` when the store becomes unreachable or `breakWatches()` is called.
 */
export class MemoryKvStore implements KvStore {
  private readonly core: MemoryKvCore;
  private readonly timers: Timers;
  private readonly faults: KvNetworkFaults | null;
  private readonly watches = new Set<{ fail(error: Error): void; stall(): void }>();
  private closed = false;

  constructor(core: MemoryKvCore, timers: Timers, faults: KvNetworkFaults | null = null) {
    this.core = core;
    this.timers = timers;
    this.faults = faults;
  }

  range(prefix: string): Promise<KvRange> {
    return this.call(() => this.core.range(prefix));
  }

  get(key: string): Promise<KvEntry | null> {
    return this.call(() => this.core.get(key));
  }

  txn(
    compares: readonly KvCompare[],
    success: readonly KvOp[],
    failure?: readonly KvOp[],
  ): Promise<KvTxnResult> {
    return this.call(() => this.core.txn(compares, success, failure));
  }

  grantLease(ttlMs: number): Promise<KvLeaseGrant> {
    return this.call(() => this.core.grantLease(ttlMs));
  }

  keepAlive(leaseId: string): Promise<void> {
    return this.call(() => this.core.keepAlive(leaseId));
  }

  revokeLease(leaseId: string): Promise<void> {
    return this.call(() => this.core.revokeLease(leaseId));
  }

  watch(prefix: string, fromRevision: bigint, listener: KvWatchListener): KvWatch {
    let active = true;
    let unsubscribe: (() => void) | null = null;
    // One queue per watch, drained by one timer at a time: batches arrive in commit order.
    const queue: KvEvent[][] = [];
    let draining = false;
    const drain = () => {
      const next = queue.shift();
      if (next === undefined || !active) {
        draining = false;
        return;
      }
      if (!silent) listener.events(next);
      this.timers.after(this.faults?.latencyMs() ?? 0, drain);
    };
    let silent = false;
    const handle = {
      fail: (error: Error) => {
        if (!active) return;
        active = false;
        unsubscribe?.();
        this.watches.delete(handle);
        if (!silent) this.timers.after(0, () => listener.failed(error));
      },
      stall: () => {
        silent = true;
      },
    };
    this.watches.add(handle);
    const start = () => {
      if (!active) return;
      if (this.closed || (this.faults !== null && !this.faults.reachable())) {
        handle.fail(new KvUnavailable("metadata store unreachable"));
        return;
      }
      try {
        unsubscribe = this.core.watch(prefix, fromRevision, (events) => {
          if (!active) return;
          queue.push([...events]);
          if (!draining) {
            draining = true;
            this.timers.after(this.faults?.latencyMs() ?? 0, drain);
          }
        });
      } catch (error) {
        handle.fail(error as Error);
      }
    };
    this.timers.after(this.faults?.latencyMs() ?? 0, start);
    return {
      cancel: () => {
        active = false;
        unsubscribe?.();
        this.watches.delete(handle);
      },
    };
  }

  /**
   * Every open watch goes silent for good: no events, not even a failure (a stream that hangs, in
   * a simulation); the owner has to notice by itself.
   */
  stallWatches(): void {
    for (const w of this.watches) w.stall();
  }

  /** Ends every open watch with KvUnavailable (a dropped connection, in a simulation). */
  breakWatches(): void {
    for (const w of [...this.watches]) w.fail(new KvUnavailable("watch connection dropped"));
  }

  async close(): Promise<void> {
    this.closed = true;
    this.breakWatches();
  }

  private call<T>(operation: () => T): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      if (this.closed) {
        reject(new KvUnavailable("metadata store client closed"));
        return;
      }
      const faults = this.faults;
      if (faults === null) {
        queueMicrotask(() => {
          try {
            resolve(operation());
          } catch (error) {
            reject(error);
          }
        });
        return;
      }
      this.timers.after(faults.latencyMs(), () => {
        if (!faults.reachable()) {
          this.breakWatches();
          reject(new KvUnavailable("metadata store unreachable"));
          return;
        }
        let result: { ok: true; value: T } | { ok: false; error: unknown };
        try {
          result = { ok: true, value: operation() };
        } catch (error) {
          result = { ok: false, error };
        }
        const lost = faults.loseAnswer();
        this.timers.after(faults.latencyMs(), () => {
          if (lost) reject(new KvUnavailable("metadata store answer lost"));
          else if (result.ok) resolve(result.value);
          else reject(result.error);
        });
      });
    });
  }
}
