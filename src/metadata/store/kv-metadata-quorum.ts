import { assert, describeError, type Env, type Logger } from "../../base/index.js";
import { decodeMetadataEntry, encodeMetadataEntry } from "../metadata-entry-codec.js";
import type { BrokerEndpoint, MetadataRecord } from "../metadata-records.js";
import { type KvEvent, type KvStore, KvUnavailable, type KvWatch, prefixRangeEnd } from "./kv-store.js";
import { LeaseKeeper } from "./lease-keeper.js";
import {
  type BrokerSession,
  type BrokerSessionInfo,
  type Campaign,
  type CampaignListener,
  type ControllerCandidate,
  type ControllerInfo,
  type ControllerLeadership,
  type MetadataEntry,
  type MetadataFollower,
  type MetadataQuorum,
  type MetadataSnapshot,
  NotControllerError,
  type SessionListener,
  type Subscription,
} from "./metadata-quorum.js";

export interface KvMetadataQuorumOptions {
  store: KvStore;
  /** Key prefix of this cluster ("/brook/"), ending with "/". */
  prefix: string;
  env: Env;
  /** Lease TTL of broker sessions and of the controllership (etcd.session.timeout.ms). */
  sessionTimeoutMs: number;
  log: Logger;
  /** First retry delay after the store failed; doubles up to 2 s. */
  retryBackoffMs?: number;
}

/** etcd refuses requests over 1.5 MiB by default; entries and snapshot chunks stay below. */
const ENTRY_BYTES_MAX = 1024 * 1024;
const RETRY_BACKOFF_MAX_MS = 2000;
/**
 * How often a follower of the log checks that its watch still delivers (see ReadThenWatch.behind):
 * a watch can stall without failing (a gRPC stream that hangs), and a node whose metadata stops
 * moving would go on serving, and proposing ISR changes, against an old image.
 */
export const WATCH_PROBE_MS = 2000;

/**
 * The metadata log and the cluster's membership kept in a linearizable key-value store (etcd).
 * Under the cluster's prefix:
 *
 * - `log/<offset, 20 digits>`: one entry (a record batch of metadata records) at its base offset;
 *   `log-end`: the next offset. An append is one transaction that writes both, and only if the
 *   writer's `controller` key is still the one it created and `log-end` is what it expects.
 * - `controller`: `{nodeId, epoch, endPoint}`, held under the controller's lease;
 *   `controller-epoch`: the last epoch handed out (an election increments it in the same
 *   transaction that creates `controller`).
 * - `snapshot`: `{offset, id, chunks}` pointing at `snapshot-data/<id>/<chunk>`: the image at
 *   `offset`, as records; entries it covers are removed when it is written.
 * - `brokers/<id>`: a broker's session, held under the broker's lease.
 */
export class KvMetadataQuorum implements MetadataQuorum {
  readonly kind = "etcd";
  private readonly store: KvStore;
  private readonly p: string;
  private readonly env: Env;
  private readonly sessionTimeoutMs: number;
  private readonly log: Logger;
  private readonly retryBackoffMs: number;
  private readonly closers = new Set<() => void>();
  private closed = false;

  constructor(options: KvMetadataQuorumOptions) {
    assert(options.prefix.endsWith("/"), "the key prefix ends with /");
    this.store = options.store;
    this.p = options.prefix;
    this.env = options.env;
    this.sessionTimeoutMs = options.sessionTimeoutMs;
    this.log = options.log;
    this.retryBackoffMs = options.retryBackoffMs ?? 100;
  }

  get keys() {
    const p = this.p;
    return {
      controller: `${p}controller`,
      controllerEpoch: `${p}controller-epoch`,
      log: `${p}log/`,
      logEnd: `${p}log-end`,
      snapshot: `${p}snapshot`,
      snapshotData: `${p}snapshot-data/`,
      brokers: `${p}brokers/`,
      clusterId: `${p}cluster-id`,
    };
  }

  entryKey(offset: bigint): string {
    return `${this.keys.log}${offset.toString().padStart(20, "0")}`;
  }

  /**
   * The cluster id stored under the prefix; the first node to ask stores `proposed`. A node whose
   * data directory belongs to another cluster must not join this one.
   */
  async clusterId(proposed: string): Promise<string> {
    const key = this.keys.clusterId;
    await this.store.txn(
      [{ key, target: "createRevision", op: "==", value: 0n }],
      [{ type: "put", key, value: Buffer.from(proposed) }],
    );
    const entry = await this.store.get(key);
    assert(entry !== null, "the cluster id exists once written");
    return entry.value.toString();
  }

