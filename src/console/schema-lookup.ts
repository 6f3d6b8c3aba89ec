import { type ParsedSchema, RegistryError, type SchemaRegistry } from "../registry/index.js";

/** What the console reads of this node's Schema Registry. */
export type SchemaRegistryView = Pick<SchemaRegistry, "parsedById" | "versionsOfId">;

/** A schema id as the registry knows it, with the subject version that names it for this topic. */
export interface SchemaInfo {
  id: number;
  type: string;
  subject: string | null;
  version: number | null;
}

export type SchemaFound = { info: SchemaInfo; parsed: ParsedSchema } | { error: string };

/** Parsed schemas kept by id: ids are never reused, so an entry stays right while the process lives. */
const SCHEMAS_CACHED_MAX = 1000;

/**
 * The schemas of Confluent-framed keys and values, from the registry this node serves (it follows
 * `_schemas` as every node's registry does, so the leader of a partition can read it). Parsing a
 * schema costs far more than decoding a record, hence the cache.
 */
export class SchemaLookup {
  private readonly parsed = new Map<number, ParsedSchema>();
  private readonly registry: SchemaRegistryView | null;

  constructor(registry: SchemaRegistryView | null) {
    this.registry = registry;
  }

  /**
   * The schema of `id`; its subject is `preferredSubject` when that subject uses it (the topic
   * name strategy's `<topic>-key` / `<topic>-value`), else the first subject that does.
   */
  find(id: number, preferredSubject: string): SchemaFound {
    if (this.registry === null) return { error: "this node serves no Schema Registry" };
    try {
      let parsed = this.parsed.get(id);
      if (parsed === undefined) {
        parsed = this.registry.parsedById(id);
        if (this.parsed.size >= SCHEMAS_CACHED_MAX) this.parsed.clear();
        this.parsed.set(id, parsed);
      }
      const versions = this.registry.versionsOfId(id);
      const named = versions.find((v) => v.subject === preferredSubject) ?? versions[0];
      return {
        info: {
          id,
          type: parsed.schemaType,
          subject: named?.subject ?? null,
          version: named?.version ?? null,
        },
        parsed,
      };
    } catch (error) {
      if (error instanceof RegistryError && error.errorCode === 40403)
        return { error: `schema id ${id} is not in the Schema Registry` };
      return {
        error: `schema id ${id} cannot be read: ${error instanceof Error ? error.message : String(error)}`,
      };
    }
  }
}
