import { assert } from "../base/index.js";
import { checkCompatibility, type PriorVersion } from "./compatibility.js";
import {
  type Metadata,
  mergeMetadata,
  mergeRuleSets,
  metadataMatches,
  parseMetadata,
  parseRuleSet,
  type RuleSet,
  withConfluentVersion,
  withoutConfluentVersion,
} from "./data-contract.js";
import { formatOf } from "./formats/formats.js";
import { ProtobufSchema } from "./formats/protobuf/protobuf-format.js";
import type { CompatibilityPolicy, ParsedSchema, ResolvedReference } from "./formats/schema-format.js";
import type { SchemaLogBackend } from "./log/schema-log-backend.js";
import {
  encodeConfigValue,
  encodeContextValue,
  encodeDeleteSubjectValue,
  encodeKey,
  encodeModeValue,
  encodeSchemaValue,
  type SchemaLogKey,
} from "./log/schema-log-records.js";
import {
  CONTEXT_WILDCARD,
  contextOf,
  DEFAULT_CONTEXT,
  GLOBAL_CONTEXT,
  isContextName,
  matchesSubjectPrefix,
  parseQualifiedSubject,
  qualify,
  qualifyReference,
} from "./qualified-subject.js";
import { RegistryError, registryErrors } from "./registry-error.js";
import { RegistryState } from "./registry-state.js";
import type {
  CompatibilityLevel,
  Mode,
  RegistryConfig,
  SchemaReference,
  SchemaVersion,
  StoredSchema,
} from "./schema-types.js";
import { schemaIdentity } from "./schema-types.js";
import { type VersionSpec, validateSubject } from "./version-spec.js";

/** Confluent's tenant of a single-tenant registry, written in CONTEXT records. */
const CONTEXT_TENANT = "default";
/** Records read from the backend per call while catching up. */
const CATCH_UP_BATCH_RECORDS = 1000;
/** References nest; a cycle or an absurd chain is refused past this depth. */
export const REFERENCE_DEPTH_MAX = 32;
/** Parsed schemas kept to avoid re-parsing registered versions on every check. */
const PARSED_SCHEMA_CACHE_ENTRIES_MAX = 1000;

export interface SchemaRegistryOptions {
  backend: SchemaLogBackend;
  /** `schema.compatibility.level`: the level when neither subject nor global config sets one. */
  defaultCompatibility?: CompatibilityLevel;
  /** `mode.mutability`: when false every mode change is refused with 42205. */
  modeMutability?: boolean;
}

/** What a register, lookup or check request carries. */
export interface SchemaRequest {
  schema: string;
  schemaType: string;
  references: SchemaReference[];
  metadata?: Metadata;
  ruleSet?: RuleSet;
  id?: number;
  version?: number;
}

type LogWrite = { key: SchemaLogKey; value: Buffer | null };

/**
 * The registry's operations, independent of HTTP. State lives in a RegistryState that only log
 * records change: a write builds its records from the current state, appends them to the
 * backend, then replays the backend up to its end before answering, so a response never runs
 * ahead of the log. Writes are serialized (one at a time) and each first asks the backend whether
 * it takes writes here (`beforeWrite`) and replays the log to its end, so ids and versions are
 * assigned from a state that includes every committed write, whoever wrote it.
 *
 * Replays (`catchUp`) run one at a time: a call that arrives while one runs starts another once
 * it ends, so it always sees what the log held when it was called.
 */
export class SchemaRegistry {
  readonly defaultCompatibility: CompatibilityLevel;
  readonly modeMutability: boolean;
  private readonly backend: SchemaLogBackend;
  private readonly state = new RegistryState();
  private readonly parsedCache = new Map<string, ParsedSchema>();
  private writeChain: Promise<unknown> = Promise.resolve();
  /** The replay running now, and the one queued behind it. */
  private replaying: Promise<void> | null = null;
  private replayQueued: Promise<void> | null = null;
  /** Every record below this offset has been applied (gaps included). */
  private replayed = 0n;

  private constructor(options: SchemaRegistryOptions) {
    this.backend = options.backend;
    this.defaultCompatibility = options.defaultCompatibility ?? "BACKWARD";
    this.modeMutability = options.modeMutability ?? true;
  }

  /** Opens a registry over a backend, rebuilding its state by replaying the whole log. */
  static async open(options: SchemaRegistryOptions): Promise<SchemaRegistry> {
    const registry = new SchemaRegistry(options);
    await registry.catchUp();
    return registry;
  }

  /** Applies every record the backend holds past what was applied already. */
  catchUp(): Promise<void> {
    if (this.replaying === null) {
      this.replaying = this.replay().finally(() => {
        this.replaying = null;
      });
      return this.replaying;
    }
    // A replay is running and may have read the end already: run one more after it.
    this.replayQueued ??= this.replaying
      .catch(() => undefined)
      .then(() => {
        this.replayQueued = null;
        return this.catchUp();
      });
    return this.replayQueued;
  }