  follow(afterOffset: bigint, follower: MetadataFollower): Subscription {
    const follow = new LogFollow(this, this.store, this.env, follower, afterOffset, this.retryBackoffMs);
    follow.start();
    return this.track(() => follow.stop());
  }

  async committedEnd(): Promise<bigint> {
    const entry = await this.store.get(this.keys.logEnd);
    return entry === null ? 0n : BigInt(entry.value.toString());
  }

  /** The stored snapshot, or null when none was written yet. */
  async readSnapshot(): Promise<MetadataSnapshot | null> {
    for (let attempt = 0; attempt < 5; attempt++) {
      const pointer = await this.store.get(this.keys.snapshot);
      if (pointer === null) return null;
      const { offset, id, chunks } = JSON.parse(pointer.value.toString()) as {
        offset: string;
        id: string;
        chunks: number;
      };
      const data = await this.store.range(`${this.keys.snapshotData}${id}/`);
      // A newer snapshot replaced this one between the two reads: read the pointer again.
      if (data.entries.length !== chunks) continue;
      const bytes = Buffer.concat(data.entries.map((e) => e.value));
      return { offset: BigInt(offset), records: decodeMetadataEntry(bytes).records };
    }
    throw new KvUnavailable("the metadata snapshot kept changing while being read");
  }

  campaign(candidate: ControllerCandidate, listener: CampaignListener): Campaign {
    const campaign = new KvCampaign(
      this,
      this.store,
      this.env,
      candidate,
      listener,
      this.sessionTimeoutMs,
      this.log,
    );
    campaign.start();
    const unTrack = this.track(() => void campaign.stop());
    return {
      stop: async () => {
        unTrack.stop();
        await campaign.stop();
      },
    };
  }

  watchController(listener: (controller: ControllerInfo | null) => void): Subscription {
    const key = this.keys.controller;
    const parse = (value: Buffer | null): ControllerInfo | null => {
      if (value === null || value.length === 0) return null;
      const v = JSON.parse(value.toString()) as ControllerInfo;
      return { nodeId: v.nodeId, epoch: v.epoch, endPoint: v.endPoint };
    };
    const watcher = new PrefixWatcher(this.store, this.env, key, this.retryBackoffMs, (entries) => {
      const mine = entries.get(key);
      listener(parse(mine ?? null));
    });
    watcher.start();
    return this.track(() => watcher.stop());
  }

  async openSession(registration: BrokerSessionInfo, listener: SessionListener): Promise<BrokerSession> {
    const key = `${this.keys.brokers}${registration.brokerId}`;
    let expired = false;
    const lease = new LeaseKeeper(this.store, this.env, this.sessionTimeoutMs, (reason) => {
      if (expired) return;
      expired = true;
      listener.expired(reason);
    });
    await lease.grant();
    await this.store.txn([], [{ type: "put", key, value: encodeSession(registration), lease: lease.id }]);
    const unTrack = this.track(() => void lease.revoke());
    return {
      update: async (info) => {
        if (expired) throw new KvUnavailable("the broker session expired");
        // Only while the key is still ours: a newer registration of the same node id (a restart
        // that came back before this session expired) replaced it.
        const result = await this.store.txn(
          [{ key, target: "lease", op: "==", value: lease.id }],
          [{ type: "put", key, value: encodeSession(info), lease: lease.id }],
        );
        if (!result.succeeded) lease.lose("the broker session was replaced by a newer registration");
      },
      close: async () => {
        expired = true;
        unTrack.stop();
        await lease.revoke();
      },
    };
  }

