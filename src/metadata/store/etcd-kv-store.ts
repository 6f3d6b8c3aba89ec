import { readFile } from "node:fs/promises";
import type { Etcd3, ICallable, ICompare, IKeyValue, IOptions, IRangeResponse, IRequestOp } from "etcd3";
import { ConfigError } from "../../base/index.js";
import { AvoidedMember, MemberAvoidance, noRetry } from "./etcd-fault-handling.js";
import { EtcdWatch, type EtcdWatchStream } from "./etcd-watch.js";
import {
  KvCompacted,
  type KvCompare,
  type KvEntry,
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

/** The `etcd3` package's exports; loaded only by `EtcdKvStore.connect` (it brings in gRPC). */
type Etcd3Module = typeof import("etcd3");

export interface EtcdKvStoreOptions {
  /** `host:port` of each etcd member (see `parseEtcdConnect`). */
  readonly endpoints: readonly string[];
  /** How long `connect` keeps trying to reach a member. Default 10 s. */
  readonly connectionTimeoutMs?: number;
  /** Deadline of each request, its retries included. Default 5 s. */
  readonly requestTimeoutMs?: number;
  /** PEM file of the CA that signed the members' certificates; TLS is on when `ca`, `cert` or `key` is set. */
  readonly ca?: string;
  /** PEM files of the client certificate and its key, for members that verify clients. */
  readonly cert?: string;
  readonly key?: string;
  /** etcd authentication (`etcdctl auth enable`). */
  readonly username?: string;
  readonly password?: string;
  /** Keys per range request (a range reads page after page at one revision). Default 1000. */
  readonly rangePageKeys?: number;
  /** The largest response accepted; a range page above it is read again in smaller pages. Default 64 MiB. */
  readonly responseBytesMax?: number;
}

export const ETCD_CONNECTION_TIMEOUT_MS_DEFAULT = 10_000;
export const ETCD_REQUEST_TIMEOUT_MS_DEFAULT = 5_000;
/** Attempts of one request: another member is tried when one is unreachable. */
const REQUEST_ATTEMPTS_MAX = 5;
const RETRY_BACKOFF_MS_FIRST = 50;
const RETRY_BACKOFF_MS_MAX = 500;
const RANGE_PAGE_KEYS_DEFAULT = 1000;
/** Times a paged range starts over when etcd compacts the revision it was reading at. */
const RANGE_RESTARTS_MAX = 3;
/** gRPC's own default, 4 MiB, is below what a page of large values can take. */
const RESPONSE_BYTES_MAX_DEFAULT = 64 * 1024 * 1024;
/** gRPC keep-alive pings on connections with open streams (etcd refuses pings closer than 5 s apart). */
const GRPC_KEEPALIVE_TIME_MS = 10_000;
const GRPC_RECONNECT_BACKOFF_MS_INITIAL = 100;
const GRPC_RECONNECT_BACKOFF_MS_MAX = 1_000;

const ZERO_KEY = Buffer.from([0]);

/**
 * How a request may be retried after a failure that leaves its outcome unknown. `idempotent`:
 * always (reads, lease grants, keep-alives, revokes). `unsent`: only when gRPC never sent it (no
 * connection to the member), as etcd's Go client does for writes: a transaction retried after it
 * committed would evaluate its compares again and report a failure it did not have.
 */
type RetryPolicy = "idempotent" | "unsent";

type FailureKind =
  | "brook"
  | "unsent"
  | "unavailable"
  | "timeout"
  | "leaseNotFound"
  | "auth"
  | "tooLarge"
  | "compacted"
  | "other";

/** A response above `responseBytesMax` (range pages shrink on it). */
class ResponseTooLarge extends Error {}
/** The revision a paged range was reading at was compacted (the range starts over). */
class RangeRevisionCompacted extends Error {}
/** No answer by the request's deadline. */
class RequestTimeout extends Error {}

/**
 * `KvStore` on an etcd v3 cluster, through the `etcd3` package (gRPC), loaded only by `connect()`
 * so that a single node that never talks to etcd never loads gRPC.
 *
 * Semantics are etcd's, unchanged: revisions are etcd's (int64, as bigint), lease ids its int64
 * ids in decimal, a transaction is one etcd Txn, a watch is one etcd watch stream. What this
 * class adds is failure handling: every request has a deadline (`requestTimeoutMs`, retries
 * included); gRPC's unavailability, deadline and connection errors become `KvUnavailable`; reads
 * and lease calls are retried on another member, writes only when gRPC never sent them. etcd3's
 * own retry policy and circuit breakers are replaced (`etcd-fault-handling.ts`), and its watch
 * manager is not used: it resumes a dropped watch from a revision that can skip replayed events
 * and it drops a compaction's revision, so `etcd-watch.ts` runs each watch on its own stream and
 * ends it at the first disconnect.
 *
 * Keys are UTF-8 (Brook's keys are ASCII). After `close()` every call rejects with KvUnavailable
 * and open watches end without a word to their listeners.
 */
export class EtcdKvStore implements KvStore {
  private readonly etcd3: Etcd3Module;
  private readonly client: Etcd3;
  /** etcd3's connection pool: watch streams are opened on it directly (with `hasleader` metadata). */
  private readonly pool: ICallable<unknown>;
  private readonly requestTimeoutMs: number;
  private readonly rangePageKeys: number;
  private readonly watches = new Set<EtcdWatch>();
  private closed = false;

  private constructor(etcd3: Etcd3Module, client: Etcd3, requestTimeoutMs: number, rangePageKeys: number) {
    this.etcd3 = etcd3;
    this.client = client;
    this.requestTimeoutMs = requestTimeoutMs;
    this.rangePageKeys = rangePageKeys;
    const pool = (client as unknown as { pool?: ICallable<unknown> }).pool;
    if (typeof pool?.withConnection !== "function" || typeof pool.markFailed !== "function") {
      throw new Error("the installed etcd3 package has no connection pool where etcd3 1.1 has it");
    }
    this.pool = pool;
  }

  /**
   * Loads the etcd client, dials the members and retries (with backoff, until the next try would
   * end past `connectionTimeoutMs`) until one answers. Rejects with ConfigError for bad options or refused credentials, KvUnavailable when
   * no member answers in time.
   */
  static async connect(options: EtcdKvStoreOptions): Promise<EtcdKvStore> {
    const connectionTimeoutMs = options.connectionTimeoutMs ?? ETCD_CONNECTION_TIMEOUT_MS_DEFAULT;
    const requestTimeoutMs = options.requestTimeoutMs ?? ETCD_REQUEST_TIMEOUT_MS_DEFAULT;
    const rangePageKeys = options.rangePageKeys ?? RANGE_PAGE_KEYS_DEFAULT;
    const responseBytesMax = options.responseBytesMax ?? RESPONSE_BYTES_MAX_DEFAULT;
    checkOptions(options, { connectionTimeoutMs, requestTimeoutMs, rangePageKeys, responseBytesMax });
    const credentials = await readCredentials(options);
    const etcd3: Etcd3Module = await import("etcd3");
    const members = new MemberAvoidance();
    const clientOptions: IOptions = {
      hosts: options.endpoints.map((endpoint) => `${credentials ? "https" : "http"}://${endpoint}`),
      grpcOptions: {
        "grpc.max_receive_message_length": responseBytesMax,
        "grpc.keepalive_time_ms": GRPC_KEEPALIVE_TIME_MS,
        "grpc.keepalive_timeout_ms": requestTimeoutMs,
        "grpc.initial_reconnect_backoff_ms": GRPC_RECONNECT_BACKOFF_MS_INITIAL,
        "grpc.max_reconnect_backoff_ms": GRPC_RECONNECT_BACKOFF_MS_MAX,
      },
      // Only etcd3's own calls (authentication) use it: every request of this class passes its deadline.
      defaultCallOptions: (context) => (context.isStream ? {} : { deadline: Date.now() + requestTimeoutMs }),
      faultHandling: {
        host: (host) => members.policyFor(host),
        global: noRetry(),
      },
    };
    if (credentials) clientOptions.credentials = credentials;
    if (options.username !== undefined && options.password !== undefined) {
      clientOptions.auth = { username: options.username, password: options.password };
    }
    const store = new EtcdKvStore(etcd3, new etcd3.Etcd3(clientOptions), requestTimeoutMs, rangePageKeys);
    try {
      await store.request(
        `connect to ${options.endpoints.join(",")}`,
        "idempotent",
        (callOptions) => store.client.maintenance.status(callOptions),
        { timeoutMs: connectionTimeoutMs, attemptsMax: Number.POSITIVE_INFINITY },
      );
    } catch (error) {
      await store.close();
      throw error;
    }
    return store;
  }

  async range(prefix: string): Promise<KvRange> {
    const { key, rangeEnd } = prefixRange(prefix);
    for (let restart = 1; ; restart++) {
      try {
        return await this.rangePages(key, rangeEnd);
      } catch (error) {
        if (!(error instanceof RangeRevisionCompacted)) throw error;
        if (restart >= RANGE_RESTARTS_MAX) {
          throw new KvUnavailable(`etcd range of "${prefix}": compacted under it ${restart} times`, {
            cause: error,
          });
        }
      }
    }
  }

  /**
   * Reads [key, rangeEnd) page by page, every page at the revision of the first (a consistent
   * snapshot, as long as etcd does not compact that revision meanwhile: then `range` starts over).
   */
  private async rangePages(key: Buffer, rangeEnd: Buffer): Promise<KvRange> {
    const entries: KvEntry[] = [];
    let revision = "0";
    let from = key;
    let pageKeys = this.rangePageKeys;
    for (;;) {
      let response: IRangeResponse;
      try {
        response = await this.request("range", "idempotent", (callOptions) =>
          this.client.kv.range({ key: from, range_end: rangeEnd, limit: pageKeys, revision }, callOptions),
        );
      } catch (error) {
        if (!(error instanceof ResponseTooLarge) || pageKeys === 1) throw error;
        pageKeys = Math.max(1, Math.floor(pageKeys / 2));
        continue;
      }
      if (revision === "0") revision = response.header.revision;
      for (const kv of response.kvs) entries.push(toEntry(kv));
      const last = response.kvs.at(-1);
      if (!response.more || last === undefined) return { entries, revision: BigInt(revision) };
      from = Buffer.concat([last.key, ZERO_KEY]);
    }
  }

  async get(key: string): Promise<KvEntry | null> {
    const response = await this.request("get", "idempotent", (callOptions) =>
      this.client.kv.range({ key: Buffer.from(key, "utf8") }, callOptions),
    );
    const kv = response.kvs[0];
    return kv === undefined ? null : toEntry(kv);
  }

  async txn(
    compares: readonly KvCompare[],
    success: readonly KvOp[],
    failure: readonly KvOp[] = [],
  ): Promise<KvTxnResult> {
    const leases = [...success, ...failure].flatMap((op) =>
      op.type === "put" && op.lease !== undefined && op.lease !== "0" ? [op.lease] : [],
    );
    const request = {
      compare: compares.map(toCompare),
      success: success.map(toRequestOp),
      failure: failure.map(toRequestOp),
    };
    const response = await this.request(
      "txn",
      "unsent",
      (callOptions) => this.client.kv.txn(request, callOptions),
      { leases },
    );
    return { succeeded: response.succeeded, revision: BigInt(response.header.revision) };
  }

  async grantLease(ttlMs: number): Promise<KvLeaseGrant> {
    if (!Number.isFinite(ttlMs) || ttlMs <= 0) throw new RangeError(`lease TTL ${ttlMs} ms is not positive`);
    const ttlSeconds = Math.max(1, Math.ceil(ttlMs / 1000));
    const response = await this.request("lease grant", "idempotent", (callOptions) =>
      this.client.leaseClient.leaseGrant({ TTL: ttlSeconds }, callOptions),
    );
    if (response.error !== "") throw new Error(`etcd lease grant failed: ${response.error}`);
    return { id: response.ID, ttlMs: Number(response.TTL) * 1000 };
  }

  async keepAlive(leaseId: string): Promise<void> {
    checkLeaseId(leaseId);
    const leases = [leaseId];
    await this.request("lease keep-alive", "idempotent", (options) => this.keepAliveOnce(leaseId, options), {
      leases,
    });
  }

  /** One keep-alive round trip on a stream of its own; etcd answers TTL 0 for a lease it does not know. */
  private async keepAliveOnce(leaseId: string, callOptions: { deadline: Date }): Promise<void> {
    const stream = await this.client.leaseClient.leaseKeepAlive(callOptions);
    return new Promise<void>((resolve, reject) => {
      let settled = false;
      const settle = (error: Error | null) => {
        if (settled) return;
        settled = true;
        if (error === null) resolve();
        else reject(error);
      };
      stream.on("data", (response) => {
        stream.end(); // etcd then closes the stream; ending first keeps etcd3 from counting that as a failure
        settle(BigInt(response.TTL) > 0n ? null : new KvLeaseNotFound(leaseId));
      });
      stream.on("error", (error) => settle(this.etcd3.castGrpcError(error)));
      stream.on("end", () => settle(new this.etcd3.EtcdWatchStreamEnded()));
      stream.write({ ID: leaseId });
    });
  }

  /** Revokes the lease and deletes its keys; a lease etcd no longer knows (expired, revoked) is already gone. */
  async revokeLease(leaseId: string): Promise<void> {
    checkLeaseId(leaseId);
    try {
      await this.request("lease revoke", "idempotent", (callOptions) =>
        this.client.leaseClient.leaseRevoke({ ID: leaseId }, callOptions),
      );
    } catch (error) {
      if (!(error instanceof KvLeaseNotFound)) throw error;
    }
  }

  watch(prefix: string, fromRevision: bigint, listener: KvWatchListener): KvWatch {
    if (fromRevision < 0n) throw new RangeError(`watch from revision ${fromRevision}`);
    const { key, rangeEnd } = prefixRange(prefix);
    const watch = new EtcdWatch({
      description: `etcd watch of "${prefix}" from revision ${fromRevision}`,
      createRequest: { key, range_end: rangeEnd, start_revision: fromRevision.toString(), fragment: true },
      fromRevision,
      listener,
      createdTimeoutMs: this.requestTimeoutMs,
      openStream: () => this.openWatchStream(),
      translate: (error) => this.watchFailure(error, prefix),
      retryable: (error) => {
        const kind = this.classify(castGrpc(this.etcd3, error));
        return kind === "unsent" || kind === "unavailable";
      },
      ended: (ended) => this.watches.delete(ended),
    });
    if (this.closed) {
      queueMicrotask(() => watch.fail(new KvUnavailable("etcd watch: the store is closed")));
      return watch;
    }
    this.watches.add(watch);
    watch.start();
    return watch;
  }

  /**
   * A watch stream of its own, sent with etcd's `hasleader` metadata: a member cut off from the
   * cluster's leader then ends the stream (etcd's Go client calls it WithRequireLeader) instead of
   * leaving it silent while the cluster moves on without it.
   */
  private openWatchStream(): Promise<EtcdWatchStream> {
    return this.pool.withConnection("Watch", ({ resource, client, metadata }) => {
      const requireLeader = metadata.clone();
      requireLeader.set("hasleader", "true");
      const grpcClient = client as unknown as { watch(metadata: unknown, options: object): EtcdWatchStream };
      const stream = grpcClient.watch(requireLeader, {});
      stream.on("error", (error: Error) => {
        if (stream.writable) this.pool.markFailed(resource, error);
      });
      return stream;
    });
  }

  /** Why a watch ended, as the listener hears it: KvUnavailable, or ConfigError for refused credentials. */
  private watchFailure(error: unknown, prefix: string): Error {
    const cast = castGrpc(this.etcd3, error);
    const kind = this.classify(cast);
    if (kind === "auth" || kind === "brook") return this.translate(cast, kind, `watch of "${prefix}"`, []);
    const message = cast instanceof Error ? cast.message : String(cast);
    return new KvUnavailable(`etcd watch of "${prefix}": ${message}`, { cause: cast });
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const watch of [...this.watches]) watch.cancel();
    this.client.close();
  }

  /**
   * Runs `run` until it succeeds, fails for good, or the deadline passes; every failure leaves as
   * one of Brook's errors (`translate`).
   */
  private async request<T>(
    operation: string,
    policy: RetryPolicy,
    run: (callOptions: { deadline: Date }) => Promise<T>,
    options: { timeoutMs?: number; attemptsMax?: number; leases?: readonly string[] } = {},
  ): Promise<T> {
    const timeoutMs = options.timeoutMs ?? this.requestTimeoutMs;
    const attemptsMax = options.attemptsMax ?? REQUEST_ATTEMPTS_MAX;
    const deadlineMs = Date.now() + timeoutMs;
    for (let attempt = 1; ; attempt++) {
      if (this.closed) throw new KvUnavailable(`etcd ${operation}: the store is closed`);
      try {
        return await withDeadline(run({ deadline: new Date(deadlineMs) }), deadlineMs, timeoutMs);
      } catch (error) {
        const kind = this.classify(error);
        const retryable = kind === "unsent" || (kind === "unavailable" && policy === "idempotent");
        const backoffMs = Math.min(RETRY_BACKOFF_MS_MAX, RETRY_BACKOFF_MS_FIRST * 2 ** (attempt - 1));
        if (!retryable || attempt >= attemptsMax || Date.now() + backoffMs >= deadlineMs || this.closed) {
          throw this.translate(error, kind, operation, options.leases ?? []);
        }
        await new Promise((resolve) => setTimeout(resolve, backoffMs));
      }
    }
  }

  private classify(error: unknown): FailureKind {
    const m = this.etcd3;
    if (error instanceof KvUnavailable || error instanceof KvLeaseNotFound || error instanceof KvCompacted) {
      return "brook";
    }
    if (error instanceof RequestTimeout) return "timeout";
    if (!(error instanceof Error)) return "other";
    const message = error.message;
    if (error instanceof AvoidedMember) return "unsent";
    if (error instanceof m.EtcdLeaseInvalidError) return "leaseNotFound";
    if (
      error instanceof m.EtcdAuthenticationFailedError ||
      error instanceof m.EtcdPermissionDeniedError ||
      error instanceof m.GRPCUnauthenticatedError ||
      message.includes("etcdserver: user name is empty")
    ) {
      return "auth";
    }
    if (message.includes("required revision has been compacted")) return "compacted";
    if (error instanceof m.GRPCResourceExhastedError && message.includes("larger than max"))
      return "tooLarge";
    if (error instanceof m.GRPCUnavailableError && message.includes("No connection established"))
      return "unsent";
    if (error instanceof m.ClientClosedError || error instanceof m.EtcdWatchStreamEnded) return "unavailable";
    // UNAVAILABLE, DEADLINE_EXCEEDED, CANCELLED, INTERNAL, UNKNOWN, ABORTED, RESOURCE_EXHAUSTED.
    if (m.isRecoverableError(error)) return "unavailable";
    return "other";
  }

  private translate(error: unknown, kind: FailureKind, operation: string, leases: readonly string[]): Error {
    const message = error instanceof Error ? error.message : String(error);
    switch (kind) {
      case "brook":
        return error as Error;
      case "unsent":
      case "unavailable":
        return new KvUnavailable(`etcd ${operation}: ${message}`, { cause: error });
      case "timeout":
        return new KvUnavailable(`etcd ${operation}: ${message}`, { cause: error });
      case "leaseNotFound":
        return new KvLeaseNotFound(leases.length > 0 ? leases.join(",") : "(unknown)");
      case "auth":
        return new ConfigError(`etcd ${operation}: etcd refused the credentials: ${message}`, {
          cause: error,
        });
      case "tooLarge":
        return new ResponseTooLarge(`etcd ${operation}: ${message}`, { cause: error });
      case "compacted":
        return new RangeRevisionCompacted(`etcd ${operation}: ${message}`, { cause: error });
      case "other":
        return new Error(`etcd ${operation} failed: ${message}`, { cause: error });
    }
  }
}

