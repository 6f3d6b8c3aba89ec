import type { Metadata, RuleSet } from "./data-contract.js";

/** Vocabulary shared by the registry's layers, spelled as Confluent's REST API spells it. */

export const SCHEMA_TYPES = ["AVRO", "JSON", "PROTOBUF"] as const;
export type SchemaType = (typeof SCHEMA_TYPES)[number];

export const COMPATIBILITY_LEVELS = [
  "NONE",
  "BACKWARD",
  "BACKWARD_TRANSITIVE",
  "FORWARD",
  "FORWARD_TRANSITIVE",
  "FULL",
  "FULL_TRANSITIVE",
] as const;
export type CompatibilityLevel = (typeof COMPATIBILITY_LEVELS)[number];

export const MODES = ["READWRITE", "READONLY", "READONLY_OVERRIDE", "IMPORT", "FORWARD"] as const;
export type Mode = (typeof MODES)[number];

/** A schema's pointer to another registered schema: `name` is how the schema text refers to it. */
export interface SchemaReference {
  name: string;
  subject: string;
  version: number;
}

/**
 * A schema as stored: `schema` is the canonical text; identity is decided on it, the type, the
 * references and the data contract (`metadata`, `ruleSet`), as Confluent's does.
 */
export interface StoredSchema {
  schemaType: SchemaType;
  schema: string;
  references: SchemaReference[];
  metadata?: Metadata | undefined;
  ruleSet?: RuleSet | undefined;
}

/** One version record of a subject (a SCHEMA record of `_schemas`). */
export interface SchemaVersion extends StoredSchema {
  subject: string;
  version: number;
  id: number;
  deleted: boolean;
}

/** Subject or global config as stored in CONFIG records. */
export interface RegistryConfig {
  compatibilityLevel?: CompatibilityLevel;
  normalize?: boolean;
  /** Other keys Confluent may write (compatibilityGroup, alias, ...) are kept verbatim. */
  extra?: Record<string, unknown>;
}

export function isSchemaType(value: string): value is SchemaType {
  return (SCHEMA_TYPES as readonly string[]).includes(value);
}

export function isCompatibilityLevel(value: string): value is CompatibilityLevel {
  return (COMPATIBILITY_LEVELS as readonly string[]).includes(value);
}

export function isMode(value: string): value is Mode {
  return (MODES as readonly string[]).includes(value);
}

/** The key under which a schema's global id is found: type, canonical text and references. */
export function schemaIdentity(schema: StoredSchema): string {
  const refs = schema.references.map((r) => [r.name, r.subject, r.version]);
  const base = `${schema.schemaType}\u0000${schema.schema}\u0000${JSON.stringify(refs)}`;
  if (schema.metadata === undefined && schema.ruleSet === undefined) return base;
  return `${base}\u0000${JSON.stringify(schema.metadata ?? null)}\u0000${JSON.stringify(schema.ruleSet ?? null)}`;
}
