import { closeSync, fsyncSync, ftruncateSync, openSync, readFileSync, writeSync } from "node:fs";
import { assert, BrookError } from "../../base/index.js";
import type { SchemaLogBackend, SchemaLogRecord } from "./schema-log-backend.js";

/** One record frame: keyBytes u32, valueBytes i32 (-1 = tombstone), then key and value bytes. */
const FRAME_HEADER_BYTES = 8;
/** A record larger than this is refused: the registry's request limit is far below it. */
export const FILE_SCHEMA_LOG_RECORD_BYTES_MAX = 16 * 1024 * 1024;

/**
 * A SchemaLogBackend in one append-only file, for tests and standalone use without a broker.
 * Offsets are record positions (0, 1, ...). Each append is written and fsynced before its
 * offset is returned. On open, a torn final frame (a crash mid-write) is cut off. The whole log
 * is kept in memory as well: `_schemas` is small by nature.
 */
export class FileSchemaLog implements SchemaLogBackend {
  private readonly fd: number;
  private readonly records: SchemaLogRecord[] = [];
  private closed = false;
  readonly path: string;

  constructor(path: string) {
    this.path = path;
    this.fd = openSync(path, "a+");
    const bytes = readFileSync(path);
    let position = 0;
    while (position + FRAME_HEADER_BYTES <= bytes.length) {
      const keyBytes = bytes.readUInt32BE(position);
      const valueBytes = bytes.readInt32BE(position + 4);
      const end = position + FRAME_HEADER_BYTES + keyBytes + Math.max(valueBytes, 0);
      if (end > bytes.length) break;
      const keyStart = position + FRAME_HEADER_BYTES;
      const key = Buffer.from(bytes.subarray(keyStart, keyStart + keyBytes));
      const value = valueBytes < 0 ? null : Buffer.from(bytes.subarray(keyStart + keyBytes, end));
      this.records.push({ offset: BigInt(this.records.length), key, value });
      position = end;
    }
    if (position < bytes.length) ftruncateSync(this.fd, position);
  }

  async append(key: Buffer, value: Buffer | null): Promise<bigint> {
    if (this.closed)
      throw new BrookError("BRK_ERR_REGISTRY_STORE_CLOSED", `schema log ${this.path} is closed`);
    const size = key.length + (value?.length ?? 0);
    if (size > FILE_SCHEMA_LOG_RECORD_BYTES_MAX) {
      throw new BrookError("BRK_ERR_REGISTRY_RECORD_TOO_LARGE", `record of ${size} bytes is too large`);
    }
    const header = Buffer.alloc(FRAME_HEADER_BYTES);
    header.writeUInt32BE(key.length, 0);
    header.writeInt32BE(value === null ? -1 : value.length, 4);
    writeSync(this.fd, Buffer.concat(value === null ? [header, key] : [header, key, value]));
    fsyncSync(this.fd);
    const offset = BigInt(this.records.length);
    this.records.push({ offset, key: Buffer.from(key), value: value === null ? null : Buffer.from(value) });
    return offset;
  }

  async read(fromOffset: bigint, maxRecords: number): Promise<SchemaLogRecord[]> {
    assert(maxRecords > 0, "read needs a positive maxRecords");
    const start = Number(fromOffset < 0n ? 0n : fromOffset);
    return this.records.slice(start, start + maxRecords);
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    closeSync(this.fd);
  }
}
