/**
 * Measurement hooks for the replication benchmark's `--trace` runs, loaded into a Brook process
 * with `node --import <dist>/bench/replication/trace-hooks.js`. They wrap a few methods of the
 * replication path on their prototypes (the broker imports the same module instances, so no
 * Brook code changes) and record, with monotonic timestamps:
 *
 * - leader side: every follower fetch read (`Partition.fetchForFollower`: which follower, its
 *   fetch offset, the bytes returned, the leader's written end), every produce append
 *   (`appendRecordsToLeader`: last offset, bytes), every high-watermark move, and how long each
 *   acks=all wait (`whenCommitted`) took;
 * - follower side: every replica Fetch round trip (`BrokerConnections.request` with purpose
 *   "replica-fetcher": sent, answered, bytes) and each append of fetched records.
 *
 * On SIGUSR2 the process writes what it recorded since the last signal to
 * `$BROOK_TRACE_DIR/trace-<node id>-<seq>.json` and starts over. Only for benchmarks.
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { BrokerConnections } from "../../src/client/index.js";
import { Partition } from "../../src/replication/index.js";

const dir = process.env.BROOK_TRACE_DIR ?? ".";
const nodeId = process.env.BROOK_TRACE_NODE ?? String(process.pid);
const now = () => performance.timeOrigin + performance.now();

export interface TraceData {
  node: string;
  /** [time, replicaId, fetchOffset, bytes, leaderWrittenEnd] */
  leaderReads: [number, number, number, number, number][];
  /** [time, lastOffset, bytes] */
  appends: [number, number, number][];
  /** [time, newHighWatermark] */
  hw: [number, number][];
  /** [time started, ms waited, offset] of acks=all waits that did not resolve at once */
  commitWaits: [number, number, number][];
  /** [time sent, ms to the answer, bytes of records in it] */
  fetches: [number, number, number][];
  /** [time, ms the follower's append took, bytes] */
  followerAppends: [number, number, number][];
  /** Consumer reads (`Partition.readRecords`): [time, fetchOffset, bytes, high watermark] */
  consumerReads: [number, number, number, number][];
}

let data: TraceData = fresh();
let seq = 0;
function fresh(): TraceData {
  return {
    node: nodeId,
    leaderReads: [],
    appends: [],
    hw: [],
    commitWaits: [],
    fetches: [],
    followerAppends: [],
    consumerReads: [],
  };
}

type AnyFn = (...args: unknown[]) => unknown;
const P = Partition.prototype as unknown as Record<string, AnyFn>;

const fetchForFollower = P.fetchForFollower as AnyFn;
P.fetchForFollower = function (this: Partition, ...args: unknown[]) {
  const options = args[0] as { replicaId: number; fetchOffset: bigint };
  const result = fetchForFollower.apply(this, args) as { read?: { sizeBytes: number } };
  data.leaderReads.push([
    now(),
    options.replicaId,
    Number(options.fetchOffset),
    result.read?.sizeBytes ?? -1,
    Number(this.log.writtenEndOffset),
  ]);
  return result;
};

const readRecords = P.readRecords as AnyFn;
P.readRecords = function (this: Partition, ...args: unknown[]) {
  const options = args[0] as { fetchOffset: bigint };
  const result = readRecords.apply(this, args) as { sizeBytes: number };
  data.consumerReads.push([now(), Number(options.fetchOffset), result.sizeBytes, Number(this.highWatermark)]);
  return result;
};

const appendRecordsToLeader = P.appendRecordsToLeader as AnyFn;
P.appendRecordsToLeader = function (this: Partition, ...args: unknown[]) {
  const info = appendRecordsToLeader.apply(this, args) as { lastOffset: bigint };
  data.appends.push([now(), Number(info.lastOffset), (args[0] as Buffer).length]);
  return info;
};

const setHighWatermark = P.setHighWatermark as AnyFn;
P.setHighWatermark = function (this: Partition, ...args: unknown[]) {
  const result = setHighWatermark.apply(this, args);
  if (this.isLeader) data.hw.push([now(), Number(this.highWatermark)]);
  return result;
};

const whenCommitted = P.whenCommitted as AnyFn;
P.whenCommitted = function (this: Partition, ...args: unknown[]) {
  const t0 = now();
  const offset = Number(args[0] as bigint);
  const promise = whenCommitted.apply(this, args) as Promise<void>;
  const record = () => {
    data.commitWaits.push([t0, now() - t0, offset]);
  };
  promise.then(record, record);
  return promise;
};

const appendAsFollower = P.appendAsFollower as AnyFn;
P.appendAsFollower = function (this: Partition, ...args: unknown[]) {
  const t0 = now();
  const result = appendAsFollower.apply(this, args);
  data.followerAppends.push([t0, now() - t0, (args[0] as Buffer).length]);
  return result;
};

const C = BrokerConnections.prototype as unknown as Record<string, AnyFn>;
const request = C.request as AnyFn;
C.request = function (this: BrokerConnections, ...args: unknown[]) {
  const options = args[4] as { purpose?: string } | undefined;
  const promise = request.apply(this, args) as Promise<unknown>;
  if (options?.purpose !== "replica-fetcher") return promise;
  const t0 = now();
  return promise.then((response) => {
    let bytes = 0;
    const r = response as { responses?: { partitions: { records?: Buffer | Buffer[] | null }[] }[] };
    for (const t of r.responses ?? [])
      for (const p of t.partitions) {
        const recs = p.records;
        if (Buffer.isBuffer(recs)) bytes += recs.length;
        else if (Array.isArray(recs)) for (const b of recs) bytes += b.length;
      }
    data.fetches.push([t0, now() - t0, bytes]);
    return response;
  });
};

process.on("SIGUSR2", () => {
  const file = join(dir, `trace-${nodeId}-${seq++}.json`);
  writeFileSync(file, JSON.stringify(data));
  data = fresh();
});
