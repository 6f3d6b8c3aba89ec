import { formatOf } from "../formats/formats.js";
import type { ParsedSchema, ResolvedReference } from "../formats/schema-format.js";
import { RegistryError } from "../registry-error.js";
import type { SchemaReference, SchemaType } from "../schema-types.js";

/** Entries kept per cache; the caches are cleared when full (schemas are few and stable). */
export const CLIENT_CACHE_ENTRIES_MAX = 1000;
/** Reference chains are followed this deep at most. */
const CLIENT_REFERENCE_DEPTH_MAX = 32;

export interface SchemaInput {
  schema: string;
  schemaType?: SchemaType;
  references?: SchemaReference[];
}

export interface RegisteredSchema {
  id: number;
  schemaType: SchemaType;
  schema: string;
  references: SchemaReference[];
  subject?: string;
  version?: number;
}

export interface RegistryClientOptions {
  /** Base URL of the registry, e.g. http://localhost:8081 */
  url: string;
  headers?: Record<string, string>;
}

const CONTENT_TYPE = "application/vnd.schemaregistry.v1+json";

/**
 * A small Schema Registry REST client (node's fetch) with the caches serializers need: ids of
 * registered schemas per subject, schemas by id (immutable, so cached for good) and parsed
 * schemas by id. Errors come back as RegistryError with the registry's `error_code`.
 */
export class RegistryClient {
  readonly url: string;
  private readonly headers: Record<string, string>;
  private readonly idsBySubjectSchema = new Map<string, number>();
  private readonly schemasById = new Map<number, Promise<RegisteredSchema>>();
  private readonly parsedById = new Map<number, Promise<ParsedSchema>>();

  constructor(options: RegistryClientOptions) {
    this.url = options.url.replace(/\/+$/, "");
    this.headers = { Accept: CONTENT_TYPE, ...options.headers };
  }

  async request<T>(method: string, path: string, body?: unknown): Promise<T> {
    const init: RequestInit = { method, headers: { ...this.headers } };
    if (body !== undefined) {
      init.body = JSON.stringify(body);
      (init.headers as Record<string, string>)["Content-Type"] = CONTENT_TYPE;
    }
    const response = await fetch(`${this.url}${path}`, init);
    const text = await response.text();
    let json: unknown;
    try {
      json = text === "" ? undefined : JSON.parse(text);
    } catch {
      json = undefined;
    }
    if (!response.ok) {
      const error = (json ?? {}) as { error_code?: number; message?: string };
      throw new RegistryError(
        error.error_code ?? response.status,
        error.message ?? text,
        "BRK_ERR_REGISTRY_CLIENT",
      );
    }
    return json as T;
  }

  /** Registers (or finds) the schema under the subject; answers its global id. */
  async register(subject: string, input: SchemaInput, normalize = false): Promise<number> {
    const key = `${subject}\u0000${input.schemaType ?? "AVRO"}\u0000${input.schema}\u0000${JSON.stringify(input.references ?? [])}`;
    const cached = this.idsBySubjectSchema.get(key);
    if (cached !== undefined) return cached;
    const answer = await this.request<{ id: number }>(
      "POST",
      `/subjects/${encodeURIComponent(subject)}/versions${normalize ? "?normalize=true" : ""}`,
      body(input),
    );
    remember(this.idsBySubjectSchema, key, answer.id);
    return answer.id;
  }

  /** The version of the subject holding the schema (40401/40403 when there is none). */
  lookup(subject: string, input: SchemaInput): Promise<RegisteredSchema> {
    return this.request<RegisteredSchema>(
      "POST",
      `/subjects/${encodeURIComponent(subject)}`,
      body(input),
    ).then(withDefaults);
  }

  getVersion(subject: string, version: number | "latest"): Promise<RegisteredSchema> {
    return this.request<RegisteredSchema>(
      "GET",
      `/subjects/${encodeURIComponent(subject)}/versions/${version}`,
    ).then(withDefaults);
  }

  getSchemaById(id: number): Promise<RegisteredSchema> {
    let found = this.schemasById.get(id);
    if (!found) {
      found = this.request<RegisteredSchema>("GET", `/schemas/ids/${id}`).then((s) =>
        withDefaults({ ...s, id }),
      );
      found.catch(() => this.schemasById.delete(id));
      remember(this.schemasById, id, found);
    }
    return found;
  }

  /** The schema with that id, parsed with its references resolved (cached). */
  getParsedById(id: number): Promise<ParsedSchema> {
    let found = this.parsedById.get(id);
    if (!found) {
      found = this.getSchemaById(id).then((s) => this.parse(s));
      found.catch(() => this.parsedById.delete(id));
      remember(this.parsedById, id, found);
    }
    return found;
  }

  async parse(input: SchemaInput): Promise<ParsedSchema> {
    const references = await this.resolveReferences(input.references ?? [], 0);
    return formatOf(input.schemaType ?? "AVRO").parse(input.schema, references);
  }

  private async resolveReferences(
    references: readonly SchemaReference[],
    depth: number,
  ): Promise<ResolvedReference[]> {
    if (depth > CLIENT_REFERENCE_DEPTH_MAX) throw new Error("schema references nested too deeply");
    const out: ResolvedReference[] = [];
    for (const reference of references) {
      const target = await this.getVersion(reference.subject, reference.version);
      out.push({
        ...reference,
        schemaType: target.schemaType,
        schema: target.schema,
        references: await this.resolveReferences(target.references, depth + 1),
      });
    }
    return out;
  }
}

function body(input: SchemaInput): Record<string, unknown> {
  const out: Record<string, unknown> = { schema: input.schema };
  if (input.schemaType && input.schemaType !== "AVRO") out["schemaType"] = input.schemaType;
  if (input.references && input.references.length > 0) out["references"] = input.references;
  return out;
}

function withDefaults(schema: RegisteredSchema): RegisteredSchema {
  return { ...schema, schemaType: schema.schemaType ?? "AVRO", references: schema.references ?? [] };
}

function remember<K, V>(cache: Map<K, V>, key: K, value: V): void {
  if (cache.size >= CLIENT_CACHE_ENTRIES_MAX) cache.clear();
  cache.set(key, value);
}