  /** The offset below which the log has been replayed into the state. */
  get replayedOffset(): bigint {
    return this.replayed;
  }

  /**
   * Replays until the log below `offset` has been applied, waiting up to `timeoutMs` for the
   * backend's end to get there (a follower's replica catching up with a write its leader made).
   * Resolves false when it did not.
   */
  async whenReplayed(offset: bigint, timeoutMs: number): Promise<boolean> {
    await this.catchUp();
    if (this.replayedOffset >= offset) return true;
    if (this.backend.whenEndOffset === undefined) return false;
    await this.backend.whenEndOffset(offset, timeoutMs);
    await this.catchUp();
    return this.replayedOffset >= offset;
  }

  private async replay(): Promise<void> {
    // Taken before reading: everything below it is read by the time read() answers empty.
    const end = this.backend.endOffset?.() ?? 0n;
    for (;;) {
      let records: Awaited<ReturnType<SchemaLogBackend["read"]>>;
      try {
        records = await this.backend.read(this.state.nextOffset, CATCH_UP_BATCH_RECORDS);
      } catch (error) {
        throw registryErrors.storeError(`Error while reading the schemas log: ${(error as Error).message}`, {
          cause: error,
        });
      }
      if (records.length === 0) break;
      for (const record of records) this.state.apply(record);
    }
    // Past the last record applied, and past compaction's gaps below the end.
    if (this.state.nextOffset > this.replayed) this.replayed = this.state.nextOffset;
    if (end > this.replayed) this.replayed = end;
  }

  get skippedRecordCount(): number {
    return this.state.skippedRecordCount;
  }

  /** The highest id of the default context. */
  get maxId(): number {
    return this.state.maxIdOf(DEFAULT_CONTEXT);
  }

  maxIdOf(context: string): number {
    return this.state.maxIdOf(context);
  }

  // ---------------------------------------------------------------- reads

  /**
   * Subjects in name order: with a live version, or (deleted) any version, or (deletedOnly) none
   * live. `prefix` is Confluent's `subjectPrefix` (see matchesSubjectPrefix); default every context.
   */
  listSubjects(options: { deleted?: boolean; deletedOnly?: boolean; prefix?: string } = {}): string[] {
    const prefix = options.prefix ?? CONTEXT_WILDCARD;
    const out: string[] = [];
    for (const [subject, versions] of this.state.subjects) {
      if (!matchesSubjectPrefix(subject, prefix)) continue;
      const live = [...versions.values()].some((v) => !v.deleted);
      if (options.deletedOnly ? !live : live || options.deleted) out.push(subject);
    }
    return out.sort(compareText);
  }

  /** Version records of a subject in ascending order, live only unless asked. */
  versionsOf(subject: string, includeDeleted = false): SchemaVersion[] {
    const versions = [...(this.state.subjects.get(subject)?.values() ?? [])];
    return versions.filter((v) => includeDeleted || !v.deleted).sort((a, b) => a.version - b.version);
  }

  /** The versions a `GET /subjects/{s}/versions` lists; 40401 when there are none to list. */
  listVersions(subject: string, options: { deleted?: boolean; deletedOnly?: boolean } = {}): SchemaVersion[] {
    const all = this.versionsOf(subject, true);
    const live = all.filter((v) => !v.deleted);
    if (all.length === 0 || (live.length === 0 && !options.deleted && !options.deletedOnly)) {
      throw registryErrors.subjectNotFound(subject);
    }
    if (options.deletedOnly) return all.filter((v) => v.deleted);
    return options.deleted ? all : live;
  }

  /** One version; soft-deleted ones only with `includeDeleted`. */
  getVersion(subject: string, spec: VersionSpec, includeDeleted = false): SchemaVersion {
    const all = this.versionsOf(subject, true);
    const visible = all.filter((v) => includeDeleted || !v.deleted);
    if (visible.length === 0) throw registryErrors.subjectNotFound(subject);
    const found = spec === "latest" ? visible.at(-1) : visible.find((v) => v.version === spec);
    if (!found) throw registryErrors.versionNotFound(spec);
    return found;
  }

  /**
   * `GET /schemas/ids/{id}[?subject=]`: the id in the context `subject` names (the default one
   * without it), and that context. An unqualified subject that does not use the id is tried in
   * every named context before falling back to the default context (Confluent's
   * `getSchemaKeyUsingContexts`); a qualified one that does not use it finds nothing.
   */
  schemaById(id: number, subject: string | null = null): StoredSchema & { context: string } {
    const context = this.contextOfId(id, subject);
    const schema = context === undefined ? undefined : this.state.schemaById(id, context);
    if (!schema || context === undefined) throw registryErrors.schemaNotFound(`Schema ${id} not found`);
    return { ...schema, context };
  }

