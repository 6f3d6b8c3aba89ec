import {
  ControlRecordType,
  DECOMPRESSED_BYTES_MAX_DEFAULT,
  decodeBatch,
  decodeControlRecordKey,
  decodeRecordBatchHeader,
  iterateBatches,
  iterateRecords,
  type Record,
  type RecordBatchHeader,
  type RecordHeader,
  type TimestampType,
} from "../protocol/index.js";
import { IsolationLevel, type Partition } from "../replication/index.js";

/** One record as the browser shows it, its bytes still views on what the log read returned. */
export interface BrowsedRecord {
  partition: number;
  offset: bigint;
  timestamp: bigint;
  timestampType: TimestampType;
  /** Written inside a transaction. */
  transactional: boolean;
  /** read_uncommitted only: its transaction was aborted (read_committed never returns these). */
  aborted: boolean;
  key: Buffer | null;
  value: Buffer | null;
  headers: RecordHeader[];
}

/** Why a partition's read ended: enough records, nothing more below the bound, the byte budget. */
export type ReadStop = "limit" | "end" | "bytes";

export interface PartitionRecordsRead {
  records: BrowsedRecord[];
  /** Where a next page starts: after the last record kept, or after all that was read. */
  nextOffset: bigint;
  bytesRead: number;
  stop: ReadStop;
}

export interface PartitionRecordsOptions {
  from: bigint;
  limit: number;
  readCommitted: boolean;
  /**
   * Log bytes to read at most; the first batch is read whatever its size, as a consumer's fetch
   * reads it (a batch is at most the topic's max.message.bytes).
   */
  maxBytes: number;
}

/**
 * Reads records of one partition this node leads through the partition's own read path, as a
 * consumer's Fetch does (`Partition.readRecords`: the leader check, the high watermark or, with
 * read_committed, the last stable offset as the bound; whole batches from the tail cache or one
 * read of a segment), then walks the batches one record at a time so that only the records kept
 * are held. Transaction markers are skipped, and so, with read_committed, are aborted
 * transactions' records, found as Kafka's consumer finds them: the aborted transactions the log
 * lists for the range read, each from its first offset up to its producer's abort marker.
 * Several reads follow each other (a read returns batches of one segment) until the limit, the
 * bound or a budget ends it. Throws the partition's KafkaError when this node does not lead it.
 */
export function readPartitionRecords(
  partition: Partition,
  options: PartitionRecordsOptions,
): PartitionRecordsRead {
  const isolationLevel = options.readCommitted
    ? IsolationLevel.readCommitted
    : IsolationLevel.readUncommitted;
  const out: PartitionRecordsRead = {
    records: [],
    nextOffset: options.from,
    bytesRead: 0,
    stop: "end",
  };
  const bound = options.readCommitted ? partition.lastStableOffset : partition.highWatermark;
  let chunk = firstReadBytes(partition, options.limit);
  while (out.records.length < options.limit) {
    if (out.nextOffset >= bound) return out;
    if (out.bytesRead >= options.maxBytes) return { ...out, stop: "bytes" };
    const read = partition.readRecords({
      fetchOffset: out.nextOffset,
      maxBytes: Math.min(chunk, options.maxBytes - out.bytesRead),
      isolationLevel,
      minOneMessage: true,
      currentLeaderEpoch: -1,
    });
    if (read.sizeBytes === 0) return out;
    out.bytesRead += read.sizeBytes;
    // Each read is judged on its own, as each Fetch answer is by a consumer.
    const aborted = [...partition.log.abortedTransactions(out.nextOffset, read.nextOffset)].sort((a, b) =>
      a.firstOffset < b.firstOffset ? -1 : a.firstOffset > b.firstOffset ? 1 : 0,
    );
    const walk = new BatchWalk(partition.partitionIndex, out, options, aborted);
    for (const buf of read.records) if (!walk.records(buf)) return { ...out, stop: "limit" };
    if (read.nextOffset > out.nextOffset) out.nextOffset = read.nextOffset;
    chunk *= 2;
  }
  return { ...out, stop: "limit" };
}

/** The smallest first read: a few small batches; reads after it double. */
const FIRST_READ_BYTES_MIN = 64 * 1024;

/**
 * How much to read first: what `limit` records take on average in this log, twice over for
 * markers and records larger than the average. A read takes that many bytes from the segment
 * file whatever it returns, so asking for the whole budget to show a page of small records would
 * read megabytes for kilobytes.
 */
function firstReadBytes(partition: Partition, limit: number): number {
  const log = partition.log;
  const span = Number(log.logEndOffset - log.logStartOffset);
  const perOffset = span > 0 ? log.sizeBytes / span : 0;
  return Math.max(FIRST_READ_BYTES_MIN, Math.ceil(2 * limit * perOffset));
}

/** The batches of one read, with the state of aborted transactions they share. */
class BatchWalk {
  private readonly abortedProducers = new Set<bigint>();
  private readonly partitionIndex: number;
  private readonly out: PartitionRecordsRead;
  private readonly options: PartitionRecordsOptions;
  private readonly aborted: { producerId: bigint; firstOffset: bigint }[];

  constructor(
    partitionIndex: number,
    out: PartitionRecordsRead,
    options: PartitionRecordsOptions,
    aborted: { producerId: bigint; firstOffset: bigint }[],
  ) {
    this.partitionIndex = partitionIndex;
    this.out = out;
    this.options = options;
    this.aborted = aborted;
  }

  /** Walks the batches in `buf`; false once the limit is reached. */
  records(buf: Buffer): boolean {
    for (const { at, magic } of iterateBatches(buf)) {
      const batch = magic === 2 ? decodeRecordBatchHeader(buf, at) : null;
      const legacy =
        batch === null
          ? decodeBatch(buf, at, { decompressedBytesMax: DECOMPRESSED_BYTES_MAX_DEFAULT })
          : null;
      const header: RecordBatchHeader = (batch ?? legacy) as RecordBatchHeader;
      const lastOffset = header.baseOffset + BigInt(header.lastOffsetDelta);
      if (lastOffset < this.out.nextOffset) continue;
      while (this.aborted.length > 0 && (this.aborted[0]?.firstOffset ?? 0n) <= lastOffset)
        this.abortedProducers.add((this.aborted.shift() as { producerId: bigint }).producerId);
      const records: Iterable<Record> =
        legacy?.records ?? iterateRecords(buf, at, { decompressedBytesMax: DECOMPRESSED_BYTES_MAX_DEFAULT });
      if (header.isControl) {
        for (const marker of records) {
          if (decodeControlRecordKey(marker.key).type === ControlRecordType.ABORT)
            this.abortedProducers.delete(header.producerId);
          break;
        }
        this.out.nextOffset = lastOffset + 1n;
        continue;
      }
      const aborted = header.isTransactional && this.abortedProducers.has(header.producerId);
      if (aborted && this.options.readCommitted) {
        this.out.nextOffset = lastOffset + 1n;
        continue;
      }
      for (const r of records) {
        // Only the batch holding the start offset has records before it: one batch's decoding.
        if (r.offset < this.out.nextOffset) continue;
        this.out.records.push({
          partition: this.partitionIndex,
          offset: r.offset,
          timestamp: r.timestamp,
          timestampType: header.timestampType,
          transactional: header.isTransactional,
          aborted,
          key: r.key,
          value: r.value,
          headers: r.headers,
        });
        this.out.nextOffset = r.offset + 1n;
        if (this.out.records.length >= this.options.limit) return false;
      }
      this.out.nextOffset = lastOffset + 1n;
    }
    return true;
  }
}
