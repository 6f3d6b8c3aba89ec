import { setImmediate as nextTurn } from "node:timers/promises";
import type { Broker } from "../broker/index.js";
import { kafkaEndPoints, type TopicImage } from "../metadata/index.js";
import { ErrorCode, KafkaError } from "../protocol/index.js";
import type { Partition } from "../replication/index.js";
import type { MessagesQuery, StartPosition } from "./messages-query.js";
import { type BrowsedRecord, type PartitionRecordsRead, readPartitionRecords } from "./partition-records.js";
import { type RecordView, RecordViews } from "./record-view.js";
import { liveBrokerIds } from "./replication-health.js";
import { ConsoleRequestError } from "./request-error.js";
import type { SchemaLookup } from "./schema-lookup.js";

/**
 * Log bytes one request reads, over all its partitions (a read may pass it by one batch, as a
 * consumer's fetch returns at least one). A few MiB is hundreds of pages' worth of typical records,
 * and reading and decoding it takes milliseconds, not the tens a longer stall of the event loop
 * would cost every produce and fetch waiting behind it. Kafka UIs read through a consumer whose
 * fetch.max.bytes (50 MiB) is not theirs to pay for; here the broker pays.
 */
export const BROWSE_READ_BYTES_MAX = 4 * 1024 * 1024;
/**
 * Records one request collects before merging partitions by timestamp: each partition is read
 * for at most limit records, and fewer when the topic has so many partitions that limit records
 * of each would pass this (the records sit in memory until the merge keeps `limit` of them).
 */
const BROWSE_RECORDS_COLLECTED_MAX = 10_000;
/**
 * The answer's JSON, as estimated while its records are rendered: past it no more records are
 * added (the answer says so and where to go on). Bounds what maxValueBytes x limit could make.
 */
const BROWSE_ANSWER_BYTES_MAX = 8 * 1024 * 1024;

/** One partition's part of an answer. */
export interface PartitionBrowse {
  partition: number;
  logStartOffset: bigint;
  highWatermark: bigint;
  lastStableOffset: bigint;
  /** Where reading began: the start asked for, resolved (and clamped) in this partition. */
  startOffset: bigint;
  /** Where reading on from the answer would begin: after its last record of this partition. */
  nextOffset: bigint;
  /** Records of this partition in the answer. */
  records: number;
  /** The offset asked for was outside [log start, end] and was moved to the nearer one. */
  clamped: "logStart" | "end" | null;
}

/** A partition whose records this node does not hold: led elsewhere, leaderless, or offline here. */
export interface UnavailablePartition {
  partition: number;
  /** The leader's broker id (-1 when none), so the user can open that broker's console. */
  leader: number;
  message: string;
}

export interface MessagesPage {
  topic: string;
  /** The partition asked for; null: all of them, merged by timestamp. */
  partition: number | null;
  isolation: "read_committed" | "read_uncommitted";
  start: StartPosition;
  limit: number;
  maxValueBytes: number;
  /**
   * One partition: by offset. All: by timestamp (then partition and offset), the `limit` latest
   * (start "latest") or the `limit` first from the start.
   */
  records: RecordView[];
  partitions: PartitionBrowse[];
  unavailable: UnavailablePartition[];
  bytesRead: number;
  /** A budget (bytes read, answer size) ended the answer early: reading on from nextOffset gives more. */
  truncated: boolean;
  /** What the user should know about this answer, in words: clamped offsets, a capped limit, budgets. */
  notes: string[];
}

/** A partition read: its records, where it began, and what the answer says of it. */
interface PartitionPart {
  partition: Partition;
  summary: PartitionBrowse;
  read: PartitionRecordsRead;
}

/**
 * `/api/topics/{name}/messages`: records of one partition from a start, or the latest (or first
 * from a start) of every partition merged by timestamp, read from the logs this node leads.
 * Throws ConsoleRequestError: 404 for an unknown topic or partition, 409/503 for a partition whose
 * records are not here.
 */
