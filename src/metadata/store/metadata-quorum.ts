import { BrookError } from "../../base/index.js";
import type { BrokerEndpoint, MetadataRecord } from "../metadata-records.js";

/**
 * The cluster metadata log and the cluster's membership, as the controller and the brokers see
 * them, whatever keeps them: the embedded log of a single node (`__cluster_metadata-0`) or an
 * etcd cluster (any `KvStore`). Nothing above this interface knows which one it runs on.
 *
 * The log holds Kafka's metadata records at offsets that only grow. Only the active controller
 * appends, and every append is fenced: it commits only if the writer still holds the
 * controllership (its epoch) and the log ends where the writer expects, so two controllers can
 * never both write and the log never forks.
 */
export interface MetadataQuorum {
  /** "embedded" or "etcd" (for logs and the console). */
  readonly kind: string;

  /**
   * Delivers committed entries after `afterOffset` (-1n: from the start), in order, and every
   * later commit as it happens. When the entries before it were removed (compacted into a
   * snapshot), delivery starts with that snapshot.
   */
  follow(afterOffset: bigint, follower: MetadataFollower): Subscription;

  /** The committed log end (next offset) now: a read barrier for read-your-writes across nodes. */
  committedEnd(): Promise<bigint>;

  /**
   * Stands for election as the active controller until `stop()`. `elected` is called when this
   * node wins (with a leadership whose appends are fenced by its epoch), `resigned` when it loses
   * the controllership (its session expired, the store fenced it, or `stop()`).
   */
  campaign(candidate: ControllerCandidate, listener: CampaignListener): Campaign;

  /** Tells the listener who the active controller is, now and on every change. */
  watchController(listener: (controller: ControllerInfo | null) => void): Subscription;

  /**
   * Registers a broker session: it exists while the broker keeps it alive, and is removed by the
   * store when the broker stops renewing it for the session timeout (a crash, a partition from
   * the store, a long pause). `expired` says the session is gone and the broker must behave as
   * fenced until it registers again.
   */
  openSession(registration: BrokerSessionInfo, listener: SessionListener): Promise<BrokerSession>;

  /** Tells the listener which broker sessions are open, now and on every change. */
  watchSessions(listener: (sessions: ReadonlyMap<number, BrokerSessionInfo>) => void): Subscription;

  close(): Promise<void>;

  /**
   * Drops the connection without ending anything (sessions and the controllership then expire in
   * the store): how a crashed node looks to the cluster, for in-process tests.
   */
  abandon(): Promise<void>;
}

export interface MetadataEntry {
  /** Offset of the entry's first record; records take consecutive offsets. */
  readonly baseOffset: bigint;
  readonly records: readonly MetadataRecord[];
}

export interface MetadataSnapshot {
  /** The last log offset the snapshot includes: the image it rebuilds is the image at this offset. */
  readonly offset: bigint;
  readonly records: readonly MetadataRecord[];
}

export interface MetadataFollower {
  snapshot(snapshot: MetadataSnapshot): void;
  entries(entries: readonly MetadataEntry[]): void;
  /** The store cannot be followed right now (it is retried); for logs and readiness. */
  unavailable?(error: Error): void;
}

export interface Subscription {
  stop(): void;
}

export interface ControllerCandidate {
  nodeId: number;
  /** The endpoint brokers send controller requests to (the node's Kafka listener). */
  endPoint: BrokerEndpoint | null;
}

export interface ControllerInfo {
  nodeId: number;
  epoch: number;
  endPoint: BrokerEndpoint | null;
}

export interface CampaignListener {
  elected(leadership: ControllerLeadership): void;
  resigned(reason: string): void;
}

export interface Campaign {
  stop(): Promise<void>;
}

/** What the active controller may do, for as long as it is the active controller. */
export interface ControllerLeadership {
  readonly epoch: number;
  /** The committed log end (next offset) when this leadership began. */
  readonly startEnd: bigint;
  /**
   * Appends the records as one entry at `expectedEnd`; resolves with the entry's base offset once
   * committed. Rejects with NotControllerError when the leadership is gone (nothing was written)
   * and with KvUnavailable when the store could not say (it may have been written: the
   * controller resigns and the next one reads what is there).
   */
  append(expectedEnd: bigint, records: readonly MetadataRecord[]): Promise<bigint>;
  /** Stores a snapshot of the image at `snapshot.offset` and removes the entries it covers. */
  writeSnapshot(snapshot: MetadataSnapshot): Promise<void>;
  /** Largest encoded entry the store takes (etcd's request limit). */
  readonly entryBytesMax: number;
}

export interface BrokerSessionInfo {
  readonly brokerId: number;
  readonly incarnationId: string;
  readonly endPoints: readonly BrokerEndpoint[];
  readonly rack: string | null;
  /** The metadata offset the broker has applied (the controller unfences it once caught up). */
  readonly metadataOffset: bigint;
  /** The broker asked to shut down: the controller moves its leaderships away and fences it. */
  readonly shuttingDown: boolean;
  /**
   * KIP-966's PreviousBrokerEpoch: the epoch of the broker's registration before this session
   * when nothing of its logs can have been lost since (it shut down cleanly, or its process lived
   * on and only its session ended); absent when it may have (a crash). The controller counts a
   * new incarnation without it, or with an epoch that is not the registration's, as an unclean
   * shutdown.
   */
  readonly previousBrokerEpoch?: bigint;
  /**
   * Log dirs of the broker that failed (KRaft's BrokerHeartbeat offlineLogDirs), for operators;
   * absent: none.
   */
  readonly offlineLogDirs?: readonly string[];
  /**
   * The broker's replicas in those dirs: the controller takes them out of their ISRs and moves
   * their leaderships to in-sync replicas that can serve (KRaft does this from the directories
   * the partitions are assigned to; Brook's records carry no directory, so the broker names the
   * replicas, as a ZooKeeper-era broker did with KAFKA_STORAGE_ERROR per partition). Absent: none.
   */
  readonly offlineReplicas?: readonly OfflineReplicaRef[];
}

export interface OfflineReplicaRef {
  readonly topicId: string;
  readonly partitionId: number;
}

export interface SessionListener {
  expired(reason: string): void;
}

export interface BrokerSession {
  /** Changes what the session says (caught-up offset, shutting down); fails when expired. */
  update(info: BrokerSessionInfo): Promise<void>;
  /** Ends the session (a clean shutdown): the controller sees the broker leave at once. */
  close(): Promise<void>;
}

/** The writer is not (or no longer) the active controller; Kafka's NOT_CONTROLLER. */
export class NotControllerError extends BrookError {
  constructor(message: string) {
    super("BRK_ERR_METADATA_NOT_CONTROLLER", message);
  }
}
