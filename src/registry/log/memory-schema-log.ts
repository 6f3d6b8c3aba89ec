import { assert } from "../../base/index.js";
import type { SchemaLogBackend, SchemaLogRecord } from "./schema-log-backend.js";

/** A SchemaLogBackend held in memory: for tests and for a registry that need not survive. */
export class MemorySchemaLog implements SchemaLogBackend {
  private readonly records: SchemaLogRecord[] = [];

  async append(key: Buffer, value: Buffer | null): Promise<bigint> {
    const offset = BigInt(this.records.length);
    this.records.push({ offset, key: Buffer.from(key), value: value === null ? null : Buffer.from(value) });
    return offset;
  }

  async read(fromOffset: bigint, maxRecords: number): Promise<SchemaLogRecord[]> {
    assert(maxRecords > 0, "read needs a positive maxRecords");
    const start = Number(fromOffset < 0n ? 0n : fromOffset);
    return this.records.slice(start, start + maxRecords);
  }

  /** Every record in order: lets tests look at what was written. */
  snapshot(): readonly SchemaLogRecord[] {
    return this.records;
  }
}
