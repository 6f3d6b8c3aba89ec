import protobuf from "protobufjs";
import { registryErrors } from "../../registry-error.js";
import type {
  CheckRoles,
  CompatibilityIssue,
  ParsedSchema,
  ResolvedReference,
  SchemaFormat,
} from "../schema-format.js";
import { diffProtobufSchemas } from "./protobuf-diff.js";
import { layoutProto, tokenizeProto, topLevelStatements } from "./protobuf-text.js";

/** Imports every registry provides without a reference (Confluent ships these). */
const BUILTIN_IMPORT_PREFIXES = ["google/protobuf/", "google/type/", "confluent/"];
/** Packages of those built-ins: field types from them need not resolve. */
const BUILTIN_PACKAGES = ["google.protobuf.", "google.type.", "confluent."];
/** References nest; past this depth the chain is refused. */
const PROTO_REFERENCE_DEPTH_MAX = 32;

/**
 * A .proto file parsed by protobufjs. `root` holds this file and everything it imports (for
 * type lookups); `messages` are this file's own top-level messages in declaration order, which
 * is what the serializers' message indexes count.
 */
export class ProtobufSchema implements ParsedSchema {
  readonly schemaType = "PROTOBUF" as const;
  readonly canonical: string;
  readonly root: protobuf.Root;
  readonly packageName: string;
  readonly syntax: string;
  readonly messages: protobuf.Type[];
  readonly enums: protobuf.Enum[];
  private readonly tokens: string[];

  constructor(tokens: string[], root: protobuf.Root, own: protobuf.IParserResult) {
    this.tokens = tokens;
    this.canonical = layoutProto(tokens);
    this.root = root;
    this.packageName = own.package ?? "";
    this.syntax = syntaxOf(tokens);
    const scope = this.packageName === "" ? own.root : own.root.lookup(this.packageName);
    // Own definitions, taken from the full root so that their field types resolve there.
    const nested = ((scope as protobuf.Namespace | null)?.nestedArray ?? []).map(
      (n) => root.lookup(n.fullName) ?? n,
    );
    this.messages = nested.filter((n): n is protobuf.Type => n instanceof protobuf.Type);
    this.enums = nested.filter((n): n is protobuf.Enum => n instanceof protobuf.Enum);
  }

  /** Normalized: imports sorted and de-duplicated; everything else as in the canonical text. */
  normalized(): string {
    const statements = topLevelStatements(this.tokens);
    const isImport = (s: string[]) => s[0] === "import";
    const imports = statements
      .filter(isImport)
      .map((s) => s.join(" "))
      .filter((s, i, all) => all.indexOf(s) === i)
      .sort();
    const out: string[] = [];
    let placed = false;
    for (const statement of statements) {
      if (!isImport(statement)) out.push(...statement);
      else if (!placed) {
        placed = true;
        for (const line of imports) out.push(...line.split(" "));
      }
    }
    return layoutProto(out);
  }

  /** The message for a message-index path (top-level index, then nested indexes). */
  messageAt(indexes: readonly number[]): protobuf.Type | undefined {
    let current: protobuf.Type | undefined = this.messages[indexes[0] ?? 0];
    for (const index of indexes.slice(1)) {
      current = current?.nestedArray.filter((n): n is protobuf.Type => n instanceof protobuf.Type)[index];
    }
    return current;
  }
}

function syntaxOf(tokens: readonly string[]): string {
  const at = tokens.indexOf("syntax");
  if (at === 0 && tokens[1] === "=") return (tokens[2] ?? '"proto2"').slice(1, -1);
  const edition = tokens.indexOf("edition");
  if (edition === 0) return `edition ${tokens[2] ?? ""}`;
  return "proto2";
}

function invalid(message: string, cause?: unknown): never {
  throw registryErrors.invalidSchema(
    `Invalid schema: ${message}`,
    cause === undefined ? undefined : { cause },
  );
}

function parseInto(text: string, root: protobuf.Root): protobuf.IParserResult {
  try {
    return protobuf.parse(text, root, { keepCase: true, alternateCommentMode: true });
  } catch (error) {
    return invalid((error as Error).message, error);
  }
}

function addImports(
  imports: readonly string[],
  references: readonly ResolvedReference[],
  root: protobuf.Root,
  depth: number,
  seen: Set<string>,
): void {
  if (depth > PROTO_REFERENCE_DEPTH_MAX) invalid("references nested too deeply");
  for (const name of imports) {
    if (seen.has(name)) continue;
    seen.add(name);
    const reference = references.find((r) => r.name === name);
    if (reference) {
      if (reference.schemaType !== "PROTOBUF") invalid(`reference ${name} is not a Protobuf schema`);
      const parsed = parseInto(reference.schema, root);
      addImports(parsed.imports ?? [], reference.references, root, depth + 1, seen);
      continue;
    }
    const common = protobuf.common.get(name);
    if (common) root.addJSON((common as { nested: Record<string, protobuf.AnyNestedObject> }).nested);
    else if (!BUILTIN_IMPORT_PREFIXES.some((prefix) => name.startsWith(prefix))) {
      invalid(`import ${name} is not among the schema's references`);
    }
  }
}

/** Every field type must resolve, except types of the built-in packages protobufjs lacks. */
function checkFieldTypes(namespace: protobuf.NamespaceBase): void {
  for (const nested of namespace.nestedArray) {
    if (nested instanceof protobuf.Type) {
      for (const field of nested.fieldsArray) {
        if (field.resolvedType !== null || isScalar(field.type)) continue;
        const found = nested.lookup(field.type, [protobuf.Type, protobuf.Enum]);
        const name = field.type.replace(/^\./, "");
        if (!found && !BUILTIN_PACKAGES.some((p) => name.startsWith(p))) {
          invalid(`field ${nested.fullName}.${field.name} has unknown type ${field.type}`);
        }
      }
    }
    if (nested instanceof protobuf.Namespace || nested instanceof protobuf.Type) checkFieldTypes(nested);
  }
}

export const SCALAR_TYPES = new Set([
  "double",
  "float",
  "int32",
  "int64",
  "uint32",
  "uint64",
  "sint32",
  "sint64",
  "fixed32",
  "fixed64",
  "sfixed32",
  "sfixed64",
  "bool",
  "string",
  "bytes",
]);

export function isScalar(type: string): boolean {
  return SCALAR_TYPES.has(type);
}

export const protobufFormat: SchemaFormat = {
  schemaType: "PROTOBUF",

  parse(text: string, references: readonly ResolvedReference[]): ProtobufSchema {
    let tokens: string[];
    try {
      tokens = tokenizeProto(text);
    } catch (error) {
      return invalid((error as Error).message, error);
    }
    if (tokens.length === 0) invalid("empty schema");
    const own = parseInto(text, new protobuf.Root());
    const root = new protobuf.Root();
    addImports(own.imports ?? [], references, root, 0, new Set());
    addImports(own.weakImports ?? [], references, root, 0, new Set(own.imports ?? []));
    parseInto(text, root);
    checkFieldTypes(root);
    return new ProtobufSchema(tokens, root, own);
  },

  check(reader: ParsedSchema, writer: ParsedSchema, roles: CheckRoles): CompatibilityIssue[] {
    if (!(reader instanceof ProtobufSchema) || !(writer instanceof ProtobufSchema)) {
      return [
        { errorType: "SCHEMA_TYPE_CHANGED", description: "Incompatible because of different schema type" },
      ];
    }
    return diffProtobufSchemas(writer, reader, roles);
  },
};
