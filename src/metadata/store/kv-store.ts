import { BrookError } from "../../base/index.js";

/**
 * The slice of etcd's data model Brook's metadata quorum is built on: a linearizable key-value
 * store with a global revision, multi-key transactions guarded by comparisons, leases that delete
 * their keys when they expire, and watches that deliver every change after a revision in order.
 * etcd provides it in production (`etcd-kv-store.ts`); `MemoryKvStore` provides the same
 * semantics in memory for in-process clusters and the deterministic simulation.
 *
 * Keys and values are bytes in etcd; here keys are strings (Brook's keys are ASCII) and values
 * Buffers. Revisions are etcd's int64 revisions, as bigint.
 */
export interface KvEntry {
  readonly key: string;
  readonly value: Buffer;
  /** Revision of the transaction that created the key (0 for a key that does not exist). */
  readonly createRevision: bigint;
  /** Revision of the last transaction that changed the key. */
  readonly modRevision: bigint;
  /** The lease the key is attached to, "0" when none. */
  readonly lease: string;
}

export type KvCompare =
  | { key: string; target: "createRevision" | "modRevision"; op: "==" | "!=" | "<" | ">"; value: bigint }
  | { key: string; target: "value"; op: "==" | "!="; value: Buffer }
  | { key: string; target: "lease"; op: "==" | "!="; value: string };

export type KvOp =
  | { type: "put"; key: string; value: Buffer; lease?: string }
  | { type: "delete"; key: string }
  /** Deletes every key in [key, rangeEnd). */
  | { type: "deleteRange"; key: string; rangeEnd: string };

export interface KvTxnResult {
  readonly succeeded: boolean;
  /** The store's revision after the transaction. */
  readonly revision: bigint;
}

export interface KvRange {
  readonly entries: readonly KvEntry[];
  /** The revision the range was read at: a watch from `revision + 1` misses nothing. */
  readonly revision: bigint;
}

export interface KvEvent {
  readonly type: "put" | "delete";
  readonly key: string;
  /** Empty for deletes. */
  readonly value: Buffer;
  readonly modRevision: bigint;
  readonly createRevision: bigint;
}

export interface KvWatchListener {
  /** Changes in revision order; one call holds the events of one or more whole revisions. */
  events(events: readonly KvEvent[]): void;
  /**
   * The watch ended (the connection dropped, or `fromRevision` was compacted away): nothing more
   * will be delivered; the owner re-reads and watches again.
   */
  failed(error: Error): void;
}

export interface KvWatch {
  cancel(): void;
}

export interface KvLeaseGrant {
  readonly id: string;
  readonly ttlMs: number;
}

export interface KvStore {
  /** Every key starting with `prefix`, sorted by key, read at one revision. */
  range(prefix: string): Promise<KvRange>;
  get(key: string): Promise<KvEntry | null>;
  /** All comparisons hold: `success` runs; otherwise `failure` does. Atomic and linearizable. */
  txn(
    compares: readonly KvCompare[],
    success: readonly KvOp[],
    failure?: readonly KvOp[],
  ): Promise<KvTxnResult>;
  /** A lease of at least `ttlMs` (etcd rounds up to whole seconds). */
  grantLease(ttlMs: number): Promise<KvLeaseGrant>;
  /** Renews the lease; rejects with KvLeaseNotFound once it has expired or been revoked. */
  keepAlive(leaseId: string): Promise<void>;
  revokeLease(leaseId: string): Promise<void>;
  /** Watches keys starting with `prefix` from `fromRevision` (inclusive). */
  watch(prefix: string, fromRevision: bigint, listener: KvWatchListener): KvWatch;
  close(): Promise<void>;
}

/** The store could not be reached or did not answer in time; the operation may or may not have happened. */
export class KvUnavailable extends BrookError {
  constructor(message: string, options?: { cause?: unknown }) {
    super("BRK_ERR_METADATA_STORE_UNAVAILABLE", message, options);
  }
}

/** A keep-alive for a lease that expired or was revoked. */
export class KvLeaseNotFound extends BrookError {
  constructor(leaseId: string) {
    super("BRK_ERR_METADATA_LEASE_LOST", `lease ${leaseId} not found (expired or revoked)`);
  }
}

/** A watch asked for history the store has compacted away. */
export class KvCompacted extends BrookError {
  readonly compactRevision: bigint;
  constructor(compactRevision: bigint) {
    super("BRK_ERR_METADATA_STORE_COMPACTED", `revision compacted (store keeps from ${compactRevision})`);
    this.compactRevision = compactRevision;
  }
}

/** The first key after every key that starts with `prefix` (etcd's range end for a prefix). */
export function prefixRangeEnd(prefix: string): string {
  const bytes = Buffer.from(prefix, "utf8");
  for (let i = bytes.length - 1; i >= 0; i--) {
    const b = bytes[i] ?? 0;
    if (b < 0xff) {
      bytes[i] = b + 1;
      return bytes.subarray(0, i + 1).toString("latin1");
    }
  }
  return "\u0000";
}