  watchSessions(listener: (sessions: ReadonlyMap<number, BrokerSessionInfo>) => void): Subscription {
    const prefix = this.keys.brokers;
    const watcher = new PrefixWatcher(this.store, this.env, prefix, this.retryBackoffMs, (entries) => {
      const sessions = new Map<number, BrokerSessionInfo>();
      for (const value of entries.values()) {
        const info = decodeSession(value);
        if (info !== null) sessions.set(info.brokerId, info);
      }
      listener(sessions);
    });
    watcher.start();
    return this.track(() => watcher.stop());
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const close of [...this.closers]) close();
    this.closers.clear();
  }

  async abandon(): Promise<void> {
    this.closed = true;
    this.closers.clear();
    await this.store.close();
  }

  private track(stop: () => void): Subscription {
    let done = false;
    const closer = () => {
      if (done) return;
      done = true;
      stop();
    };
    this.closers.add(closer);
    return {
      stop: () => {
        this.closers.delete(closer);
        closer();
      },
    };
  }

  /** @internal the leadership's fenced append (see the class comment for the keys). */
  async appendFenced(
    controllerRevision: bigint,
    epoch: number,
    expectedEnd: bigint,
    records: readonly MetadataRecord[],
  ): Promise<bigint> {
    assert(records.length > 0, "an entry holds records");
    const bytes = encodeMetadataEntry(expectedEnd, records, epoch);
    assert(
      bytes.length <= ENTRY_BYTES_MAX,
      () => `a metadata entry of ${bytes.length} bytes is over the store's limit`,
    );
    const end = expectedEnd + BigInt(records.length);
    const k = this.keys;
    const endCompare =
      expectedEnd === 0n
        ? ({ key: k.logEnd, target: "createRevision", op: "==", value: 0n } as const)
        : ({ key: k.logEnd, target: "value", op: "==", value: Buffer.from(expectedEnd.toString()) } as const);
    const result = await this.store.txn(
      [{ key: k.controller, target: "createRevision", op: "==", value: controllerRevision }, endCompare],
      [
        { type: "put", key: this.entryKey(expectedEnd), value: bytes },
        { type: "put", key: k.logEnd, value: Buffer.from(end.toString()) },
      ],
    );
    if (!result.succeeded) {
      throw new NotControllerError(
        `append at ${expectedEnd} refused: epoch ${epoch} is no longer the active controller`,
      );
    }
    return expectedEnd;
  }

  /** @internal writes a snapshot's chunks, then (fenced) points at it and drops what it covers. */
  async writeSnapshotFenced(
    controllerRevision: bigint,
    epoch: number,
    snapshot: MetadataSnapshot,
  ): Promise<void> {
    const k = this.keys;
    const bytes = encodeMetadataEntry(0n, snapshot.records, epoch);
    const id = `${snapshot.offset.toString().padStart(20, "0")}-${epoch}`;
    const chunks: Buffer[] = [];
    for (let at = 0; at < bytes.length; at += ENTRY_BYTES_MAX)
      chunks.push(bytes.subarray(at, at + ENTRY_BYTES_MAX));
    for (const [i, chunk] of chunks.entries()) {
      await this.store.txn(
        [],
        [{ type: "put", key: `${k.snapshotData}${id}/${String(i).padStart(6, "0")}`, value: chunk }],
      );
    }
    const previous = await this.store.get(k.snapshot);
    const previousId =
      previous === null ? null : (JSON.parse(previous.value.toString()) as { id: string }).id;
    // Entries wholly at or below the snapshot's offset go; the entry holding offset + 1 stays.
    const entries = await this.store.range(k.log);
    const firstKept = entries.entries
      .map((e) => decodeMetadataEntryBounds(e.key, k.log, e.value))
      .find((b) => b.lastOffset > snapshot.offset);
    const cut =
      firstKept === undefined ? this.entryKey(snapshot.offset + 1n) : this.entryKey(firstKept.baseOffset);
    const ops = [
      {
        type: "put" as const,
        key: k.snapshot,
        value: Buffer.from(JSON.stringify({ offset: snapshot.offset.toString(), id, chunks: chunks.length })),
      },
      { type: "deleteRange" as const, key: k.log, rangeEnd: cut },
    ];
    if (previousId !== null && previousId !== id) {
      const oldPrefix = `${k.snapshotData}${previousId}/`;
      ops.push({ type: "deleteRange", key: oldPrefix, rangeEnd: prefixRangeEnd(oldPrefix) });
    }
    const result = await this.store.txn(
      [{ key: k.controller, target: "createRevision", op: "==", value: controllerRevision }],
      ops,
    );
    if (!result.succeeded) throw new NotControllerError("snapshot refused: no longer the active controller");
  }
}

function decodeMetadataEntryBounds(
  key: string,
  logPrefix: string,
  value: Buffer,
): { baseOffset: bigint; lastOffset: bigint } {
  const baseOffset = BigInt(key.slice(logPrefix.length));
  // lastOffsetDelta sits at byte 23 of a v2 batch header.
  const lastOffset = baseOffset + BigInt(value.readInt32BE(23));
  return { baseOffset, lastOffset };
}

