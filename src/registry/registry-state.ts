import { assert } from "../base/index.js";
import type { SchemaLogRecord } from "./log/schema-log-backend.js";
import {
  decodeConfigValue,
  decodeDeleteSubjectValue,
  decodeKey,
  decodeModeValue,
  decodeSchemaValue,
} from "./log/schema-log-records.js";
import { contextOf } from "./qualified-subject.js";
import type { Mode, RegistryConfig, SchemaVersion, StoredSchema } from "./schema-types.js";
import { schemaIdentity } from "./schema-types.js";

/** Ids and schema identities of one context: ids are unique within a context only. */
class ContextIds {
  readonly entries = new Map<number, IdEntry>();
  readonly identities = new Map<string, number>();
  maxId = 0;
}

interface IdEntry {
  schema: StoredSchema;
  /** `subject\0version` of every version record (live or soft-deleted) carrying this id. */
  users: Set<string>;
}

/**
 * The registry's whole state, rebuilt by applying `_schemas` records in offset order. Nothing
 * else changes it, so a restart that replays the log ends where the running registry was.
 * Ids live per context (the context is part of the subject, see qualified-subject.ts).
 * Invariants: an id resolves while at least one version record (live or soft-deleted) of its
 * context uses it; a context's `maxId` never goes down (ids are never reused); `nextOffset` only
 * grows.
 */
export class RegistryState {
  readonly subjects = new Map<string, Map<number, SchemaVersion>>();
  readonly subjectConfigs = new Map<string, RegistryConfig>();
  readonly subjectModes = new Map<string, Mode>();
  globalConfig: RegistryConfig | undefined;
  globalMode: Mode | undefined;
  /** Named contexts with a CONTEXT record (the default context `.` has none). */
  readonly contexts = new Set<string>();
  nextOffset = 0n;
  /** Records that could not be understood; skipped, as Confluent's reader does. */
  skippedRecordCount = 0;
  private readonly idsByContext = new Map<string, ContextIds>();

  apply(record: SchemaLogRecord): void {
    assert(record.offset >= this.nextOffset, "records are applied in offset order");
    this.nextOffset = record.offset + 1n;
    const key = decodeKey(record.key);
    if (!key) {
      this.skippedRecordCount++;
      return;
    }
    switch (key.keytype) {
      case "SCHEMA":
        this.applySchema(key.subject, key.version, record.value);
        return;
      case "CONFIG":
        this.applyConfig(key.subject, record.value);
        return;
      case "MODE":
        this.applyMode(key.subject, record.value);
        return;
      case "DELETE_SUBJECT":
        this.applyDeleteSubject(record.value);
        return;
      case "CONTEXT":
        if (record.value === null) this.contexts.delete(key.context);
        else this.contexts.add(key.context);
        return;
      default:
        return; // NOOP and CLEAR_SUBJECT change nothing this registry keeps.
    }
  }

  schemaById(id: number, context: string): StoredSchema | undefined {
    return this.idsByContext.get(context)?.entries.get(id)?.schema;
  }

  idOf(schema: StoredSchema, context: string): number | undefined {
    return this.idsByContext.get(context)?.identities.get(schemaIdentity(schema));
  }

  /** The highest id the context has seen (0 before its first schema). */
  maxIdOf(context: string): number {
    return this.idsByContext.get(context)?.maxId ?? 0;
  }

  /** Versions (live and soft-deleted) of the context using the id, sorted by subject then version. */
  versionsOfId(id: number, context: string): SchemaVersion[] {
    const entry = this.idsByContext.get(context)?.entries.get(id);
    if (!entry) return [];
    const out: SchemaVersion[] = [];
    for (const user of entry.users) {
      const [subject, version] = user.split("\u0000") as [string, string];
      const found = this.subjects.get(subject)?.get(Number(version));
      if (found) out.push(found);
    }
    return out.sort((a, b) =>
      a.subject < b.subject ? -1 : a.subject > b.subject ? 1 : a.version - b.version,
    );
  }

  private applySchema(subject: string, version: number, value: Buffer | null): void {
    const versions = this.subjects.get(subject);
    const previous = versions?.get(version);
    if (previous) this.releaseId(previous);
    if (value === null) {
      versions?.delete(version);
      if (versions?.size === 0) this.subjects.delete(subject);
      return;
    }
    const decoded = decodeSchemaValue(value);
    if (!decoded || decoded.subject !== subject || decoded.version !== version || decoded.id <= 0) {
      this.skippedRecordCount++;
      if (previous) versions?.delete(version);
      return;
    }
    const entry: SchemaVersion = decoded;
    if (versions) versions.set(version, entry);
    else this.subjects.set(subject, new Map([[version, entry]]));
    this.useId(entry);
  }

  private idsOf(subject: string): ContextIds {
    const context = contextOf(subject);
    let ids = this.idsByContext.get(context);
    if (!ids) {
      ids = new ContextIds();
      this.idsByContext.set(context, ids);
    }
    return ids;
  }

  private useId(version: SchemaVersion): void {
    const ids = this.idsOf(version.subject);
    let entry = ids.entries.get(version.id);
    if (!entry) {
      entry = {
        schema: storedOf(version),
        users: new Set(),
      };
      ids.entries.set(version.id, entry);
      const identity = schemaIdentity(entry.schema);
      if (!ids.identities.has(identity)) ids.identities.set(identity, version.id);
    }
    entry.users.add(`${version.subject}\u0000${version.version}`);
    if (version.id > ids.maxId) ids.maxId = version.id;
  }

  private releaseId(version: SchemaVersion): void {
    const ids = this.idsOf(version.subject);
    const entry = ids.entries.get(version.id);
    if (!entry) return;
    entry.users.delete(`${version.subject}\u0000${version.version}`);
    if (entry.users.size > 0) return;
    ids.entries.delete(version.id);
    const identity = schemaIdentity(entry.schema);
    if (ids.identities.get(identity) === version.id) ids.identities.delete(identity);
  }

  private applyConfig(subject: string | null, value: Buffer | null): void {
    const config = value === null ? undefined : decodeConfigValue(value);
    if (value !== null && !config) this.skippedRecordCount++;
    if (subject === null) this.globalConfig = config;
    else if (config) this.subjectConfigs.set(subject, config);
    else this.subjectConfigs.delete(subject);
  }

  private applyMode(subject: string | null, value: Buffer | null): void {
    const mode = value === null ? undefined : decodeModeValue(value);
    if (value !== null && !mode) this.skippedRecordCount++;
    if (subject === null) this.globalMode = mode;
    else if (mode) this.subjectModes.set(subject, mode);
    else this.subjectModes.delete(subject);
  }

  private applyDeleteSubject(value: Buffer | null): void {
    const decoded = value === null ? undefined : decodeDeleteSubjectValue(value);
    if (!decoded) {
      this.skippedRecordCount++;
      return;
    }
    for (const [version, entry] of this.subjects.get(decoded.subject) ?? []) {
      if (version <= decoded.version) entry.deleted = true;
    }
  }
}

/** The id's schema: a version record without its subject, version and deleted flag. */
function storedOf(version: SchemaVersion): StoredSchema {
  const stored: StoredSchema = {
    schemaType: version.schemaType,
    schema: version.schema,
    references: version.references,
  };
  if (version.metadata !== undefined) stored.metadata = version.metadata;
  if (version.ruleSet !== undefined) stored.ruleSet = version.ruleSet;
  return stored;
}
