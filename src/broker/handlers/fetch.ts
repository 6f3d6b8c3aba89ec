import { BufferLease } from "../../base/index.js";
import type { Connection } from "../../network/index.js";
import {
  AclOperation,
  ApiKey,
  ErrorCode,
  type FetchRequest,
  type FetchResponseInput,
  type FetchResponsePartitionDataInput,
  KafkaError,
  ResourceType,
  type Uuid,
} from "../../protocol/index.js";
import {
  IsolationLevel,
  type Partition,
  type ReadReplicaCandidate,
  rackAwareReadReplica,
} from "../../replication/index.js";
import { type Log, OffsetOutOfRangeError } from "../../storage/index.js";
import { defineHandler, NO_RESPONSE, type RequestContext } from "../api-handler.js";
import { RACK_AWARE_REPLICA_SELECTOR } from "../broker-config.js";
import { onConnectionClose } from "../connection-close-hooks.js";
import type { FetchPartitionResult, FetchPosition } from "../fetch-session.js";
import {
  type AuthorizerAccess,
  type BrokerSettings,
  type FetchState,
  type MetadataView,
  PARKED_FETCHES_MAX,
  type PartitionAccess,
  type QuotaAccess,
} from "../handler-context.js";
import { LeaderHints } from "../leader-hints.js";
import type { RequestAuthorizer } from "../request-authorizer.js";

interface Target {
  key: string;
  topic: string | null;
  topicId: Uuid;
  partition: number;
  position: FetchPosition;
  currentLeaderEpoch: number;
  /** The follower's last fetched epoch (v12+), -1 from consumers. */
  lastFetchedEpoch: number;
}

interface PartitionRead {
  target: Target;
  data: FetchResponsePartitionDataInput;
  bytes: number;
}

/** Longest a fetch may wait, whatever the client asks (a limit, so parked requests can't linger). */
const FETCH_WAIT_MS_MAX = 300_000;
/** Fetch v13 moved request-level errors to the top-level error code, with no partitions. */
const TOP_LEVEL_ERROR_ONLY_VERSION = 13;
/** Fetch v11 added rack_id and preferred_read_replica (KIP-392). */
const FOLLOWER_FETCH_VERSION = 11;

/**
 * The record set of a partition with nothing to send, errors included. The spec calls the field
 * nullable, but Kafka always sends an empty set (MemoryRecords.EMPTY; KAFKA-18646 dropped the
 * nullability): librdkafka rejects the whole response on a size of -1 ("invalid MessageSetSize -1")
 * and so never sees the partition's error, e.g. the OFFSET_OUT_OF_RANGE that auto.offset.reset
 * needs.
 */
const NO_RECORDS: readonly Buffer[] = [];

/**
 * Fetch: batches are read straight from the partition logs (segment bytes or the tail cache) and
 * sent as they are, each partition's records as a list of buffers that the response references
 * without copying. A fetch that finds fewer than minBytes waits (long poll) until an append to one
 * of its partitions or maxWaitMs. Incremental fetch sessions (KIP-227) answer only what changed.
 * With an authorizer, as Kafka's: a consumer needs READ on each topic, a follower CLUSTER_ACTION on
 * the cluster; refused partitions get TOPIC_AUTHORIZATION_FAILED (after an unknown topic id's error).
 */
