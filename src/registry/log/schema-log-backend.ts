/**
 * The storage the registry needs from the broker: one ordered, durable log of key/value records
 * (the single partition of the compacted `_schemas` topic). Keys and values are the UTF-8 JSON
 * bytes Confluent's registry writes; a null value is a tombstone.
 *
 * Contract:
 * - `append` resolves with the record's offset once the record is durable (for the broker: once
 *   the high watermark has passed it), and rejects if it cannot be stored. Offsets increase.
 * - `read(fromOffset, maxRecords)` returns up to `maxRecords` records with offset >= fromOffset,
 *   in offset order, and an empty array at the end of the log. Compaction may have removed
 *   records, so offsets may have gaps. Records written by another writer show up here too.
 * The registry is the only interpreter of the bytes; the backend never parses them.
 */
export interface SchemaLogRecord {
  offset: bigint;
  key: Buffer;
  value: Buffer | null;
}

export interface SchemaLogBackend {
  append(key: Buffer, value: Buffer | null): Promise<bigint>;
  read(fromOffset: bigint, maxRecords: number): Promise<SchemaLogRecord[]>;
}