function encodeSession(info: BrokerSessionInfo): Buffer {
  return Buffer.from(
    JSON.stringify({
      ...info,
      metadataOffset: info.metadataOffset.toString(),
      previousBrokerEpoch: info.previousBrokerEpoch?.toString(),
    }),
  );
}

function decodeSession(value: Buffer): BrokerSessionInfo | null {
  try {
    const v = JSON.parse(value.toString()) as Omit<
      BrokerSessionInfo,
      "metadataOffset" | "previousBrokerEpoch"
    > & {
      metadataOffset: string;
      previousBrokerEpoch?: string;
    };
    return {
      brokerId: v.brokerId,
      incarnationId: v.incarnationId,
      endPoints: v.endPoints as BrokerEndpoint[],
      rack: v.rack,
      metadataOffset: BigInt(v.metadataOffset),
      shuttingDown: v.shuttingDown,
      ...(Array.isArray(v.offlineLogDirs) ? { offlineLogDirs: v.offlineLogDirs } : {}),
      ...(Array.isArray(v.offlineReplicas) ? { offlineReplicas: v.offlineReplicas } : {}),
      ...(typeof v.previousBrokerEpoch === "string"
        ? { previousBrokerEpoch: BigInt(v.previousBrokerEpoch) }
        : {}),
    };
  } catch {
    return null;
  }
}

/**
 * The store's way of being followed: read, watch from the revision read, and on any failure (a
 * dropped watch, a compacted revision, the store away) read again after a growing pause. A
 * generation number makes every callback of an older read harmless.
 */
abstract class ReadThenWatch {
  protected readonly store: KvStore;
  private readonly env: Env;
  private readonly backoffMs: number;
  private watch: KvWatch | null = null;
  private generation = 0;
  private stopped = false;
  private failures = 0;
  /** Event deliveries of the watches so far (the probe's sign of life). */
  private deliveries = 0;

  constructor(store: KvStore, env: Env, backoffMs: number) {
    this.store = store;
    this.env = env;
    this.backoffMs = backoffMs;
  }

  start(): void {
    void this.load();
  }

  stop(): void {
    this.stopped = true;
    this.generation++;
    this.watch?.cancel();
    this.watch = null;
  }

  /**
   * Reads the current state (calling `superseded()` after each await); resolves with what to
   * watch from, or null when superseded.
   */
  protected abstract read(
    superseded: () => boolean,
  ): Promise<{ prefix: string; fromRevision: bigint } | null>;

  /** Changes after the read, in order; returns false to read again (a gap). */
  protected abstract changed(events: readonly KvEvent[]): boolean;

  protected unavailable(_error: Error): void {}

  /**
   * Whether the store now holds changes this follower has not been given, for the liveness probe
   * of its watch (see probe); null when the follower cannot tell.
   */
  protected lagging(): Promise<boolean> | null {
    return null;
  }

  private async load(): Promise<void> {
    const generation = ++this.generation;
    const superseded = () => this.stopped || generation !== this.generation;
    this.watch?.cancel();
    this.watch = null;
    try {
      const from = await this.read(superseded);
      if (from === null || superseded()) return;
      this.failures = 0;
      this.watch = this.store.watch(from.prefix, from.fromRevision, {
        events: (events) => {
          this.deliveries++;
          if (!superseded() && !this.changed(events)) void this.load();
        },
        failed: (error) => this.retry(superseded, error),
      });
      this.probe(superseded, null);
    } catch (error) {
      this.retry(superseded, error as Error);
    }
  }

  /**
   * Every WATCH_PROBE_MS while watching: when the store was ahead of this follower at the previous
   * probe and still is, with nothing delivered in between, the watch has stalled without saying
   * so; read again. Two probes, so that changes on their way through the watch are not taken for
   * a stall.
   */
  private probe(superseded: () => boolean, laggingAt: number | null): void {
    this.env.timers.after(WATCH_PROBE_MS, () => {
      if (superseded()) return;
      const lagging = this.lagging();
      if (lagging === null) return;
      const deliveries = this.deliveries;
      lagging.then(
        (behind) => {
          if (superseded()) return;
          if (behind && laggingAt === deliveries && this.deliveries === deliveries) {
            this.unavailable(
              new KvUnavailable(
                `the watch delivered nothing for ${WATCH_PROBE_MS} ms while the store moved on`,
              ),
            );
            void this.load();
            return;
          }
          this.probe(superseded, behind ? this.deliveries : null);
        },
        // The store away: the watch says so itself, or a later probe will.
        () => {
          if (!superseded()) this.probe(superseded, null);
        },
      );
    });
  }