export async function browseMessages(
  broker: Broker,
  schemas: SchemaLookup,
  topicName: string,
  query: MessagesQuery,
): Promise<MessagesPage> {
  const topic = broker.image.topic(topicName);
  if (topic === undefined) throw new ConsoleRequestError(404, `Topic '${topicName}' not found`);
  const page: MessagesPage = {
    topic: topic.name,
    partition: query.partition,
    isolation: query.readCommitted ? "read_committed" : "read_uncommitted",
    start: query.start,
    limit: query.limit,
    maxValueBytes: query.maxValueBytes,
    records: [],
    partitions: [],
    unavailable: [],
    bytesRead: 0,
    truncated: false,
    notes: [],
  };
  if (query.requestedLimit !== null)
    page.notes.push(`limit ${query.requestedLimit} is above the most one answer holds: ${query.limit} given`);
  let parts: PartitionPart[];
  if (query.partition !== null) {
    if (query.partition >= topic.partitions.length)
      throw new ConsoleRequestError(
        404,
        `Partition ${query.partition} of topic '${topic.name}' not found: it has ${topic.partitions.length}`,
      );
    parts = [readHere(broker, topic, query.partition, query, query.limit, BROWSE_READ_BYTES_MAX, page.notes)];
  } else {
    parts = await readAllPartitions(broker, topic, query, page);
  }
  const records = merged(parts, query);
  const views = new RecordViews(schemas, topic.name, query.maxValueBytes);
  for (const record of records) {
    if (page.records.length > 0 && views.bytes >= BROWSE_ANSWER_BYTES_MAX) {
      page.truncated = true;
      page.notes.push(
        `the answer reached its size bound (${BROWSE_ANSWER_BYTES_MAX} bytes) after ${page.records.length} records: lower maxValueBytes or read on from nextOffset`,
      );
      break;
    }
    page.records.push(views.view(record));
  }
  const shown = new Set(
    page.records.length === records.length ? records : records.slice(0, page.records.length),
  );
  for (const part of parts) {
    page.bytesRead += part.read.bytesRead;
    page.partitions.push(finishSummary(part, shown));
  }
  // A partition read short of its limit and its end: in a merge, its newest records may be missing.
  if (parts.some((p) => p.read.stop === "bytes")) {
    page.truncated = true;
    page.notes.push(`reading stopped at this request's byte budget (${BROWSE_READ_BYTES_MAX} bytes of log)`);
  }
  return page;
}

/**
 * Every partition of the topic, one after the other with a turn of the event loop between them,
 * sharing the request's byte budget; those not led here are listed as unavailable.
 */
async function readAllPartitions(
  broker: Broker,
  topic: TopicImage,
  query: MessagesQuery,
  page: MessagesPage,
): Promise<PartitionPart[]> {
  const parts: PartitionPart[] = [];
  const count = topic.partitions.length;
  const perPartition = Math.max(1, Math.min(query.limit, Math.floor(BROWSE_RECORDS_COLLECTED_MAX / count)));
  if (perPartition < query.limit)
    page.notes.push(`each of the ${count} partitions was read for at most ${perPartition} records`);
  let bytesLeft = BROWSE_READ_BYTES_MAX;
  const skipped: number[] = [];
  // Per-partition notes (a timestamp past a partition's records) are normal in a merge: only all of them is news.
  const partNotes: string[] = [];
  for (let index = 0; index < count; index++) {
    if (index > 0) await nextTurn();
    if (bytesLeft <= 0) {
      skipped.push(index);
      continue;
    }
    const share = Math.floor(bytesLeft / (count - index));
    let part: PartitionPart;
    try {
      part = readHere(broker, topic, index, query, perPartition, share, partNotes);
    } catch (error) {
      if (!(error instanceof ConsoleRequestError)) throw error;
      page.unavailable.push({
        partition: index,
        leader: Number(error.details.leader ?? -1),
        message: error.message,
      });
      continue;
    }
    bytesLeft -= part.read.bytesRead;
    parts.push(part);
  }
  if (query.start.kind === "timestamp" && parts.length > 0 && partNotes.length === parts.length)
    page.notes.push(`no partition read has a record at or after timestamp ${query.start.timestamp}`);
  if (skipped.length > 0) {
    page.truncated = true;
    page.notes.push(
      `partitions ${skipped.join(", ")} were not read: the request's byte budget (${BROWSE_READ_BYTES_MAX} bytes) was spent`,
    );
  }
  return parts;
}

/**
 * Reads a partition this node leads; for one it does not (or whose log dir failed), throws why
 * its records are not here. Synchronous: the start is resolved against the log it is read from.
 */
function readHere(
  broker: Broker,
  topic: TopicImage,
  index: number,
  query: MessagesQuery,
  limit: number,
  maxBytes: number,
  notes: string[],
): PartitionPart {
  try {
    const partition = broker.replicaManager.leaderOrError(topic.name, index, true);
    return readPart(partition, query, limit, maxBytes, notes);
  } catch (error) {
    if (error instanceof KafkaError && NOT_HERE.has(error.errorCode))
      throw notHere(broker, topic, index, error);
    throw error;
  }
}

/** What the replica manager and the log answer for a partition whose records this node does not serve. */
const NOT_HERE: ReadonlySet<number> = new Set([
  ErrorCode.NOT_LEADER_OR_FOLLOWER,
  ErrorCode.KAFKA_STORAGE_ERROR,
]);

function notHere(broker: Broker, topic: TopicImage, index: number, error: KafkaError): ConsoleRequestError {
  const name = `partition ${index} of topic '${topic.name}'`;
  if (error.errorCode === ErrorCode.KAFKA_STORAGE_ERROR)
    return new ConsoleRequestError(503, `${name} is in a log directory that is offline on this node`, {
      leader: broker.nodeId,
    });
  const image = broker.image;
  const leader = topic.partitions[index]?.leader ?? -1;
  if (leader < 0 || !liveBrokerIds(image).has(leader))
    return new ConsoleRequestError(
      503,
      `${name} has no live leader now: its records cannot be read until one is elected`,
      { leader },
      { "retry-after": "1" },
    );
  if (leader === broker.nodeId)
    return new ConsoleRequestError(
      503,
      `this node is taking over ${name}: retry in a moment`,
      { leader },
      {
        "retry-after": "1",
      },
    );
  const registration = image.brokers.get(leader);
  const address =
    registration === undefined ? [] : kafkaEndPoints(registration).map((e) => `${e.host}:${e.port}`);
  return new ConsoleRequestError(
    409,
    `${name} is led by broker ${leader}${address.length > 0 ? ` (${address.join(", ")})` : ""}, not this node (${broker.nodeId}): only its leader holds all its records, browse it on broker ${leader}'s console`,
    { leader },
  );
}