function checkOptions(options: EtcdKvStoreOptions, numbers: Record<string, number>): void {
  if (options.endpoints.length === 0) throw new ConfigError("etcd: no endpoint given");
  for (const endpoint of options.endpoints) {
    if (!/^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]+):\d{1,5}$/.test(endpoint)) {
      throw new ConfigError(`etcd: endpoint "${endpoint}" is not host:port`);
    }
  }
  for (const [name, value] of Object.entries(numbers)) {
    if (!Number.isSafeInteger(value) || value <= 0)
      throw new ConfigError(`etcd: ${name} ${value} is not a positive integer`);
  }
  if ((options.cert === undefined) !== (options.key === undefined)) {
    throw new ConfigError("etcd: a client certificate needs both cert and key");
  }
  if ((options.username === undefined) !== (options.password === undefined)) {
    throw new ConfigError("etcd: authentication needs both username and password");
  }
}

type Credentials = NonNullable<IOptions["credentials"]>;

async function readCredentials(options: EtcdKvStoreOptions): Promise<Credentials | null> {
  if (options.ca === undefined && options.cert === undefined) return null;
  const read = async (what: string, path: string | undefined): Promise<Buffer | undefined> => {
    if (path === undefined) return undefined;
    try {
      return await readFile(path);
    } catch (error) {
      throw new ConfigError(`etcd: cannot read the ${what} file ${path}: ${(error as Error).message}`, {
        cause: error,
      });
    }
  };
  const [ca, cert, key] = await Promise.all([
    read("CA", options.ca),
    read("certificate", options.cert),
    read("key", options.key),
  ]);
  // Without a CA, gRPC trusts the system's roots (createSsl takes null for them).
  const credentials = { rootCertificate: (ca ?? null) as Buffer } as Credentials;
  if (cert !== undefined) credentials.certChain = cert;
  if (key !== undefined) credentials.privateKey = key;
  return credentials;
}