  private retry(superseded: () => boolean, error: Error): void {
    if (superseded()) return;
    this.unavailable(error);
    this.failures++;
    const delay = Math.min(RETRY_BACKOFF_MAX_MS, this.backoffMs * 2 ** Math.min(this.failures - 1, 5));
    this.env.timers.after(delay, () => {
      if (!superseded()) void this.load();
    });
  }
}

/**
 * Follows the log: reads what is there (through the snapshot when the entries before were
 * removed), then watches for new entries; on any failure it reads again from where it stopped.
 * Entries reach the follower in offset order, each once.
 */
class LogFollow extends ReadThenWatch {
  private readonly quorum: KvMetadataQuorum;
  private readonly follower: MetadataFollower;
  private next: bigint;

  constructor(
    quorum: KvMetadataQuorum,
    store: KvStore,
    env: Env,
    follower: MetadataFollower,
    afterOffset: bigint,
    backoffMs: number,
  ) {
    super(store, env, backoffMs);
    this.quorum = quorum;
    this.follower = follower;
    this.next = afterOffset + 1n;
  }

  protected async read(superseded: () => boolean): Promise<{ prefix: string; fromRevision: bigint } | null> {
    const keys = this.quorum.keys;
    let range = await this.store.range(keys.log.slice(0, -1)); // "log/..." and "log-end"
    if (superseded()) return null;
    let entries = range.entries.filter((e) => e.key.startsWith(keys.log));
    const logEndEntry = range.entries.find((e) => e.key === keys.logEnd);
    const logEnd = logEndEntry === undefined ? 0n : BigInt(logEndEntry.value.toString());
    const firstBase = entries.length === 0 ? logEnd : BigInt((entries[0]?.key ?? "").slice(keys.log.length));
    if (firstBase > this.next) {
      const snapshot = await this.quorum.readSnapshot();
      if (superseded()) return null;
      assert(
        snapshot !== null && snapshot.offset + 1n >= firstBase,
        "removed entries are covered by a snapshot",
      );
      this.follower.snapshot(snapshot);
      this.next = snapshot.offset + 1n;
      range = await this.store.range(keys.log);
      if (superseded()) return null;
      entries = range.entries.filter((e) => e.key.startsWith(keys.log));
    }
    const delivered: MetadataEntry[] = [];
    for (const e of entries) this.accept(decodeMetadataEntry(e.value), delivered);
    if (delivered.length > 0) this.follower.entries(delivered);
    return { prefix: keys.log, fromRevision: range.revision + 1n };
  }

  private accept(entry: { baseOffset: bigint; records: MetadataRecord[] }, out: MetadataEntry[]): boolean {
    const end = entry.baseOffset + BigInt(entry.records.length);
    if (end <= this.next) return true; // already delivered
    if (entry.baseOffset !== this.next) return false; // a gap: read again
    out.push(entry);
    this.next = end;
    return true;
  }

  protected changed(events: readonly KvEvent[]): boolean {
    const delivered: MetadataEntry[] = [];
    let gap = false;
    for (const e of events) {
      if (e.type !== "put") continue;
      if (!this.accept(decodeMetadataEntry(e.value), delivered)) {
        gap = true;
        break;
      }
    }
    if (delivered.length > 0) this.follower.entries(delivered);
    return !gap;
  }

  protected override unavailable(error: Error): void {
    this.follower.unavailable?.(error);
  }

  protected override async lagging(): Promise<boolean> {
    const entry = await this.store.get(this.quorum.keys.logEnd);
    return (entry === null ? 0n : BigInt(entry.value.toString())) > this.next;
  }
}

/**
 * Keeps a map of the keys under a prefix up to date (read, then watch; read again after any
 * failure) and reports the whole map after every change.
 */
class PrefixWatcher extends ReadThenWatch {
  private readonly prefix: string;
  private readonly onChange: (entries: ReadonlyMap<string, Buffer>) => void;
  private readonly entries = new Map<string, Buffer>();

  constructor(
    store: KvStore,
    env: Env,
    prefix: string,
    backoffMs: number,
    onChange: (entries: ReadonlyMap<string, Buffer>) => void,
  ) {
    super(store, env, backoffMs);
    this.prefix = prefix;
    this.onChange = onChange;
  }