  private contextOfId(id: number, subject: string | null): string | undefined {
    const uses = (context: string, name: string) =>
      this.state.versionsOfId(id, context).some((v) => v.subject === name);
    if (subject === null) return DEFAULT_CONTEXT;
    const parsed = parseQualifiedSubject(subject);
    if (parsed.subject === "") return parsed.context;
    if (uses(parsed.context, subject) || parsed.context !== DEFAULT_CONTEXT) {
      return uses(parsed.context, subject) ? parsed.context : undefined;
    }
    for (const context of [...this.state.contexts].sort(compareText)) {
      if (uses(context, qualify(context, parsed.subject))) return context;
    }
    return DEFAULT_CONTEXT;
  }

  /**
   * Subject/version pairs of the id's context using it (the context chosen as by schemaById);
   * soft-deleted ones with `includeDeleted`.
   */
  versionsOfId(id: number, includeDeleted = false, subject: string | null = null): SchemaVersion[] {
    const { context } = this.schemaById(id, subject);
    return this.state.versionsOfId(id, context).filter((v) => includeDeleted || !v.deleted);
  }

  /**
   * The schema of `id` (in the default context, as Confluent's deserializers look it up) parsed
   * with its references resolved, for reading values framed with it; cached with the registry's
   * parsed schemas. SCHEMA_NOT_FOUND (40403) for an id the registry does not know.
   */
  parsedById(id: number): ParsedSchema {
    const schema = this.schemaById(id);
    // References resolve from a subject of the id's context; any version record using it will do.
    const user = this.state.versionsOfId(id, schema.context)[0];
    return this.parseStored(schema, user?.subject ?? qualify(schema.context, ""));
  }

  /** Version records of the subjects `prefix` selects (every context by default), for `GET /schemas`. */
  allVersions(includeDeleted = false, prefix = CONTEXT_WILDCARD): SchemaVersion[] {
    return this.listSubjects({ deleted: true, prefix }).flatMap((s) => this.versionsOf(s, includeDeleted));
  }

  /** Subjects with a live version in a context (every context for `.__GLOBAL`). */
  private liveSubjectsIn(context: string): string[] {
    if (context === GLOBAL_CONTEXT) return this.listSubjects();
    return this.listSubjects().filter((s) => contextOf(s) === context);
  }

  /**
   * The schema text in the `format` a read asks for: `serialized` turns Protobuf into its base64
   * FileDescriptorProto (what Confluent's clients fetch); otherwise the stored text. `subject`
   * (or a context's `:.ctx:`) is where the schema's references resolve.
   */
  schemaText(schema: StoredSchema, subject: string, format: string | null): string {
    if (format !== "serialized" || schema.schemaType !== "PROTOBUF") return schema.schema;
    const parsed = this.parseStored(schema, subject);
    return parsed instanceof ProtobufSchema ? parsed.serialized() : schema.schema;
  }

  /** `GET /contexts`: the default context, then the named ones in name order. */
  listContexts(): string[] {
    return [DEFAULT_CONTEXT, ...[...this.state.contexts].sort(compareText)];
  }

  /** `DELETE /contexts/{ctx}`: removes an empty context's record; 42211 while it has subjects. */
  deleteContext(context: string): Promise<void> {
    return this.exclusive(async () => {
      const subjects = this.listSubjects({ deleted: true }).filter((s) => contextOf(s) === context);
      if (subjects.length > 0) {
        throw registryErrors.contextNotEmpty(qualify(context, ""));
      }
      if (!this.state.contexts.has(context)) return;
      await this.write([{ key: { keytype: "CONTEXT", tenant: CONTEXT_TENANT, context }, value: null }]);
    });
  }

  /** Ids of schemas whose references point at subject/version. */
  referencedBy(subject: string, spec: VersionSpec, includeDeleted = false): number[] {
    const target = this.getVersion(subject, spec, includeDeleted);
    return this.referrers(target, includeDeleted)
      .map((v) => v.id)
      .filter((id, i, ids) => ids.indexOf(id) === i)
      .sort((a, b) => a - b);
  }

  private referrers(target: SchemaVersion, includeDeleted: boolean): SchemaVersion[] {
    return this.allVersions(includeDeleted).filter((v) =>
      v.references.some(
        (r) => qualifyReference(v.subject, r.subject) === target.subject && r.version === target.version,
      ),
    );
  }

  /** `POST /subjects/{s}`: the version of this subject holding the given schema. */
  lookup(
    subject: string,
    request: SchemaRequest,
    options: { normalize?: boolean; deleted?: boolean },
  ): SchemaVersion {
    const candidates = this.versionsOf(subject, options.deleted === true);
    if (candidates.length === 0) throw registryErrors.subjectNotFound(subject);
    const parsed = this.parseRequest(request, subject);
    // A probe without a data contract finds the schema whatever contract it was registered with.
    const contractless = request.metadata === undefined && request.ruleSet === undefined;
    const identities = this.identitiesOf(request, parsed, this.normalizeFor(subject, options.normalize));
    const found = candidates.findLast((v) =>
      identities.has(schemaIdentity(contractless ? { ...v, metadata: undefined, ruleSet: undefined } : v)),
    );
    if (!found) throw registryErrors.schemaNotFound();
    return found;
  }