/** etcd3's typed error for a raw gRPC error (as streams emit them). */
function castGrpc(etcd3: Etcd3Module, error: unknown): unknown {
  return error instanceof Error && error.constructor === Error ? etcd3.castGrpcError(error) : error;
}

function checkLeaseId(leaseId: string): void {
  if (!/^\d{1,19}$/.test(leaseId)) throw new RangeError(`"${leaseId}" is not an etcd lease id`);
}

/** etcd's range for "every key that starts with prefix" (the empty prefix: every key). */
function prefixRange(prefix: string): { key: Buffer; rangeEnd: Buffer } {
  const key = Buffer.from(prefix, "utf8");
  if (key.length === 0) return { key: ZERO_KEY, rangeEnd: ZERO_KEY };
  for (let i = key.length - 1; i >= 0; i--) {
    const b = key[i] ?? 0;
    if (b < 0xff) {
      const rangeEnd = Buffer.from(key.subarray(0, i + 1));
      rangeEnd[i] = b + 1;
      return { key, rangeEnd };
    }
  }
  return { key, rangeEnd: ZERO_KEY }; // all 0xff: every key from prefix on
}

function toEntry(kv: IKeyValue): KvEntry {
  return {
    key: kv.key.toString("utf8"),
    value: kv.value,
    createRevision: BigInt(kv.create_revision),
    modRevision: BigInt(kv.mod_revision),
    lease: kv.lease,
  };
}

