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
 * - `endOffset()` (optional) is the offset after the last record `read` can return now: the
 *   local replica's high watermark on a broker, which may lie past the last record (compaction
 *   gaps). Without it the registry counts only the records it read.
 * - `whenEndOffset(offset, timeoutMs)` (optional) resolves true once `endOffset() >= offset`, or
 *   false after `timeoutMs`: how a follower waits for a write the leader made.
 * - `beforeWrite()` (optional) runs in the registry's write section before a write reads the
 *   state it builds records from: it throws a RegistryError (50004, unknown leader) when this
 *   store takes no writes here now (another node leads `_schemas`, or this one has not yet
 *   replayed what it leads), before anything is written. Without it every write is taken.
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
  endOffset?(): bigint;
  whenEndOffset?(offset: bigint, timeoutMs: number): Promise<boolean>;
  beforeWrite?(): Promise<void>;
}