  /**
   * `GET /subjects/{s}/metadata`: the latest version whose metadata properties hold every pair;
   * 40401 when the subject has no version to look in, 40403 when none matches.
   */
  latestWithMetadata(
    subject: string,
    pairs: ReadonlyMap<string, string>,
    includeDeleted = false,
  ): SchemaVersion {
    const candidates = this.versionsOf(subject, includeDeleted);
    if (candidates.length === 0) throw registryErrors.subjectNotFound(subject);
    const found = candidates.findLast((v) => metadataMatches(v.metadata, pairs));
    if (!found) throw registryErrors.schemaNotFound();
    return found;
  }

  // ---------------------------------------------------------------- config and mode

  globalConfig(): RegistryConfig {
    return { compatibilityLevel: this.defaultCompatibility, ...this.state.globalConfig };
  }

  /**
   * The subject's own config; with `defaultToGlobal`, the one above it when it has none (its
   * context's, the global one in the default context, then `:.__GLOBAL:`'s, then the default).
   */
  subjectConfig(subject: string, defaultToGlobal = false): RegistryConfig {
    const own = this.state.subjectConfigs.get(subject);
    if (own) return own;
    if (defaultToGlobal) {
      const [, scope, everywhere] = this.configChain(subject);
      return { compatibilityLevel: this.defaultCompatibility, ...(scope ?? everywhere) };
    }
    throw registryErrors.subjectConfigNotFound(subject);
  }

  /**
   * Configs that apply to a subject, nearest first (Confluent's `config(subject, true, ...)`):
   * its own; its context's (`:.ctx:`), or the global one for the default context; then the
   * config of `:.__GLOBAL:`, which covers every context.
   */
  private configChain(subject: string): (RegistryConfig | undefined)[] {
    const context = contextOf(subject);
    const scope =
      context === DEFAULT_CONTEXT
        ? this.state.globalConfig
        : this.state.subjectConfigs.get(qualify(context, ""));
    return [
      this.state.subjectConfigs.get(subject),
      scope,
      this.state.subjectConfigs.get(qualify(GLOBAL_CONTEXT, "")),
    ];
  }

  compatibilityOf(subject: string): CompatibilityLevel {
    const found = this.configChain(subject).find((c) => c?.compatibilityLevel !== undefined);
    return found?.compatibilityLevel ?? this.defaultCompatibility;
  }

  globalMode(): Mode {
    return this.state.globalMode ?? "READWRITE";
  }

  subjectMode(subject: string, defaultToGlobal = false): Mode {
    const own = this.state.subjectModes.get(subject);
    if (own) return own;
    if (defaultToGlobal)
      return (
        this.modeChain(subject)
          .slice(1)
          .find((m) => m !== undefined) ?? "READWRITE"
      );
    throw registryErrors.subjectModeNotFound(subject);
  }

  /** Modes that apply to a subject, nearest first, as configChain. */
  private modeChain(subject: string): (Mode | undefined)[] {
    const context = contextOf(subject);
    const scope =
      context === DEFAULT_CONTEXT ? this.state.globalMode : this.state.subjectModes.get(qualify(context, ""));
    return [
      this.state.subjectModes.get(subject),
      scope,
      this.state.subjectModes.get(qualify(GLOBAL_CONTEXT, "")),
    ];
  }

  /** The mode in force for a subject: READONLY_OVERRIDE globally beats any subject mode. */
  effectiveMode(subject: string | null): Mode {
    const global = this.globalMode();
    if (subject === null || global === "READONLY_OVERRIDE") return global;
    return this.modeChain(subject).find((m) => m !== undefined) ?? "READWRITE";
  }

  setConfig(subject: string | null, update: RegistryConfig): Promise<RegistryConfig> {
    if (subject !== null) validateSubject(subject, true);
    return this.exclusive(async () => {
      this.assertWritable(subject);
      const previous = subject === null ? this.state.globalConfig : this.state.subjectConfigs.get(subject);
      const merged: RegistryConfig = { ...previous, ...update };
      if (previous?.extra || update.extra) merged.extra = { ...previous?.extra, ...update.extra };
      await this.write([{ key: { keytype: "CONFIG", subject }, value: encodeConfigValue(subject, merged) }]);
      return merged;
    });
  }

  /** Removes a config; answers the previous one (the server default for the global config). */
  deleteConfig(subject: string | null): Promise<RegistryConfig> {
    return this.exclusive(async () => {
      this.assertWritable(subject);
      if (subject === null) {
        const previous = this.globalConfig();
        if (this.state.globalConfig) await this.write([{ key: { keytype: "CONFIG", subject }, value: null }]);
        return previous;
      }
      const previous = this.state.subjectConfigs.get(subject);
      if (!previous) throw registryErrors.subjectNotFound(subject);
      await this.write([{ key: { keytype: "CONFIG", subject }, value: null }]);
      return previous;
    });
  }