export function fetchHandler(
  broker: MetadataView & PartitionAccess & FetchState & QuotaAccess & BrokerSettings & AuthorizerAccess,
) {
  return defineHandler<FetchRequest, FetchResponseInput>({
    apiKey: ApiKey.Fetch,
    minVersion: 4,
    maxVersion: 17,
    handle(request, context) {
      const usesIds = context.apiVersion >= 13;
      const replicaId = context.apiVersion >= 15 ? request.replicaState.replicaId : request.replicaId;
      const targets = resolveTargets(broker, request, usesIds);
      const session = broker.fetchSessions.begin({
        sessionId: request.sessionId,
        sessionEpoch: request.sessionEpoch,
        positions: targets.map((t) => t.position),
        forgotten: request.forgottenTopicsData.flatMap((f) =>
          f.partitions.map((p) => `${usesIds ? f.topicId : f.topic}:${p}`),
        ),
        usesTopicIds: usesIds,
      });
      if (session.kind === "error")
        return { throttleTimeMs: 0, errorCode: session.errorCode, sessionId: 0, responses: [] };
      const byKey = new Map(targets.map((t) => [t.key, t]));
      const sessionTargets = session.positions.map(
        (pos) => byKey.get(pos.key) ?? targetFromKey(broker, pos, usesIds),
      );
      // A consumer's fetch returns no more than its consumer_byte_rate allows at once (Kafka's cap).
      const maxBytes =
        replicaId >= 0
          ? request.maxBytes
          : Math.min(request.maxBytes, Math.floor(broker.quotas.fetchBytesMax(context)));
      const respond = (reads: PartitionRead[]): FetchResponseInput => {
        // KIP-219: a consumer over its quota gets an answer without records (its bytes are not
        // counted) and the dispatcher mutes its connection for the throttle time.
        if (replicaId < 0 && broker.quotas.recordFetch(context, fetchResponseBytes(reads, usesIds)))
          return {
            throttleTimeMs: 0,
            errorCode: ErrorCode.NONE,
            sessionId: session.context.throttled(),
            responses: [],
          };
        const finished = session.context.finish(reads.map(toSessionResult));
        const keep = new Set(finished.results.map((r) => r.key));
        const response = buildResponse(
          reads.filter((r) => keep.has(r.target.key)),
          finished.sessionId,
          usesIds,
        );
        return context.apiVersion >= LEADER_HINT_VERSION
          ? withLeaderHints(broker, response, context)
          : response;
      };
      const denied =
        broker.authorizer === null
          ? null
          : deniedTopics(broker.authorizer, context, sessionTargets, replicaId);
      // Records reach the response as views of the log's memory, lent until the socket has them.
      const lease = new BufferLease();
      context.lease = lease;
      const first = readAll(broker, request, maxBytes, sessionTargets, context, replicaId, denied);
      const waitMs = Math.min(request.maxWaitMs, FETCH_WAIT_MS_MAX);
      if (!shouldWait(first, request.minBytes, waitMs) || broker.parkedFetches >= PARKED_FETCHES_MAX)
        return respond(first);
      return waitForData(broker, sessionTargets, waitMs, context.connection, replicaId >= 0).then(
        (clientGone) =>
          clientGone
            ? NO_RESPONSE
            : respond(readAll(broker, request, maxBytes, sessionTargets, context, replicaId, denied)),
      );
    },
    // Kafka's FetchRequest.getErrorResponse: from v13 the top-level code alone, before it also every partition's.
    errorResponse: (request, errorCode, context) => ({
      throttleTimeMs: 0,
      errorCode,
      sessionId: 0,
      responses: (context.apiVersion >= TOP_LEVEL_ERROR_ONLY_VERSION ? [] : request.topics).map((t) => ({
        topic: t.topic,
        topicId: t.topicId,
        partitions: t.partitions.map((p) => ({
          partitionIndex: p.partition,
          errorCode,
          highWatermark: -1n,
          lastStableOffset: -1n,
          logStartOffset: -1n,
          records: NO_RECORDS,
        })),
      })),
    }),
  });
}

/**
 * Kafka's checks, made once per request over every partition of its session: a follower needs
 * CLUSTER_ACTION on the cluster (else every partition is refused), a consumer READ on each topic.
 * Null when nothing is refused.
 */
