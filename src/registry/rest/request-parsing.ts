import { parseMetadata, parseRuleSet } from "../data-contract.js";
import { registryErrors } from "../registry-error.js";
import type { SchemaRequest } from "../schema-registry.js";
import type { SchemaReference, SchemaVersion, StoredSchema } from "../schema-types.js";

/** Query flags are true only when spelled `true` (any case), as Jersey's boolean parsing does. */
export function flag(query: URLSearchParams, name: string): boolean {
  return query.get(name)?.toLowerCase() === "true";
}

export function optionalFlag(query: URLSearchParams, name: string): boolean | undefined {
  return query.has(name) ? flag(query, name) : undefined;
}

/** `offset`/`limit` pagination; limit -1 (the default) means everything. */
export function paginate<T>(items: readonly T[], query: URLSearchParams): T[] {
  const offset = Math.max(0, Number.parseInt(query.get("offset") ?? "0", 10) || 0);
  const limit = Number.parseInt(query.get("limit") ?? "-1", 10);
  const end = Number.isNaN(limit) || limit < 0 ? items.length : offset + limit;
  return items.slice(offset, end);
}

export function bodyObject(body: unknown): Record<string, unknown> {
  if (typeof body !== "object" || body === null || Array.isArray(body)) {
    throw registryErrors.badRequest("The request body must be a JSON object");
  }
  return body as Record<string, unknown>;
}

function parseReferences(value: unknown): SchemaReference[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value))
    throw registryErrors.invalidSchema("Invalid schema: references must be an array");
  return value.map((item) => {
    const ref = (item ?? {}) as Record<string, unknown>;
    const version = typeof ref["version"] === "string" ? Number(ref["version"]) : ref["version"];
    if (typeof ref["name"] !== "string" || typeof ref["subject"] !== "string" || !Number.isInteger(version)) {
      throw registryErrors.invalidSchema(`Invalid schema: invalid reference ${JSON.stringify(item)}`);
    }
    return { name: ref["name"], subject: ref["subject"], version: version as number };
  });
}

function optionalInteger(value: unknown, what: string): number | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== "number" || !Number.isInteger(value)) {
    throw registryErrors.invalidSchema(`Invalid ${what} ${JSON.stringify(value)}`);
  }
  return value;
}

/** The body of register, lookup and compatibility requests. */
export function parseSchemaRequest(body: unknown): SchemaRequest {
  const json = bodyObject(body);
  const schema = json["schema"];
  if (typeof schema !== "string" || schema.trim() === "") throw registryErrors.invalidSchema("Empty schema");
  const schemaType = json["schemaType"] ?? "AVRO";
  if (typeof schemaType !== "string") throw registryErrors.invalidSchema(`Invalid schema type ${schemaType}`);
  const request: SchemaRequest = {
    schema,
    schemaType: schemaType.toUpperCase(),
    references: parseReferences(json["references"]),
  };
  const metadata = parseMetadata(json["metadata"]);
  const ruleSet = parseRuleSet(json["ruleSet"]);
  if (metadata !== undefined) request.metadata = metadata;
  if (ruleSet !== undefined) request.ruleSet = ruleSet;
  const id = optionalInteger(json["id"], "id");
  const version = optionalInteger(json["version"], "version");
  if (id !== undefined && id !== -1) request.id = id;
  if (version !== undefined) request.version = version;
  return request;
}

/** `{"schema", "schemaType"?, "references"?}`: Avro's type is left out, as releases before 8.0 do. */
export function schemaBody(schema: StoredSchema): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  if (schema.schemaType !== "AVRO") out["schemaType"] = schema.schemaType;
  if (schema.references.length > 0) out["references"] = schema.references;
  out["schema"] = schema.schema;
  if (schema.metadata !== undefined) out["metadata"] = schema.metadata;
  if (schema.ruleSet !== undefined) out["ruleSet"] = schema.ruleSet;
  return out;
}

export function versionBody(version: SchemaVersion): Record<string, unknown> {
  return { subject: version.subject, version: version.version, id: version.id, ...schemaBody(version) };
}