  setMode(subject: string | null, mode: Mode, force = false): Promise<Mode> {
    if (subject !== null) validateSubject(subject, true);
    return this.exclusive(async () => {
      if (!this.modeMutability) throw registryErrors.operationNotPermitted("Mode changes are not allowed");
      if (mode === "FORWARD" && subject !== null) throw registryErrors.invalidMode(mode);
      if (mode === "IMPORT" && !force && this.effectiveMode(subject) !== "IMPORT") {
        const live =
          subject === null
            ? this.listSubjects().length > 0
            : isContextName(subject)
              ? this.liveSubjectsIn(contextOf(subject)).length > 0
              : this.versionsOf(subject).length > 0;
        if (live) {
          throw registryErrors.operationNotPermitted(
            "Cannot import since found existing subjects" +
              (subject === null ? "" : ` for subject ${subject}`),
          );
        }
      }
      await this.write([{ key: { keytype: "MODE", subject }, value: encodeModeValue(subject, mode) }]);
      return mode;
    });
  }

  deleteMode(subject: string | null): Promise<Mode> {
    return this.exclusive(async () => {
      if (!this.modeMutability) throw registryErrors.operationNotPermitted("Mode changes are not allowed");
      const previous = subject === null ? this.globalMode() : this.state.subjectModes.get(subject);
      if (previous === undefined) throw registryErrors.subjectNotFound(subject ?? "");
      const present = subject === null ? this.state.globalMode !== undefined : true;
      if (present) await this.write([{ key: { keytype: "MODE", subject }, value: null }]);
      return previous;
    });
  }

  // ---------------------------------------------------------------- register

  /** `POST /subjects/{s}/versions`: the registered (or already present) version. */
  register(
    subject: string,
    request: SchemaRequest,
    options: { normalize?: boolean; force?: boolean } = {},
  ): Promise<SchemaVersion> {
    validateSubject(subject);
    return this.exclusive(async () => {
      const mode = this.effectiveMode(subject);
      this.assertWritable(subject);
      const importing = mode === "IMPORT";
      const parsed = this.parseRequest(request, subject);
      const normalize = this.normalizeFor(subject, options.normalize);
      const contract = importing ? request : this.contractFor(subject, request);
      const stored: StoredSchema = {
        schemaType: parsed.schemaType,
        schema: normalize ? parsed.normalized() : parsed.canonical,
        references: request.references,
      };
      if (contract.metadata !== undefined) stored.metadata = contract.metadata;
      if (contract.ruleSet !== undefined) stored.ruleSet = contract.ruleSet;
      const existing = this.existingVersion(subject, stored, parsed, normalize);
      if (existing && (!importing || request.id === undefined || request.id === existing.id)) return existing;
      if (!importing && !options.force) this.assertCompatible(subject, parsed, stored.metadata);
      const context = contextOf(subject);
      const id = importing
        ? this.importedId(stored, request.id, context)
        : (this.state.idOf(stored, context) ?? this.state.maxIdOf(context) + 1);
      const version = this.nextVersion(subject, request, importing, stored);
      const entry: SchemaVersion = { subject, version, id, deleted: false, ...stored };
      // A named context's record comes first, on its first registration, as Confluent writes it.
      const contextRecord: LogWrite[] =
        context === DEFAULT_CONTEXT || this.state.contexts.has(context)
          ? []
          : [
              {
                key: { keytype: "CONTEXT", tenant: CONTEXT_TENANT, context },
                value: encodeContextValue(CONTEXT_TENANT, context),
              },
            ];
      await this.write([...contextRecord, ...this.replacedSoftDeletes(subject, id), schemaWrite(entry)]);
      return this.getVersion(subject, version);
    });
  }

  /**
   * A live version holding the same schema: same identity, or (Confluent's `canLookup`) the
   * same but for the `confluent:version` property of its metadata.
   */
  private existingVersion(
    subject: string,
    stored: StoredSchema,
    parsed: ParsedSchema,
    normalize: boolean,
  ): SchemaVersion | undefined {
    const identities = this.identitiesOf(stored, parsed, normalize);
    const versions = this.versionsOf(subject);
    const exact = versions.find((v) => identities.has(schemaIdentity(v)));
    if (exact) return exact;
    const unversioned = (s: StoredSchema): StoredSchema => ({
      ...s,
      metadata: withoutConfluentVersion(s.metadata),
    });
    const loose = this.identitiesOf(unversioned(stored), parsed, normalize);
    return versions.findLast((v) => loose.has(schemaIdentity(unversioned(v))));
  }