/** Resolves the start in one partition and reads from it. */
function readPart(
  partition: Partition,
  query: MessagesQuery,
  limit: number,
  maxBytes: number,
  notes: string[],
): PartitionPart {
  const log = partition.log;
  const logStart = log.logStartOffset;
  const end = query.readCommitted ? partition.lastStableOffset : partition.highWatermark;
  const endName = query.readCommitted ? "last stable offset" : "high watermark";
  const name = `partition ${partition.partitionIndex}`;
  let from: bigint;
  let clamped: PartitionBrowse["clamped"] = null;
  const start = query.start;
  switch (start.kind) {
    case "earliest":
      from = logStart;
      break;
    case "latest":
      from = latestStart(partition, end, limit, maxBytes);
      break;
    case "offset":
      from = start.offset;
      if (from < logStart) {
        clamped = "logStart";
        notes.push(`offset ${from} is before ${name}'s log start: reading from ${logStart}`);
        from = logStart;
      } else if (from > end) {
        clamped = "end";
        notes.push(
          `offset ${from} is past ${name}'s end (its ${endName}, ${end}): nothing to read from there`,
        );
        from = end;
      }
      break;
    case "timestamp": {
      // The time index finds the batch; only that batch is read to find the record.
      const found = log.fetchOffsetByTimestamp(start.timestamp);
      if (found === null || found.offset >= end) {
        notes.push(`${name} has no record at or after timestamp ${start.timestamp} below its ${endName}`);
        from = end;
      } else {
        from = found.offset;
      }
      break;
    }
  }
  if (from < logStart) from = logStart;
  const read = readPartitionRecords(partition, { from, limit, readCommitted: query.readCommitted, maxBytes });
  return {
    partition,
    read,
    summary: {
      partition: partition.partitionIndex,
      logStartOffset: logStart,
      highWatermark: partition.highWatermark,
      lastStableOffset: partition.lastStableOffset,
      startOffset: from,
      nextOffset: read.nextOffset,
      records: 0,
      clamped,
    },
  };
}

/**
 * Where the last `limit` records begin: `limit` offsets before the end, or later when the
 * partition's records are large enough that `limit` of them would not fit in the byte budget
 * (judged from the log's average bytes per offset), so that the read still reaches the end.
 */
function latestStart(partition: Partition, end: bigint, limit: number, maxBytes: number): bigint {
  const log = partition.log;
  let window = BigInt(limit);
  const span = log.logEndOffset - log.logStartOffset;
  if (span > 0n && log.sizeBytes > 0) {
    const bytesPerOffset = log.sizeBytes / Number(span);
    const fits = BigInt(Math.max(1, Math.floor(maxBytes / bytesPerOffset)));
    if (fits < window) window = fits;
  }
  // The caller moves a start below the log start up to it.
  return end - window;
}

/** The records of the answer: one partition's as read; several merged by timestamp and cut to the limit. */
function merged(parts: readonly PartitionPart[], query: MessagesQuery): BrowsedRecord[] {
  if (parts.length === 1) return (parts[0] as PartitionPart).read.records;
  const all = parts.flatMap((p) => p.read.records);
  // Timestamps are milliseconds, exact as doubles: numbers compare far faster than bigints.
  all.sort(
    (a, b) =>
      Number(a.timestamp) - Number(b.timestamp) || a.partition - b.partition || compare(a.offset, b.offset),
  );
  return query.start.kind === "latest"
    ? all.slice(Math.max(0, all.length - query.limit))
    : all.slice(0, query.limit);
}

const compare = (a: bigint, b: bigint): number => (a < b ? -1 : a > b ? 1 : 0);

/**
 * The partition's summary once the answer's records are chosen: how many are its, and where to
 * read on. When its last record read is in the answer, on from where its read stopped (past the
 * markers and aborted records after it too); else after its last record shown, or from its start.
 */
function finishSummary(part: PartitionPart, shown: ReadonlySet<BrowsedRecord>): PartitionBrowse {
  const records = part.read.records;
  let count = 0;
  let lastShown: BrowsedRecord | null = null;
  for (const r of records) {
    if (!shown.has(r)) continue;
    count++;
    lastShown = r;
  }
  const last = records[records.length - 1];
  let nextOffset: bigint;
  if (last === undefined || lastShown === last) nextOffset = part.read.nextOffset;
  else nextOffset = lastShown === null ? part.summary.startOffset : lastShown.offset + 1n;
  return { ...part.summary, records: count, nextOffset };
}