function deniedTopics(
  authorizer: RequestAuthorizer,
  context: RequestContext,
  targets: readonly Target[],
  replicaId: number,
): ((topic: string) => boolean) | null {
  if (replicaId >= 0)
    return authorizer.authorizeCluster(context, AclOperation.CLUSTER_ACTION) ? null : () => true;
  const denied = authorizer.deniedNames(
    context,
    AclOperation.READ,
    ResourceType.TOPIC,
    targets.flatMap((t) => (t.topic === null ? [] : [t.topic])),
  );
  return denied === null ? null : (topic) => denied.has(topic);
}

function resolveTargets(broker: MetadataView, request: FetchRequest, usesIds: boolean): Target[] {
  const targets: Target[] = [];
  for (const t of request.topics) {
    const name = usesIds ? (broker.image.topicsById.get(t.topicId)?.name ?? null) : t.topic;
    for (const p of t.partitions) {
      const key = `${usesIds ? t.topicId : t.topic}:${p.partition}`;
      targets.push({
        key,
        topic: name,
        topicId: t.topicId,
        partition: p.partition,
        currentLeaderEpoch: p.currentLeaderEpoch,
        lastFetchedEpoch: p.lastFetchedEpoch,
        position: {
          key,
          fetchOffset: p.fetchOffset,
          partitionMaxBytes: p.partitionMaxBytes,
          logStartOffset: p.logStartOffset,
        },
      });
    }
  }
  return targets;
}

/** A partition the session remembers but the request did not name again. */
function targetFromKey(broker: MetadataView, position: FetchPosition, usesIds: boolean): Target {
  const cut = position.key.lastIndexOf(":");
  const ident = position.key.slice(0, cut);
  const partition = Number(position.key.slice(cut + 1));
  const name = usesIds ? (broker.image.topicsById.get(ident)?.name ?? null) : ident;
  const topicId = usesIds ? ident : (broker.image.topic(ident)?.id ?? "AAAAAAAAAAAAAAAAAAAAAA");
  return {
    key: position.key,
    topic: name,
    topicId,
    partition,
    position,
    currentLeaderEpoch: -1,
    lastFetchedEpoch: -1,
  };
}

function readAll(
  broker: MetadataView & PartitionAccess & BrokerSettings,
  request: FetchRequest,
  maxBytes: number,
  targets: Target[],
  context: RequestContext,
  replicaId: number,
  denied: ((topic: string) => boolean) | null,
): PartitionRead[] {
  let remaining = maxBytes;
  const reads: PartitionRead[] = [];
  // Tracked, not recomputed per partition: that was quadratic in the partitions a request names.
  let nothingReadYet = true;
  for (const target of targets) {
    const read = readOne(
      broker,
      request,
      target,
      Math.max(0, Math.min(target.position.partitionMaxBytes, remaining)),
      nothingReadYet,
      context,
      replicaId,
      denied,
    );
    remaining -= read.bytes;
    if (read.bytes > 0) nothingReadYet = false;
    reads.push(read);
  }
  return reads;
}