  /**
   * The data contract a new version gets (Confluent's `maybeSetMetadataRuleSet`): the request's
   * metadata and rule set, or else the latest live version's, merged over the config's
   * `defaultMetadata`/`defaultRuleSet` and under its `overrideMetadata`/`overrideRuleSet`;
   * `confluent:version` is set to the new version when the request names a version or the
   * metadata already carries one.
   */
  private contractFor(subject: string, request: SchemaRequest): { metadata?: Metadata; ruleSet?: RuleSet } {
    const previous = this.versionsOf(subject).at(-1);
    const config = (key: string) => this.configValue(subject, key);
    let metadata = mergeMetadata(
      mergeMetadata(
        parseOr(parseMetadata, config("defaultMetadata")),
        request.metadata ?? previous?.metadata,
      ),
      parseOr(parseMetadata, config("overrideMetadata")),
    );
    const ruleSet = mergeRuleSets(
      mergeRuleSets(parseOr(parseRuleSet, config("defaultRuleSet")), request.ruleSet ?? previous?.ruleSet),
      parseOr(parseRuleSet, config("overrideRuleSet")),
    );
    const named = request.version !== undefined && request.version > 0;
    if (named || metadata?.properties?.["confluent:version"] !== undefined) {
      const all = this.versionsOf(subject, true);
      metadata = withConfluentVersion(metadata, named ? request.version! : (all.at(-1)?.version ?? 0) + 1);
    }
    const out: { metadata?: Metadata; ruleSet?: RuleSet } = {};
    if (metadata !== undefined) out.metadata = metadata;
    if (ruleSet !== undefined) out.ruleSet = ruleSet;
    return out;
  }

  /** `compatibilityPolicy` in force (subject over global, as Confluent merges them); STRICT unless LENIENT. */
  private policyOf(subject: string): CompatibilityPolicy {
    const policy = this.configValue(subject, "compatibilityPolicy");
    return typeof policy === "string" && policy.toUpperCase() === "LENIENT" ? "LENIENT" : "STRICT";
  }

  /** A config key (one Brook keeps verbatim) from the subject's config, else the global one. */
  private configValue(subject: string, key: string): unknown {
    return this.configChain(subject).find((c) => c?.extra?.[key] !== undefined)?.extra?.[key];
  }

  /** The identities that count as "the same schema": canonical text, and normalized with `normalize`. */
  private identitiesOf(
    request: Pick<StoredSchema, "references" | "metadata" | "ruleSet">,
    parsed: ParsedSchema,
    normalize: boolean,
  ): Set<string> {
    const base: Omit<StoredSchema, "schema"> = {
      schemaType: parsed.schemaType,
      references: request.references,
    };
    if (request.metadata !== undefined) base.metadata = request.metadata;
    if (request.ruleSet !== undefined) base.ruleSet = request.ruleSet;
    const out = new Set([schemaIdentity({ ...base, schema: parsed.canonical })]);
    if (normalize) out.add(schemaIdentity({ ...base, schema: parsed.normalized() }));
    return out;
  }

  private assertCompatible(subject: string, parsed: ParsedSchema, metadata: Metadata | undefined): void {
    const level = this.compatibilityOf(subject);
    const result = checkCompatibility(
      formatOf(parsed.schemaType),
      level,
      parsed,
      this.priorVersions(subject, metadata),
      this.policyOf(subject),
    );
    if (result.compatible) return;
    throw registryErrors.incompatible(
      `Schema being registered is incompatible with an earlier schema for subject "${subject}", details: [${result.messages.join(", ")}]`,
    );
  }

  /**
   * Live versions of a subject, parsed, oldest first. With a `compatibilityGroup` in config, only
   * those whose metadata property of that name equals the candidate's (absent matching absent).
   */
  priorVersions(subject: string, candidate?: Metadata): PriorVersion[] {
    const group = this.configValue(subject, "compatibilityGroup");
    const groupOf = (metadata: Metadata | undefined) =>
      typeof group === "string" ? metadata?.properties?.[group] : undefined;
    return this.versionsOf(subject)
      .filter((v) => groupOf(v.metadata) === groupOf(candidate))
      .map((v) => ({
        version: v.version,
        schema: v.schema,
        parsed: this.parseStored(v, subject),
      }));
  }

  private importedId(stored: StoredSchema, requested: number | undefined, context: string): number {
    if (requested === undefined) return this.state.idOf(stored, context) ?? this.state.maxIdOf(context) + 1;
    if (!Number.isInteger(requested) || requested < 1) {
      throw registryErrors.invalidSchema(`Invalid id ${requested}`);
    }
    const holder = this.state.schemaById(requested, context);
    if (holder && schemaIdentity(holder) !== schemaIdentity(stored)) {
      throw registryErrors.idDoesNotMatch(
        `Overwrite new schema with id ${requested} is not permitted: a different schema already has this id`,
      );
    }
    return requested;
  }

