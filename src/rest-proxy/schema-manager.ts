import {
  formatOf,
  type ParsedSchema,
  RegistryClient,
  RegistryError,
  recordName,
  recordNameStrategy,
  type SchemaType,
  type SubjectNameStrategy,
  topicNameStrategy,
  topicRecordNameStrategy,
} from "../registry/index.js";
import type { EmbeddedFormat } from "./media-types.js";
import { RestProxyError, restErrors } from "./rest-error.js";

/** A schema a record is written with: its global id, the subject and version that hold it. */
export interface ResolvedSchema {
  readonly id: number;
  readonly subject: string;
  readonly version: number;
  readonly parsed: ParsedSchema;
  readonly format: SchemaFormat;
}

export type SchemaFormat = Extract<EmbeddedFormat, "avro" | "jsonschema" | "protobuf">;

const SCHEMA_TYPES: Readonly<Record<SchemaFormat, SchemaType>> = {
  avro: "AVRO",
  jsonschema: "JSON",
  protobuf: "PROTOBUF",
};

/** Confluent's subject_name_strategy values (v3). */
const STRATEGIES: Readonly<Record<string, SubjectNameStrategy>> = {
  TOPIC_NAME: topicNameStrategy,
  RECORD_NAME: recordNameStrategy,
  TOPIC_RECORD_NAME: topicRecordNameStrategy,
};

/** What a produce request says about a key's or value's schema (kafka-rest's SchemaManager.getSchema). */
export interface SchemaQuery {
  topic: string;
  isKey: boolean;
  /** With `rawSchema`: the format to parse it as. */
  format?: SchemaFormat;
  rawSchema?: string;
  schemaId?: number;
  schemaVersion?: number;
  subject?: string;
  subjectNameStrategy?: string;
}

/** Resolved schemas kept; ids and registered texts never change meaning, so entries stay right. */
const RESOLVED_CACHED_MAX = 1000;

/**
 * The proxy's view of the Schema Registry (over HTTP, as kafka-rest's CachedSchemaRegistryClient:
 * in a Brook cluster the node's own registry forwards writes to the one that takes them). A raw
 * schema is parsed here first (42205 when it does not parse), looked up under its subject and
 * registered when missing; a schema id is checked to be a version of its subject. Registry
 * failures are kafka-rest's 42207 with the registry's message.
 */
export class SchemaManager {
  private readonly client: RegistryClient | null;
  private readonly resolved = new Map<string, Promise<ResolvedSchema>>();

  constructor(registryUrl: string | null) {
    this.client = registryUrl === null ? null : new RegistryClient({ url: registryUrl });
  }

  resolve(query: SchemaQuery): Promise<ResolvedSchema> {
    const client = this.client;
    if (client === null)
      return Promise.reject(
        restErrors.invalidPayload("Schema Registry must be configured when using schemas."),
      );
    if (query.schemaId !== undefined) {
      if (query.rawSchema !== undefined || query.schemaVersion !== undefined)
        return Promise.reject(restErrors.badRequest("Unsupported argument: "));
      return this.cached(`id\u0000${query.topic}\u0000${query.isKey}\u0000${query.schemaId}`, () =>
        this.byId(client, query, query.schemaId as number),
      );
    }
    if (query.rawSchema !== undefined) {
      const format = query.format ?? "avro";
      const text = query.rawSchema;
      return this.cached(`raw\u0000${query.topic}\u0000${query.isKey}\u0000${format}\u0000${text}`, () =>
        this.byRawSchema(client, query, format, text),
      );
    }
    const subject = subjectOf(query, undefined);
    return this.byVersion(client, subject, query.schemaVersion ?? "latest");
  }

  /** A writer's schema by id, parsed (for consumer instances; the client caches it for good). */
  parsedById(id: number): Promise<ParsedSchema> {
    if (this.client === null)
      return Promise.reject(
        restErrors.invalidPayload("Schema Registry must be configured when using schemas."),
      );
    return this.client.getParsedById(id);
  }

  private cached(key: string, load: () => Promise<ResolvedSchema>): Promise<ResolvedSchema> {
    let found = this.resolved.get(key);
    if (found === undefined) {
      found = load();
      found.catch(() => this.resolved.delete(key));
      if (this.resolved.size >= RESOLVED_CACHED_MAX) this.resolved.clear();
      this.resolved.set(key, found);
    }
    return found;
  }