function readOne(
  broker: MetadataView & PartitionAccess & BrokerSettings,
  request: FetchRequest,
  target: Target,
  maxBytes: number,
  minOneMessage: boolean,
  context: RequestContext,
  replicaId: number,
  denied: ((topic: string) => boolean) | null,
): PartitionRead {
  const fail = (errorCode: number): PartitionRead => ({
    target,
    bytes: 0,
    data: {
      partitionIndex: target.partition,
      errorCode,
      highWatermark: -1n,
      lastStableOffset: -1n,
      logStartOffset: -1n,
      records: NO_RECORDS,
    },
  });
  if (target.topic === null)
    return fail(context.apiVersion >= 13 ? ErrorCode.UNKNOWN_TOPIC_ID : ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
  if (denied?.(target.topic) === true) return fail(ErrorCode.TOPIC_AUTHORIZATION_FAILED);
  let partition: Partition;
  // KIP-392: a consumer's Fetch v11+ may be served by a follower the leader pointed it to.
  const followerMayServe = replicaId < 0 && context.apiVersion >= FOLLOWER_FETCH_VERSION;
  try {
    const known = broker.image.partition(target.topic, target.partition) !== undefined;
    partition = followerMayServe
      ? broker.replicaManager.replicaOrError(target.topic, target.partition, known)
      : broker.replicaManager.leaderOrError(target.topic, target.partition, known);
    if (replicaId >= 0) {
      // Fetch v15+ says which incarnation fetches (Brook's followers send v15); before, the
      // registration this node knows, which a fetch from a previous incarnation also gets.
      const replicaEpoch =
        context.apiVersion >= 15
          ? request.replicaState.replicaEpoch
          : (broker.image.brokers.get(replicaId)?.epoch ?? -1n);
      return readForFollower(broker, partition, target, maxBytes, replicaId, replicaEpoch, context.lease);
    }
    if (followerMayServe && partition.isLeader) {
      const preferred = preferredReadReplica(broker, partition, request.rackId, target.position.fetchOffset);
      if (preferred >= 0) {
        // Kafka answers with the replica to read from and no records; the client fetches there next.
        return {
          target,
          bytes: 0,
          data: {
            partitionIndex: target.partition,
            errorCode: ErrorCode.NONE,
            highWatermark: partition.highWatermark,
            lastStableOffset: partition.lastStableOffset,
            logStartOffset: partition.log.logStartOffset,
            abortedTransactions: request.isolationLevel === IsolationLevel.readCommitted ? [] : null,
            preferredReadReplica: preferred,
            records: NO_RECORDS,
          },
        };
      }
    }
    const result = partition.readRecords({
      followerMayServe,
      fetchOffset: target.position.fetchOffset,
      maxBytes,
      isolationLevel: request.isolationLevel,
      minOneMessage,
      currentLeaderEpoch: target.currentLeaderEpoch,
      ...(context.lease === undefined ? {} : { lease: context.lease }),
    });
    return {
      target,
      bytes: result.sizeBytes,
      data: {
        partitionIndex: target.partition,
        errorCode: ErrorCode.NONE,
        highWatermark: result.highWatermark,
        lastStableOffset: partition.lastStableOffset,
        logStartOffset: result.logStartOffset,
        abortedTransactions:
          request.isolationLevel === IsolationLevel.readCommitted
            ? abortedTransactionsOf(partition.log, target.position.fetchOffset, result)
            : null,
        preferredReadReplica: -1,
        records: result.records,
      },
    };
  } catch (error) {
    if (error instanceof OffsetOutOfRangeError || error instanceof KafkaError) return fail(error.errorCode);
    broker.log.error(`fetch from ${target.topic}-${target.partition} failed: ${String(error)}`);
    return fail(ErrorCode.UNKNOWN_SERVER_ERROR);
  }
}

/**
 * Where a consumer in `clientRack` should read from, when replica.selector.class is the rack-aware
 * selector: a live in-sync follower in its rack that holds the fetch offset, or -1 for this
 * leader (Kafka's ReplicaManager.findPreferredReadReplica).
 */
function preferredReadReplica(
  broker: MetadataView & BrokerSettings,
  partition: Partition,
  clientRack: string,
  fetchOffset: bigint,
): number {
  if (clientRack === "" || broker.config.string("replica.selector.class") !== RACK_AWARE_REPLICA_SELECTOR)
    return -1;
  const rackOf = (id: number) => broker.image.brokers.get(id)?.rack ?? null;
  const followers: ReadReplicaCandidate[] = [];
  for (const id of partition.isr) {
    if (id === broker.nodeId) continue;
    const registration = broker.image.brokers.get(id);
    const progress = partition.follower(id);
    if (registration === undefined || registration.fenced || progress === undefined) continue;
    if (progress.logEndOffset < fetchOffset || fetchOffset < partition.log.logStartOffset) continue;
    followers.push({
      id,
      rack: rackOf(id),
      logEndOffset: progress.logEndOffset,
      lastCaughtUpTimeMs: progress.lastCaughtUpTimeMs,
    });
  }
  const leader: ReadReplicaCandidate = {
    id: broker.nodeId,
    rack: rackOf(broker.nodeId),
    logEndOffset: partition.log.logEndOffset,
    lastCaughtUpTimeMs: Number.MAX_SAFE_INTEGER,
  };
  const chosen = rackAwareReadReplica(clientRack, leader, followers);
  return chosen === broker.nodeId ? -1 : chosen;
}

/** A follower's fetch: from the log end it has, up to what this leader has (not the high watermark). */
function readForFollower(
  broker: PartitionAccess,
  partition: Partition,
  target: Target,
  maxBytes: number,
  replicaId: number,
  replicaEpoch: bigint,
  lease: BufferLease | undefined,
): PartitionRead {
  const outcome = partition.fetchForFollower({
    replicaId,
    replicaEpoch,
    fetchOffset: target.position.fetchOffset,
    lastFetchedEpoch: target.lastFetchedEpoch,
    currentLeaderEpoch: target.currentLeaderEpoch,
    maxBytes,
    logStartOffset: target.position.logStartOffset,
    ...(lease === undefined ? {} : { lease }),
  });
  const base = {
    partitionIndex: target.partition,
    errorCode: ErrorCode.NONE,
    highWatermark: partition.highWatermark,
    lastStableOffset: partition.lastStableOffset,
    logStartOffset: partition.log.logStartOffset,
    abortedTransactions: null,
    preferredReadReplica: -1,
  };
  if ("diverging" in outcome) {
    return { target, bytes: 0, data: { ...base, divergingEpoch: outcome.diverging, records: NO_RECORDS } };
  }
  broker.isrChanges.maybeExpand(partition, replicaId);
  return {
    target,
    bytes: outcome.read.sizeBytes,
    data: { ...base, highWatermark: partition.highWatermark, records: outcome.read.records },
  };
}

/**
 * The aborted transactions a read_committed consumer must know to drop the records it was sent
 * (Kafka's collectAbortedTxns over the range read): none when nothing was read.
 */
function abortedTransactionsOf(
  log: Pick<Log, "abortedTransactions">,
  fetchOffset: bigint,
  result: { records: readonly Buffer[]; nextOffset: bigint },
): { producerId: bigint; firstOffset: bigint }[] {
  if (result.records.length === 0) return [];
  return log
    .abortedTransactions(fetchOffset, result.nextOffset)
    .map((t) => ({ producerId: t.producerId, firstOffset: t.firstOffset }));
}

function shouldWait(reads: PartitionRead[], minBytes: number, waitMs: number): boolean {
  if (waitMs <= 0 || reads.length === 0) return false;
  let bytes = 0;
  for (const r of reads) {
    if (r.data.errorCode !== ErrorCode.NONE) return false;
    // A follower whose log diverged truncates before anything else: answered at once, as Kafka does.
    if ((r.data.divergingEpoch?.epoch ?? -1) >= 0) return false;
    bytes += r.bytes;
  }
  return bytes < Math.max(1, minBytes);
}

/**
 * Resolves on the first append to any of the partitions, after waitMs, or as soon as the client
 * has gone (then with true: nobody will read the answer, and the parked slot is free again).
 * One listener per distinct log however often the request names a partition, so no request can
 * fill a log's listener limit for other clients' fetches.
 */
function waitForData(
  broker: PartitionAccess & FetchState,
  targets: Target[],
  waitMs: number,
  connection: Connection,
  follower: boolean,
): Promise<boolean> {
  return new Promise((resolve) => {
    const unsubscribes: (() => void)[] = [];
    let parked = true;
    // Out of the broker's request queue while it waits (queued.max.requests counts no long poll).
    const unpark = connection.park();
    const done = () => {
      if (!parked) return;
      parked = false;
      clearTimeout(timer);
      for (const u of unsubscribes) u();
      broker.parkedFetches--;
      unpark();
      resolve(connection.isClosed);
    };
    broker.parkedFetches++;
    const timer = setTimeout(done, waitMs);
    // A follower waits for the leader's log to grow; a consumer for the high watermark to move.
    const partitions = new Set<Partition>();
    for (const t of targets) {
      const p = t.topic === null ? undefined : broker.replicaManager.get(t.topic, t.partition);
      if (p !== undefined) partitions.add(p);
    }
    try {
      for (const p of partitions) unsubscribes.push(follower ? p.log.onAppend(done) : p.onChange(done));
      unsubscribes.push(onConnectionClose(connection, done));
    } catch {
      // A log at its listener limit: answer now rather than park half subscribed.
      done();
    }
  });
}

/**
 * The size of the response these reads make, near enough for consumer_byte_rate (Kafka counts
 * the response's size): the records plus each partition's and topic's fixed fields.
 */
function fetchResponseBytes(reads: readonly PartitionRead[], usesIds: boolean): number {
  const PARTITION_FIXED_BYTES = 50;
  const TOPIC_FIXED_BYTES = 8;
  let bytes = 16;
  const topics = new Set<string>();
  for (const r of reads) {
    bytes += PARTITION_FIXED_BYTES + r.bytes;
    const topic = usesIds ? r.target.topicId : (r.target.topic ?? "");
    if (topics.has(topic)) continue;
    topics.add(topic);
    bytes += TOPIC_FIXED_BYTES + (usesIds ? 16 : Buffer.byteLength(topic));
  }
  return bytes;
}

function toSessionResult(read: PartitionRead): FetchPartitionResult {
  return {
    key: read.target.key,
    errorCode: read.data.errorCode,
    highWatermark: read.data.highWatermark,
    lastStableOffset: read.data.lastStableOffset ?? -1n,
    logStartOffset: read.data.logStartOffset ?? -1n,
    recordsBytes: read.bytes,
  };
}

/** Fetch v12 added the current leader to partitions (KIP-951 uses it), v16 the node endpoints. */
const LEADER_HINT_VERSION = 12;
const NODE_ENDPOINTS_VERSION = 16;

/** KIP-951: partitions whose leader moved name the new one, and (v16+) where to reach it. */
function withLeaderHints(
  broker: MetadataView,
  response: FetchResponseInput,
  context: RequestContext,
): FetchResponseInput {
  const hints = new LeaderHints(broker.image, context.listenerName);
  let hinted = false;
  for (const topic of response.responses ?? []) {
    for (const p of topic.partitions ?? []) {
      const name =
        topic.topic !== undefined && topic.topic !== ""
          ? topic.topic
          : broker.image.topicsById.get(topic.topicId ?? "")?.name;
      if (name === undefined) continue;
      const currentLeader = hints.hint(p.errorCode, name, p.partitionIndex);
      if (currentLeader === undefined) continue;
      (p as { currentLeader?: typeof currentLeader }).currentLeader = currentLeader;
      hinted = true;
    }
  }
  if (!hinted || context.apiVersion < NODE_ENDPOINTS_VERSION) return response;
  return { ...response, nodeEndpoints: hints.nodeEndpoints };
}

function buildResponse(reads: PartitionRead[], sessionId: number, usesIds: boolean): FetchResponseInput {
  const topics = new Map<
    string,
    { topic: string; topicId: Uuid; partitions: FetchResponsePartitionDataInput[] }
  >();
  for (const r of reads) {
    const k = usesIds ? r.target.topicId : (r.target.topic ?? "");
    let entry = topics.get(k);
    if (entry === undefined) {
      entry = { topic: r.target.topic ?? "", topicId: r.target.topicId, partitions: [] };
      topics.set(k, entry);
    }
    entry.partitions.push(r.data);
  }
  return { throttleTimeMs: 0, errorCode: ErrorCode.NONE, sessionId, responses: [...topics.values()] };
}