  private nextVersion(
    subject: string,
    request: SchemaRequest,
    importing: boolean,
    stored: StoredSchema,
  ): number {
    const all = this.versionsOf(subject, true);
    const next = (all.at(-1)?.version ?? 0) + 1;
    if (request.version === undefined || request.version === -1) return next;
    if (importing) {
      const taken = all.find((v) => v.version === request.version);
      if (taken && schemaIdentity(taken) !== schemaIdentity(stored)) {
        throw registryErrors.invalidSchema(
          `Version ${request.version} already exists for subject ${subject}`,
        );
      }
      if (!Number.isInteger(request.version) || request.version < 1) {
        throw registryErrors.invalidSchema(`Invalid version ${request.version}`);
      }
      return request.version;
    }
    if (request.version !== next) {
      throw registryErrors.invalidSchema(
        `Version is not one more than previous version; requested ${request.version}, expected ${next}`,
      );
    }
    return next;
  }

  /** Soft-deleted versions of the subject that carry the id: tombstoned when it comes back. */
  private replacedSoftDeletes(subject: string, id: number): LogWrite[] {
    return this.versionsOf(subject, true)
      .filter((v) => v.deleted && v.id === id && this.referrers(v, true).length === 0)
      .map((v) => ({ key: { keytype: "SCHEMA", subject, version: v.version }, value: null }));
  }

  // ---------------------------------------------------------------- compatibility endpoints

  /**
   * `POST /compatibility/subjects/{s}/versions[/{v}]`: with a version, checks against that one
   * version in the level's direction; without, runs the check registration would run.
   */
  checkCompatibilityOf(
    subject: string,
    spec: VersionSpec | undefined,
    request: SchemaRequest,
  ): { compatible: boolean; messages: string[] } {
    let priors: PriorVersion[];
    if (spec === undefined || spec === "latest") {
      priors = this.priorVersions(subject, request.metadata ?? this.versionsOf(subject).at(-1)?.metadata);
      if (spec === "latest") priors = priors.slice(-1);
    } else {
      const target = this.versionsOf(subject).find((v) => v.version === spec);
      if (!target) throw registryErrors.versionNotFound(spec);
      priors = [
        { version: target.version, schema: target.schema, parsed: this.parseStored(target, subject) },
      ];
    }
    const parsed = this.parseRequest(request, subject);
    let level = this.compatibilityOf(subject);
    if (spec !== undefined) level = level.replace("_TRANSITIVE", "") as CompatibilityLevel;
    return checkCompatibility(formatOf(parsed.schemaType), level, parsed, priors, this.policyOf(subject));
  }

  // ---------------------------------------------------------------- deletes

  /** `DELETE /subjects/{s}/versions/{v}`: soft, or hard after a soft delete. */
  deleteVersion(subject: string, spec: VersionSpec, permanent = false): Promise<number> {
    return this.exclusive(async () => {
      this.assertWritable(subject);
      const all = this.versionsOf(subject, true);
      if (all.length === 0) throw registryErrors.subjectNotFound(subject);
      const pool = permanent ? all : all.filter((v) => !v.deleted);
      const target = spec === "latest" ? pool.at(-1) : all.find((v) => v.version === spec);
      if (!target) throw registryErrors.versionNotFound(spec);
      if (!permanent && target.deleted) throw registryErrors.versionSoftDeleted(subject, target.version);
      if (permanent && !target.deleted) throw registryErrors.versionNotSoftDeleted(subject, target.version);
      const referrers = this.referrers(target, permanent);
      if (referrers.length > 0) throw referenceExists(subject, target.version, referrers);
      const key: SchemaLogKey = { keytype: "SCHEMA", subject, version: target.version };
      const writes: LogWrite[] = [
        { key, value: permanent ? null : encodeSchemaValue({ ...target, deleted: true }) },
      ];
      if (permanent && all.length === 1) writes.push(...this.subjectSettingRemovals(subject));
      await this.write(writes);
      return target.version;
    });
  }

  /** `DELETE /subjects/{s}`: soft deletes the live versions, or hard deletes all after that. */
  deleteSubject(subject: string, permanent = false): Promise<number[]> {
    return this.exclusive(async () => {
      this.assertWritable(subject);
      const all = this.versionsOf(subject, true);
      if (all.length === 0) throw registryErrors.subjectNotFound(subject);
      const live = all.filter((v) => !v.deleted);
      if (permanent && live.length > 0) throw registryErrors.subjectNotSoftDeleted(subject);
      if (!permanent && live.length === 0) throw registryErrors.subjectSoftDeleted(subject);
      const targets = permanent ? all : live;
      for (const target of targets) {
        const outside = this.referrers(target, permanent).filter((r) => r.subject !== subject);
        if (outside.length > 0) throw referenceExists(subject, target.version, outside);
      }
      const writes: LogWrite[] = permanent
        ? [...all].reverse().map((v) => ({
            key: { keytype: "SCHEMA", subject, version: v.version } as SchemaLogKey,
            value: null,
          }))
        : [
            {
              key: { keytype: "DELETE_SUBJECT", subject },
              value: encodeDeleteSubjectValue({ subject, version: live.at(-1)!.version }),
            },
          ];
      writes.push(...this.subjectSettingRemovals(subject));
      await this.write(writes);
      return targets.map((v) => v.version);
    });
  }