  protected async read(superseded: () => boolean): Promise<{ prefix: string; fromRevision: bigint } | null> {
    const range = await this.store.range(this.prefix);
    if (superseded()) return null;
    this.entries.clear();
    for (const e of range.entries) this.entries.set(e.key, e.value);
    this.onChange(this.entries);
    return { prefix: this.prefix, fromRevision: range.revision + 1n };
  }

  protected changed(events: readonly KvEvent[]): boolean {
    for (const e of events) {
      if (e.type === "put") this.entries.set(e.key, e.value);
      else this.entries.delete(e.key);
    }
    this.onChange(this.entries);
    return true;
  }

  protected override async lagging(): Promise<boolean> {
    const range = await this.store.range(this.prefix);
    if (range.entries.length !== this.entries.size) return true;
    return range.entries.some((e) => !this.entries.get(e.key)?.equals(e.value));
  }
}

type CampaignState =
  | { kind: "idle" }
  | { kind: "leading"; lease: LeaseKeeper; revision: bigint; epoch: number; lost: boolean };

/**
 * One node's candidacy: wins the controllership by creating the `controller` key under its lease
 * (and taking the next epoch) when there is none, waits for the key to go when another node holds
 * it, and resigns the moment its lease may have expired or an append is refused.
 */
class KvCampaign {
  private readonly quorum: KvMetadataQuorum;
  private readonly store: KvStore;
  private readonly env: Env;
  private readonly candidate: ControllerCandidate;
  private readonly listener: CampaignListener;
  private readonly ttlMs: number;
  private readonly log: Logger;
  private state: CampaignState = { kind: "idle" };
  private stopped = false;
  private stopping: Promise<void> | null = null;
  private waitWatch: KvWatch | null = null;
  private failures = 0;

  constructor(
    quorum: KvMetadataQuorum,
    store: KvStore,
    env: Env,
    candidate: ControllerCandidate,
    listener: CampaignListener,
    ttlMs: number,
    log: Logger,
  ) {
    this.quorum = quorum;
    this.store = store;
    this.env = env;
    this.candidate = candidate;
    this.listener = listener;
    this.ttlMs = ttlMs;
    this.log = log;
  }

  start(): void {
    void this.attempt();
  }

  /** Ends the candidacy; resolves once a controllership it held is given up in the store. Idempotent. */
  stop(): Promise<void> {
    this.stopping ??= this.stopOnce();
    return this.stopping;
  }

  private async stopOnce(): Promise<void> {
    this.stopped = true;
    this.waitWatch?.cancel();
    const state = this.state;
    if (state.kind === "leading" && !state.lost) {
      state.lost = true;
      this.state = { kind: "idle" };
      this.listener.resigned("stopped");
      // Revoking the lease deletes the controller key: the next candidate wins at once.
      await state.lease.revoke();
    }
  }

  private async attempt(): Promise<void> {
    if (this.stopped || this.state.kind !== "idle") return;
    const k = this.quorum.keys;
    let lease: LeaseKeeper | null = null;
    try {
      const [current, epochEntry] = await Promise.all([
        this.store.range(k.controller),
        this.store.get(k.controllerEpoch),
      ]);
      if (this.stopped) return;
      const holder = current.entries.find((e) => e.key === k.controller);
      if (holder !== undefined) {
        // This node's own claim, while it does not lead: a term it resigned when the store was
        // unreachable (so the revoke failed), or a previous process of this node id. Nobody acts
        // on it; waiting for its lease would leave the cluster without a controller for up to a
        // session timeout (etcd restarts leases' countdown when it elects a leader), so give it up.
        if (this.isOwnClaim(holder.value) && holder.lease !== "0") {
          await this.store.revokeLease(holder.lease).catch(() => {});
          if (this.stopped) return;
        }
        this.waitForVacancy(current.revision + 1n);
        return;
      }
      const epoch = epochEntry === null ? 1 : Number(epochEntry.value.toString()) + 1;
      lease = new LeaseKeeper(this.store, this.env, this.ttlMs, (reason) => this.resign(reason));
      await lease.grant();
      if (this.stopped) {
        await lease.revoke();
        return;
      }
      const value = Buffer.from(
        JSON.stringify({ nodeId: this.candidate.nodeId, epoch, endPoint: this.candidate.endPoint }),
      );
      const result = await this.store.txn(
        [
          { key: k.controller, target: "createRevision", op: "==", value: 0n },
          epochEntry === null
            ? { key: k.controllerEpoch, target: "createRevision", op: "==", value: 0n }
            : { key: k.controllerEpoch, target: "modRevision", op: "==", value: epochEntry.modRevision },
        ],
        [
          { type: "put", key: k.controller, value, lease: lease.id },
          { type: "put", key: k.controllerEpoch, value: Buffer.from(String(epoch)) },
        ],
      );
      if (!result.succeeded) {
        await lease.revoke();
        this.retrySoon();
        return;
      }
      const state: CampaignState = { kind: "leading", lease, revision: result.revision, epoch, lost: false };
      this.state = state;
      const startEnd = await this.quorum.committedEnd();
      if (state.lost || this.stopped) return;
      this.failures = 0;
      this.log.info(
        `node ${this.candidate.nodeId} is the active controller (epoch ${epoch}, log end ${startEnd})`,
      );
      this.listener.elected(this.leadership(state, startEnd));
    } catch (error) {
      if (this.state.kind === "leading") {
        this.resign(`the store failed while taking office: ${describeError(error)}`);
      } else {
        await lease?.revoke();
        this.retrySoon();
      }
    }
  }

