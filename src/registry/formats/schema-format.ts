import type { SchemaReference, SchemaType } from "../schema-types.js";

/** A reference with the referenced schema's text, and that schema's own references, resolved. */
export interface ResolvedReference extends SchemaReference {
  schemaType: SchemaType;
  schema: string;
  references: ResolvedReference[];
}

/** A parsed, validated schema. `canonical` is the text stored and compared for identity. */
export interface ParsedSchema {
  readonly schemaType: SchemaType;
  readonly canonical: string;
  /** The text used instead of `canonical` when `normalize=true` is asked for. */
  normalized(): string;
}

/**
 * Who plays which part in a check, for the messages: `reader` decodes data written with
 * `writer`; each is either the schema being registered ("new") or a registered one ("old").
 */
export interface CheckRoles {
  reader: "new" | "old";
  writer: "new" | "old";
}

/**
 * Confluent's `compatibilityPolicy` config: LENIENT relaxes JSON Schema's content-model rules
 * (Confluent's JsonSchema.isBackwardCompatible picks its LENIENT change set); the other formats
 * ignore it. Confluent's LOGICAL policy (an extra logical-type check) is read as STRICT here.
 */
export type CompatibilityPolicy = "STRICT" | "LENIENT";

/** One reason a reader cannot read a writer's data, in Confluent's verbose vocabulary. */
export interface CompatibilityIssue {
  errorType: string;
  description: string;
  additionalInfo?: string;
}

/**
 * A schema format: pure parsing and compatibility logic, no I/O. `parse` throws a
 * RegistryError 42201 for invalid schemas. `check` answers whether `reader` can read data
 * written with `writer`, as a list of issues (empty when compatible), under `policy`.
 */
export interface SchemaFormat {
  readonly schemaType: SchemaType;
  parse(text: string, references: readonly ResolvedReference[]): ParsedSchema;
  check(
    reader: ParsedSchema,
    writer: ParsedSchema,
    roles: CheckRoles,
    policy?: CompatibilityPolicy,
  ): CompatibilityIssue[];
}
