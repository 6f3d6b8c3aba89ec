import type avro from "avsc";
import { registryErrors } from "../../registry-error.js";
import type {
  CheckRoles,
  CompatibilityIssue,
  ParsedSchema,
  ResolvedReference,
  SchemaFormat,
} from "../schema-format.js";
import { renderAvroSchema } from "./avro-canonical.js";
import { checkAvroCompatibility } from "./avro-compatibility.js";
import { avsc } from "./avsc.js";

/** An Avro schema parsed by avsc; logical types stay their underlying types, as in resolution. */
export class AvroSchema implements ParsedSchema {
  readonly schemaType = "AVRO" as const;
  readonly type: avro.Type;
  readonly canonical: string;
  private readonly json: unknown;
  private readonly knownNames: string[];

  constructor(type: avro.Type, json: unknown, knownNames: string[]) {
    this.type = type;
    this.json = json;
    this.knownNames = knownNames;
    this.canonical = renderAvroSchema(json, knownNames);
  }

  normalized(): string {
    return renderAvroSchema(this.json, this.knownNames, true);
  }
}

type AvroRegistry = Record<string, avro.Type>;

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    // Avro also accepts a bare type name such as `string` for a primitive schema.
    if (/^[A-Za-z_][A-Za-z0-9_.]*$/.test(text.trim())) return text.trim();
    throw registryErrors.invalidSchema(`Invalid schema: not valid JSON: ${text.slice(0, 200)}`);
  }
}

function forSchema(json: unknown, registry: AvroRegistry): avro.Type {
  try {
    // avsc validates names and default values as Java Avro does with validation on.
    return avsc().Type.forSchema(json as avro.Schema, { registry });
  } catch (error) {
    throw registryErrors.invalidSchema(`Invalid schema: ${(error as Error).message}`, { cause: error });
  }
}

/** Parses references depth-first so that each one's named types are known to what refers to it. */
function addReferences(references: readonly ResolvedReference[], registry: AvroRegistry, seen: Set<string>) {
  for (const reference of references) {
    const key = `${reference.subject}\u0000${reference.version}`;
    if (seen.has(key)) continue;
    seen.add(key);
    if (reference.schemaType !== "AVRO") {
      throw registryErrors.invalidSchema(`Invalid schema: reference ${reference.name} is not an Avro schema`);
    }
    addReferences(reference.references, registry, seen);
    const json = parseJson(reference.schema);
    if (typeof json === "string" && registry[json]) continue;
    forSchema(json, registry);
  }
}

function namedTypes(registry: AvroRegistry): string[] {
  return Object.entries(registry)
    .filter(([, type]) => type.name !== undefined)
    .map(([name]) => name);
}

export const avroFormat: SchemaFormat = {
  schemaType: "AVRO",

  parse(text: string, references: readonly ResolvedReference[]): AvroSchema {
    if (text.trim() === "") throw registryErrors.invalidSchema("Invalid schema: empty schema");
    const registry: AvroRegistry = {};
    addReferences(references, registry, new Set());
    const knownNames = namedTypes(registry);
    const json = parseJson(text);
    const type = forSchema(json, registry);
    try {
      return new AvroSchema(type, json, knownNames);
    } catch (error) {
      throw registryErrors.invalidSchema(`Invalid schema: ${(error as Error).message}`, { cause: error });
    }
  },

  check(reader: ParsedSchema, writer: ParsedSchema, roles: CheckRoles): CompatibilityIssue[] {
    if (!(reader instanceof AvroSchema) || !(writer instanceof AvroSchema)) {
      return [{ errorType: "TYPE_MISMATCH", description: "Incompatible because of different schema type" }];
    }
    return checkAvroCompatibility(reader.type, writer.type, roles);
  },
};
