import { assert } from "../base/index.js";
import type { SchemaLogRecord } from "./log/schema-log-backend.js";
import {
  decodeConfigValue,
  decodeDeleteSubjectValue,
  decodeKey,
  decodeModeValue,
  decodeSchemaValue,
} from "./log/schema-log-records.js";
import type { Mode, RegistryConfig, SchemaVersion, StoredSchema } from "./schema-types.js";
import { schemaIdentity } from "./schema-types.js";

interface IdEntry {
  schema: StoredSchema;
  /** `subject\0version` of every version record (live or soft-deleted) carrying this id. */
  users: Set<string>;
}

/**
 * The registry's whole state, rebuilt by applying `_schemas` records in offset order. Nothing
 * else changes it, so a restart that replays the log ends where the running registry was.
 * Invariants: an id resolves while at least one version record (live or soft-deleted) uses it;
 * `maxId` never goes down (ids are never reused); `nextOffset` only grows.
 */
export class RegistryState {
  readonly subjects = new Map<string, Map<number, SchemaVersion>>();
  readonly subjectConfigs = new Map<string, RegistryConfig>();
  readonly subjectModes = new Map<string, Mode>();
  globalConfig: RegistryConfig | undefined;
  globalMode: Mode | undefined;
  maxId = 0;
  nextOffset = 0n;
  /** Records that could not be understood; skipped, as Confluent's reader does. */
  skippedRecordCount = 0;
  private readonly ids = new Map<number, IdEntry>();
  private readonly identities = new Map<string, number>();

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
      default:
        return; // NOOP, CLEAR_SUBJECT and CONTEXT change nothing this registry keeps.
    }
  }

  schemaById(id: number): StoredSchema | undefined {
    return this.ids.get(id)?.schema;
  }

  idOf(schema: StoredSchema): number | undefined {
    return this.identities.get(schemaIdentity(schema));
  }

  allIds(): number[] {
    return [...this.ids.keys()].sort((a, b) => a - b);
  }

  /** Versions (live and soft-deleted) using the id, sorted by subject then version. */
  versionsOfId(id: number): SchemaVersion[] {
    const entry = this.ids.get(id);
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

  private useId(version: SchemaVersion): void {
    let entry = this.ids.get(version.id);
    if (!entry) {
      entry = {
        schema: storedOf(version),
        users: new Set(),
      };
      this.ids.set(version.id, entry);
      const identity = schemaIdentity(entry.schema);
      if (!this.identities.has(identity)) this.identities.set(identity, version.id);
    }
    entry.users.add(`${version.subject}\u0000${version.version}`);
    if (version.id > this.maxId) this.maxId = version.id;
  }

  private releaseId(version: SchemaVersion): void {
    const entry = this.ids.get(version.id);
    if (!entry) return;
    entry.users.delete(`${version.subject}\u0000${version.version}`);
    if (entry.users.size > 0) return;
    this.ids.delete(version.id);
    const identity = schemaIdentity(entry.schema);
    if (this.identities.get(identity) === version.id) this.identities.delete(identity);
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