const COMPARE_RESULT = { "==": "Equal", "!=": "NotEqual", "<": "Less", ">": "Greater" } as const;

function toCompare(compare: KvCompare): ICompare {
  const key = Buffer.from(compare.key, "utf8");
  const result = COMPARE_RESULT[compare.op];
  switch (compare.target) {
    case "createRevision":
      return { key, result, target: "Create", create_revision: compare.value.toString() };
    case "modRevision":
      return { key, result, target: "Mod", mod_revision: compare.value.toString() };
    case "value":
      return { key, result, target: "Value", value: compare.value };
    case "lease":
      checkLeaseId(compare.value);
      return { key, result, target: "Lease", lease: compare.value };
  }
}

function toRequestOp(op: KvOp): IRequestOp {
  switch (op.type) {
    case "put":
      if (op.lease !== undefined) checkLeaseId(op.lease);
      return {
        request_put: { key: Buffer.from(op.key, "utf8"), value: op.value, lease: op.lease ?? "0" },
      };
    case "delete":
      return { request_delete_range: { key: Buffer.from(op.key, "utf8") } };
    case "deleteRange":
      return {
        request_delete_range: {
          key: Buffer.from(op.key, "utf8"),
          range_end: Buffer.from(op.rangeEnd, "utf8"),
        },
      };
  }
}

function withDeadline<T>(promise: Promise<T>, deadlineMs: number, timeoutMs: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new RequestTimeout(`no answer within ${timeoutMs} ms`)),
      deadlineMs - Date.now(),
    );
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
