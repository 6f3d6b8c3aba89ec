import {
  ControlRecordType,
  decodeControlRecordKey,
  decodeRecordSet,
  type FetchResponsePartitionData,
  type RecordHeader,
  type TimestampType,
} from "../protocol/index.js";

/** One record as the consumer hands it out (Kafka's ConsumerRecord, bytes unparsed). */
export interface ConsumerRecord {
  topic: string;
  partition: number;
  offset: bigint;
  timestamp: bigint;
  timestampType: TimestampType;
  /** The batch's partition leader epoch, -1 when unknown. */
  leaderEpoch: number;
  key: Buffer | null;
  value: Buffer | null;
  headers: RecordHeader[];
}

/**
 * The records of one partition's Fetch answer that a consumer at `fetchOffset` may see, in offset
 * order: none below `fetchOffset` (a batch may start before it), no control records, and under
 * read_committed none of aborted transactions (Kafka's Fetcher: an aborted transaction's batches
 * are skipped from its first offset, as the answer lists it, to its abort marker). Also the offset
 * to fetch next, past skipped batches too, so that a fetch that returns only markers moves on.
 */
export function fetchedRecords(
  topic: string,
  data: FetchResponsePartitionData,
  fetchOffset: bigint,
  readCommitted: boolean,
): { records: ConsumerRecord[]; nextOffset: bigint } {
  const records: ConsumerRecord[] = [];
  let nextOffset = fetchOffset;
  if (data.records === null || data.records.length === 0) return { records, nextOffset };
  const aborted = readCommitted
    ? [...(data.abortedTransactions ?? [])].sort((a, b) =>
        a.firstOffset < b.firstOffset ? -1 : a.firstOffset > b.firstOffset ? 1 : 0,
      )
    : [];
  const abortedProducers = new Set<bigint>();
  for (const batch of decodeRecordSet(data.records)) {
    const lastOffset = batch.baseOffset + BigInt(batch.lastOffsetDelta);
    if (lastOffset < fetchOffset) continue;
    if (lastOffset + 1n > nextOffset) nextOffset = lastOffset + 1n;
    while (aborted.length > 0 && (aborted[0]?.firstOffset ?? 0n) <= lastOffset) {
      abortedProducers.add((aborted.shift() as { producerId: bigint }).producerId);
    }
    if (batch.isControl) {
      const first = batch.records[0];
      if (first !== undefined && decodeControlRecordKey(first.key).type === ControlRecordType.ABORT) {
        abortedProducers.delete(batch.producerId);
      }
      continue;
    }
    if (readCommitted && batch.isTransactional && abortedProducers.has(batch.producerId)) continue;
    for (const r of batch.records) {
      if (r.offset < fetchOffset) continue;
      records.push({
        topic,
        partition: data.partitionIndex,
        offset: r.offset,
        timestamp: r.timestamp,
        timestampType: batch.timestampType,
        leaderEpoch: batch.partitionLeaderEpoch,
        key: r.key,
        value: r.value,
        headers: r.headers,
      });
    }
  }
  return { records, nextOffset };
}