  private async byId(client: RegistryClient, query: SchemaQuery, id: number): Promise<ResolvedSchema> {
    const found = await registryCall(`Error when fetching schema by id. schemaId = ${id}`, () =>
      client.getSchemaById(id),
    );
    const parsed = await registryCall(`Error when fetching schema by id. schemaId = ${id}`, () =>
      client.getParsedById(id),
    );
    const subject = subjectOf(query, parsed);
    const version = await registryCall(
      `Error when fetching schema version. subject = ${subject}, schema = ${parsed.canonical}`,
      () => client.lookup(subject, found),
    );
    return { id, subject, version: version.version ?? -1, parsed, format: formatOfType(found.schemaType) };
  }

  private async byRawSchema(
    client: RegistryClient,
    query: SchemaQuery,
    format: SchemaFormat,
    text: string,
  ): Promise<ResolvedSchema> {
    const schemaType = SCHEMA_TYPES[format];
    let parsed: ParsedSchema;
    try {
      parsed = formatOf(schemaType).parse(text, []);
    } catch {
      throw restErrors.invalidSchema(
        `Error when parsing raw schema. format = ${format.toUpperCase()}, schema = ${text}`,
      );
    }
    const subject = subjectOf(query, parsed);
    const input = { schema: text, schemaType };
    const where = `format = ${format.toUpperCase()}, subject = ${subject}, schema = ${parsed.canonical}`;
    const existing = await client.lookup(subject, input).catch((error: unknown) => {
      if (error instanceof RegistryError && (error.errorCode === 40401 || error.errorCode === 40403))
        return null;
      throw registryFailure(`Error when registering schema. ${where}`, error);
    });
    if (existing !== null)
      return { id: existing.id, subject, version: existing.version ?? -1, parsed, format };
    const id = await registryCall(`Error when registering schema. ${where}`, () =>
      client.register(subject, input),
    );
    const registered = await registryCall(
      `Error when fetching schema version. subject = ${subject}, schema = ${parsed.canonical}`,
      () => client.lookup(subject, input),
    );
    return { id, subject, version: registered.version ?? -1, parsed, format };
  }

  private async byVersion(
    client: RegistryClient,
    subject: string,
    version: number | "latest",
  ): Promise<ResolvedSchema> {
    const what =
      version === "latest"
        ? `Error when fetching latest schema version. subject = ${subject}`
        : `Error when fetching schema by version. subject = ${subject}, version = ${version}`;
    const found = await registryCall(what, () => client.getVersion(subject, version));
    const parsed = await registryCall(what, () => client.parse(found));
    return {
      id: found.id,
      subject,
      version: found.version ?? -1,
      parsed,
      format: formatOfType(found.schemaType),
    };
  }
}

function formatOfType(schemaType: SchemaType): SchemaFormat {
  if (schemaType === "JSON") return "jsonschema";
  return schemaType === "PROTOBUF" ? "protobuf" : "avro";
}

/** The subject a query names, or its strategy's name for it (TopicNameStrategy by default). */
function subjectOf(query: SchemaQuery, parsed: ParsedSchema | undefined): string {
  if (query.subject !== undefined) return query.subject;
  const strategy = STRATEGIES[query.subjectNameStrategy ?? "TOPIC_NAME"];
  if (strategy === undefined)
    throw restErrors.badRequest(`Unknown subject_name_strategy ${query.subjectNameStrategy}`);
  try {
    return strategy(
      query.topic,
      query.isKey,
      parsed === undefined ? undefined : recordName(parsed, undefined),
    );
  } catch {
    throw restErrors.badRequest(
      `Cannot use schema_subject_strategy=${query.subjectNameStrategy} without schema_id or schema.`,
    );
  }
}

async function registryCall<T>(what: string, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    throw registryFailure(what, error);
  }
}

/** kafka-rest's messageSerializationException: what it was doing, then the registry's error. */
function registryFailure(what: string, error: unknown): RestProxyError {
  if (error instanceof RestProxyError) return error;
  const detail =
    error instanceof RegistryError
      ? `${error.message}; error code: ${error.errorCode}`
      : error instanceof Error
        ? error.message
        : String(error);
  return restErrors.serialization(`${what}\n${detail}`);
}
