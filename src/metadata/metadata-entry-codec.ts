import { decodeRecordBatch, encodeRecordBatch } from "../protocol/index.js";
import { decodeMetadataRecordValue, encodeMetadataRecordValue } from "./metadata-record-codec.js";
import type { MetadataRecord } from "./metadata-records.js";

/**
 * One entry of the metadata log as bytes: a record batch holding Kafka's metadata records, the
 * same bytes `__cluster_metadata-0` holds, so an entry reads the same whichever store kept it.
 */
export function encodeMetadataEntry(
  baseOffset: bigint,
  records: readonly MetadataRecord[],
  epoch: number,
): Buffer {
  return encodeRecordBatch({
    baseOffset,
    partitionLeaderEpoch: epoch,
    records: records.map((r) => ({ key: null, value: encodeMetadataRecordValue(r) })),
  });
}

export function decodeMetadataEntry(bytes: Buffer): { baseOffset: bigint; records: MetadataRecord[] } {
  const batch = decodeRecordBatch(bytes, 0);
  const records: MetadataRecord[] = [];
  // A record this version does not know still takes its offset: it replays as a NoOp.
  for (const record of batch.records) {
    const decoded = record.value === null ? null : decodeMetadataRecordValue(record.value);
    records.push(decoded ?? { type: "NoOp" });
  }
  return { baseOffset: batch.baseOffset, records };
}
