import { ErrorCode } from "../protocol/index.js";

/**
 * A consumer's incremental fetch session with one broker (KIP-227, Kafka's FetchSessionHandler):
 * the first Fetch names every partition and asks for a session (id 0, epoch 0); once the broker
 * gave one, each Fetch names only the partitions that are new or whose fetch offset changed, and
 * lists those it no longer wants as forgotten, the broker remembering the rest. Its answers name
 * only partitions with news. A top-level error, a failed request or a broker that gives no session
 * starts over with a full Fetch. Pure state: the consumer sends what `next` builds and reports
 * the outcome.
 */

export interface SessionPartition {
  readonly topic: string;
  readonly partition: number;
  readonly fetchOffset: bigint;
  readonly partitionMaxBytes: number;
}

export interface SessionRequest {
  readonly sessionId: number;
  readonly sessionEpoch: number;
  /** The partitions to name in the request. */
  readonly toSend: readonly SessionPartition[];
  /** The partitions to list as forgotten. */
  readonly toForget: readonly { topic: string; partition: number }[];
}

/** Fetch v7 brought sessions. */
export const FETCH_SESSION_VERSION_MIN = 7;
/** Kafka's FetchMetadata: epoch 0 opens a session, -1 fetches without one. */
const INITIAL_EPOCH = 0;
const FINAL_EPOCH = -1;
const INVALID_SESSION_ID = 0;

const key = (p: { topic: string; partition: number }) => `${p.topic}\u0000${p.partition}`;

export class FetchSession {
  private sessionId = INVALID_SESSION_ID;
  private epoch = INITIAL_EPOCH;
  /** What the broker's session holds (after the last answered request). */
  private held = new Map<string, SessionPartition>();
  /** What it will hold if the request in flight is answered without error. */
  private pending: Map<string, SessionPartition> | null = null;

  /** The next request's session fields and partitions for `wanted` (every partition to fetch now). */
  next(wanted: readonly SessionPartition[], sessionsSupported: boolean): SessionRequest {
    const wantedByKey = new Map(wanted.map((p) => [key(p), p]));
    if (!sessionsSupported) {
      this.pending = null;
      return { sessionId: INVALID_SESSION_ID, sessionEpoch: FINAL_EPOCH, toSend: wanted, toForget: [] };
    }
    this.pending = wantedByKey;
    if (this.sessionId === INVALID_SESSION_ID || this.epoch === INITIAL_EPOCH) {
      return { sessionId: INVALID_SESSION_ID, sessionEpoch: INITIAL_EPOCH, toSend: wanted, toForget: [] };
    }
    const toSend = wanted.filter((p) => {
      const had = this.held.get(key(p));
      return (
        had === undefined ||
        had.fetchOffset !== p.fetchOffset ||
        had.partitionMaxBytes !== p.partitionMaxBytes
      );
    });
    const toForget = [...this.held.values()]
      .filter((p) => !wantedByKey.has(key(p)))
      .map((p) => ({ topic: p.topic, partition: p.partition }));
    return { sessionId: this.sessionId, sessionEpoch: this.epoch, toSend, toForget };
  }

  /** The answer's top-level error code and session id. */
  answered(errorCode: number, sessionId: number): void {
    const pending = this.pending;
    this.pending = null;
    if (pending === null) return;
    if (errorCode !== ErrorCode.NONE) {
      // FETCH_SESSION_ID_NOT_FOUND, INVALID_FETCH_SESSION_EPOCH or anything else: start over.
      this.reset();
      return;
    }
    if (this.epoch === INITIAL_EPOCH || this.sessionId === INVALID_SESSION_ID) {
      if (sessionId === INVALID_SESSION_ID) {
        // The broker keeps no session for us (its cache is full): full fetches, asking again.
        this.reset();
        return;
      }
      this.sessionId = sessionId;
      this.epoch = 1;
    } else if (sessionId === INVALID_SESSION_ID) {
      // The broker closed the session in its answer: start over.
      this.reset();
      return;
    } else {
      // Epochs wrap from Int32 max to 1 (0 and -1 mean open and none).
      this.epoch = this.epoch === 0x7fffffff ? 1 : this.epoch + 1;
    }
    this.held = pending;
  }

  /** The request failed (a lost connection, a timeout): the next one opens a new session. */
  failed(): void {
    this.pending = null;
    this.reset();
  }

  /** The session's id, 0 when there is none (tests, logs). */
  get id(): number {
    return this.sessionId;
  }

  private reset(): void {
    this.sessionId = INVALID_SESSION_ID;
    this.epoch = INITIAL_EPOCH;
    this.held = new Map();
  }
}
