import { assert, type Clock } from "../base/index.js";
import { ErrorCode } from "../protocol/index.js";

/**
 * Incremental fetch sessions (KIP-227). A client that sends epoch 0 gets a session id; afterwards
 * it sends only the partitions whose fetch position changed, and the broker answers only the
 * partitions that have something new (records, a moved high watermark, log start or last stable
 * offset, an error). Clients that send session id 0 and epoch -1 fetch without a session.
 *
 * Pure logic over an injected clock: the Fetch handler turns the wire request into `FetchKey`s
 * and asks `begin()` which partitions to read, then passes the results to `finish()`.
 */
export const INITIAL_EPOCH = 0;
export const FINAL_EPOCH = -1;

/** A partition as the session tracks it: by topic id when the request carries ids, else by name. */
export type FetchKey = string;

export interface FetchPosition {
  key: FetchKey;
  fetchOffset: bigint;
  partitionMaxBytes: number;
  logStartOffset: bigint;
}

export interface FetchPartitionResult {
  key: FetchKey;
  errorCode: number;
  highWatermark: bigint;
  lastStableOffset: bigint;
  logStartOffset: bigint;
  /** Bytes of records returned for it. */
  recordsBytes: number;
}

interface CachedPartition extends FetchPosition {
  highWatermark: bigint;
  lastStableOffset: bigint;
  sentLogStartOffset: bigint;
}

interface Session {
  id: number;
  epoch: number;
  partitions: Map<FetchKey, CachedPartition>;
  lastUsedMs: number;
  /** Keys are topic ids (Fetch v13+) rather than names; a request of the other kind cannot use it. */
  usesTopicIds: boolean;
}

export type FetchSessionBegin =
  | { kind: "error"; errorCode: number }
  | { kind: "ok"; positions: FetchPosition[]; context: FetchSessionContext };

export interface FetchSessionContext {
  /** The session id to return, once the results are known; filters results for incremental fetches. */
  finish(results: FetchPartitionResult[]): { sessionId: number; results: FetchPartitionResult[] };
  /**
   * The session id of an answer without partitions because a quota throttles the client (Kafka's
   * getThrottledResponse): nothing is remembered as sent, and a new session is not created.
   */
  throttled(): number;
}

export class FetchSessionCache {
  private readonly sessions = new Map<number, Session>();
  private readonly slotsMax: number;
  private readonly evictionMs: number;
  private readonly clock: Clock;
  private nextId = 1;

  constructor(options: { slotsMax: number; evictionMs: number; clock: Clock }) {
    this.slotsMax = options.slotsMax;
    this.evictionMs = options.evictionMs;
    this.clock = options.clock;
  }

  get size(): number {
    return this.sessions.size;
  }

  begin(request: {
    sessionId: number;
    sessionEpoch: number;
    positions: FetchPosition[];
    forgotten: FetchKey[];
    /** Fetch v13+: the keys are topic ids. */
    usesTopicIds?: boolean;
  }): FetchSessionBegin {
    const usesTopicIds = request.usesTopicIds ?? false;
    const { sessionId, sessionEpoch } = request;
    if (sessionEpoch === FINAL_EPOCH || sessionEpoch === INITIAL_EPOCH) {
      if (sessionId !== 0) this.sessions.delete(sessionId);
      const create = sessionEpoch === INITIAL_EPOCH;
      return {
        kind: "ok",
        positions: request.positions,
        context: this.fullContext(request.positions, create, usesTopicIds),
      };
    }
    const session = this.sessions.get(sessionId);
    if (session === undefined) return { kind: "error", errorCode: ErrorCode.FETCH_SESSION_ID_NOT_FOUND };
    if (session.epoch !== sessionEpoch)
      return { kind: "error", errorCode: ErrorCode.INVALID_FETCH_SESSION_EPOCH };
    // Its keys would be read as the other kind (a topic name taken for an id), as in Kafka's FetchManager.
    if (session.usesTopicIds !== usesTopicIds)
      return { kind: "error", errorCode: ErrorCode.FETCH_SESSION_TOPIC_ID_ERROR };
    session.lastUsedMs = this.clock.monotonicMs();
    for (const key of request.forgotten) session.partitions.delete(key);
    for (const p of request.positions) {
      const cached = session.partitions.get(p.key);
      if (cached === undefined) {
        session.partitions.set(p.key, {
          ...p,
          highWatermark: -1n,
          lastStableOffset: -1n,
          sentLogStartOffset: -1n,
        });
      } else {
        cached.fetchOffset = p.fetchOffset;
        cached.partitionMaxBytes = p.partitionMaxBytes;
        cached.logStartOffset = p.logStartOffset;
      }
    }
    session.epoch = nextEpoch(session.epoch);
    const positions = [...session.partitions.values()].map((c) => ({
      key: c.key,
      fetchOffset: c.fetchOffset,
      partitionMaxBytes: c.partitionMaxBytes,
      logStartOffset: c.logStartOffset,
    }));
    return { kind: "ok", positions, context: this.incrementalContext(session) };
  }