  private leadership(
    state: Extract<CampaignState, { kind: "leading" }>,
    startEnd: bigint,
  ): ControllerLeadership {
    const guard = () => {
      if (state.lost || !state.lease.held) throw new NotControllerError(`epoch ${state.epoch} is over`);
    };
    return {
      epoch: state.epoch,
      startEnd,
      entryBytesMax: ENTRY_BYTES_MAX,
      append: async (expectedEnd, records) => {
        guard();
        try {
          return await this.quorum.appendFenced(state.revision, state.epoch, expectedEnd, records);
        } catch (error) {
          // Refused, or unknown: either way this controller cannot trust its view of the log.
          this.resign(`append failed: ${describeError(error)}`);
          throw error instanceof NotControllerError ? error : new NotControllerError(describeError(error));
        }
      },
      writeSnapshot: async (snapshot) => {
        guard();
        await this.quorum.writeSnapshotFenced(state.revision, state.epoch, snapshot);
      },
    };
  }

  private resign(reason: string): void {
    const state = this.state;
    if (state.kind !== "leading" || state.lost) return;
    state.lost = true;
    this.state = { kind: "idle" };
    this.log.warn(`node ${this.candidate.nodeId} resigns as controller (epoch ${state.epoch}): ${reason}`);
    void state.lease.revoke();
    this.listener.resigned(reason);
    this.retrySoon();
  }

  private isOwnClaim(value: Buffer): boolean {
    try {
      return (JSON.parse(value.toString()) as { nodeId?: unknown }).nodeId === this.candidate.nodeId;
    } catch {
      return false;
    }
  }

  private waitForVacancy(fromRevision: bigint): void {
    const k = this.quorum.keys;
    this.waitWatch?.cancel();
    this.waitWatch = this.store.watch(k.controller, fromRevision, {
      events: (events) => {
        if (events.some((e) => e.key === k.controller && e.type === "delete")) {
          this.waitWatch?.cancel();
          this.waitWatch = null;
          void this.attempt();
        }
      },
      failed: () => {
        this.waitWatch = null;
        this.retrySoon();
      },
    });
    // A watch that stalls without failing must not keep this node out of every later election:
    // look at the key itself now and then (trying while it is vacant is safe, the claim is fenced).
    const watch = this.waitWatch;
    const waiting = () => !this.stopped && this.waitWatch === watch;
    const probe = () =>
      this.env.timers.after(WATCH_PROBE_MS, () => {
        if (!waiting()) return;
        this.store.get(k.controller).then(
          (entry) => {
            if (!waiting()) return;
            if (entry !== null) {
              probe();
              return;
            }
            watch.cancel();
            this.waitWatch = null;
            void this.attempt();
          },
          () => {
            if (waiting()) probe();
          },
        );
      });
    probe();
  }

  private retrySoon(): void {
    if (this.stopped) return;
    this.failures++;
    const delay = Math.min(RETRY_BACKOFF_MAX_MS, 50 * 2 ** Math.min(this.failures - 1, 5));
    this.env.timers.after(delay, () => void this.attempt());
  }
}