  private subjectSettingRemovals(subject: string): LogWrite[] {
    const writes: LogWrite[] = [];
    if (this.state.subjectConfigs.has(subject))
      writes.push({ key: { keytype: "CONFIG", subject }, value: null });
    if (this.state.subjectModes.has(subject)) writes.push({ key: { keytype: "MODE", subject }, value: null });
    return writes;
  }

  // ---------------------------------------------------------------- helpers

  private assertWritable(subject: string | null): void {
    const mode = this.effectiveMode(subject);
    if (mode === "READONLY" || mode === "READONLY_OVERRIDE") {
      throw registryErrors.operationNotPermitted(
        subject === null ? "The registry is in read-only mode" : `Subject ${subject} is in read-only mode`,
      );
    }
  }

  private normalizeFor(subject: string, requested: boolean | undefined): boolean {
    return (
      requested === true ||
      this.configChain(subject).find((c) => c?.normalize !== undefined)?.normalize === true
    );
  }

  /**
   * Parses a request's schema with its references resolved from the registry (42201 if bad);
   * `subject`'s context is where unqualified references are looked up.
   */
  parseRequest(request: SchemaRequest, subject = ""): ParsedSchema {
    const format = formatOf(request.schemaType);
    const references = request.references.map((r) => this.resolveReference(r, subject, 0));
    return format.parse(request.schema, references);
  }

  private parseStored(version: StoredSchema, subject: string): ParsedSchema {
    // The same text with the same references means other schemas in another context.
    const identity = `${contextOf(subject)}\u0000${schemaIdentity(version)}`;
    const cached = this.parsedCache.get(identity);
    if (cached) return cached;
    const references = version.references.map((r) => this.resolveReference(r, subject, 0, true));
    const parsed = formatOf(version.schemaType).parse(version.schema, references);
    if (this.parsedCache.size >= PARSED_SCHEMA_CACHE_ENTRIES_MAX) this.parsedCache.clear();
    this.parsedCache.set(identity, parsed);
    return parsed;
  }

  private resolveReference(
    reference: SchemaReference,
    referrer: string,
    depth: number,
    includeDeleted = false,
  ): ResolvedReference {
    if (depth >= REFERENCE_DEPTH_MAX) {
      throw registryErrors.invalidSchema(
        `Invalid schema: references nested deeper than ${REFERENCE_DEPTH_MAX}`,
      );
    }
    let target: SchemaVersion;
    try {
      const spec = reference.version === -1 ? "latest" : reference.version;
      target = this.getVersion(qualifyReference(referrer, reference.subject), spec, includeDeleted);
    } catch (error) {
      if (!(error instanceof RegistryError)) throw error;
      throw registryErrors.invalidSchema(
        `Invalid schema: reference ${reference.name} to subject ${reference.subject} version ${reference.version} not found`,
      );
    }
    return {
      ...reference,
      version: target.version,
      schemaType: target.schemaType,
      schema: target.schema,
      references: target.references.map((r) => this.resolveReference(r, target.subject, depth + 1, true)),
    };
  }

  /**
   * Runs a write operation after the ones before it, once the backend takes writes here and the
   * state has every record the log holds.
   */
  private exclusive<T>(operation: () => Promise<T>): Promise<T> {
    const prepared = async () => {
      await this.backend.beforeWrite?.();
      await this.catchUp();
      return operation();
    };
    const run = this.writeChain.then(prepared, prepared);
    this.writeChain = run.catch(() => undefined);
    return run;
  }

  private async write(writes: readonly LogWrite[]): Promise<void> {
    assert(writes.length > 0, "a write has records");
    for (const { key, value } of writes) {
      try {
        await this.backend.append(encodeKey(key), value);
      } catch (error) {
        throw registryErrors.storeError(
          `Error while writing to the schemas log: ${(error as Error).message}`,
          {
            cause: error,
          },
        );
      }
    }
    await this.catchUp();
  }
}

function schemaWrite(entry: SchemaVersion): LogWrite {
  return {
    key: { keytype: "SCHEMA", subject: entry.subject, version: entry.version },
    value: encodeSchemaValue(entry),
  };
}

function referenceExists(subject: string, version: number, referrers: SchemaVersion[]): RegistryError {
  const names = referrers.map((r) => `${r.subject} version ${r.version}`).join(", ");
  return registryErrors.referenceExists(
    `One or more references exist to the schema {subject=${subject},version=${version}}: ${names}`,
  );
}

/** A config's data-contract value, parsed; undefined when absent or not understood. */
function parseOr<T>(parse: (value: unknown) => T | undefined, value: unknown): T | undefined {
  try {
    return parse(value);
  } catch {
    return undefined;
  }
}

function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