  private fullContext(
    positions: FetchPosition[],
    create: boolean,
    usesTopicIds: boolean,
  ): FetchSessionContext {
    return {
      finish: (results) => {
        if (!create) return { sessionId: 0, results };
        const session = this.createSession(positions, usesTopicIds);
        if (session === null) return { sessionId: 0, results };
        for (const r of results) remember(session, r);
        return { sessionId: session.id, results };
      },
      throttled: () => 0,
    };
  }

  private incrementalContext(session: Session): FetchSessionContext {
    return {
      finish: (results) => {
        const changed = results.filter((r) => {
          const cached = session.partitions.get(r.key);
          const hasNews =
            r.recordsBytes > 0 ||
            r.errorCode !== ErrorCode.NONE ||
            cached === undefined ||
            cached.highWatermark !== r.highWatermark ||
            cached.lastStableOffset !== r.lastStableOffset ||
            cached.sentLogStartOffset !== r.logStartOffset;
          remember(session, r);
          return hasNews;
        });
        return { sessionId: session.id, results: changed };
      },
      throttled: () => session.id,
    };
  }

  private createSession(positions: FetchPosition[], usesTopicIds: boolean): Session | null {
    if (this.sessions.size >= this.slotsMax && !this.evictOne()) return null;
    const id = this.allocateId();
    const session: Session = {
      id,
      epoch: nextEpoch(INITIAL_EPOCH),
      partitions: new Map(
        positions.map((p) => [
          p.key,
          { ...p, highWatermark: -1n, lastStableOffset: -1n, sentLogStartOffset: -1n },
        ]),
      ),
      lastUsedMs: this.clock.monotonicMs(),
      usesTopicIds,
    };
    this.sessions.set(id, session);
    assert(this.sessions.size <= this.slotsMax, "fetch session cache over its slot limit");
    return session;
  }

  /** Evicts the least recently used session if it has been idle long enough (Kafka's rule). */
  private evictOne(): boolean {
    let oldest: Session | undefined;
    for (const s of this.sessions.values())
      if (oldest === undefined || s.lastUsedMs < oldest.lastUsedMs) oldest = s;
    if (oldest === undefined || this.clock.monotonicMs() - oldest.lastUsedMs < this.evictionMs) return false;
    this.sessions.delete(oldest.id);
    return true;
  }

  private allocateId(): number {
    for (;;) {
      const id = this.nextId;
      this.nextId = this.nextId >= 0x7fffffff ? 1 : this.nextId + 1;
      if (!this.sessions.has(id)) return id;
    }
  }
}

function remember(session: Session, r: FetchPartitionResult): void {
  const cached = session.partitions.get(r.key);
  if (cached === undefined) return;
  cached.highWatermark = r.highWatermark;
  cached.lastStableOffset = r.lastStableOffset;
  cached.sentLogStartOffset = r.logStartOffset;
}

function nextEpoch(epoch: number): number {
  return epoch >= 0x7fffffff ? 1 : epoch + 1;
}
