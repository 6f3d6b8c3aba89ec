import type protobuf from "protobufjs";
import { registryErrors } from "../../registry-error.js";
import type {
  CheckRoles,
  CompatibilityIssue,
  ParsedSchema,
  ResolvedReference,
  SchemaFormat,
} from "../schema-format.js";
import { BUILTIN_PROTOS } from "./builtin-protos.js";
import { looksSerialized, protoTextOfDescriptor, serializedDescriptor } from "./file-descriptor.js";
import { isScalar, type ProtoFileElement, protoFileElement } from "./proto-elements.js";
import { parseProto } from "./proto-parse.js";
import { diffProtobufSchemas } from "./protobuf-diff.js";
import type { DiffSchema } from "./protobuf-diff-context.js";
import { COMPATIBLE_CHANGES, differenceIssue } from "./protobuf-difference.js";
import { layoutProto, syntaxOf, tokenizeProto, topLevelStatements } from "./protobuf-text.js";
import { protobufjs } from "./protobufjs.js";

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
  private readonly imports: string[];
  private readonly nested: protobuf.ReflectionObject[];
  private readonly fileOptions: Record<string, unknown> | undefined;
  private readonly tokens: string[];
  private readonly references: readonly ResolvedReference[];
  private diffView: DiffSchema | undefined;

  constructor(
    tokens: string[],
    root: protobuf.Root,
    own: protobuf.IParserResult,
    references: readonly ResolvedReference[] = [],
  ) {
    this.tokens = tokens;
    this.references = references;
    this.canonical = layoutProto(tokens);
    this.root = root;
    this.packageName = own.package ?? "";
    this.syntax = syntaxOf(tokens);
    const scope = this.packageName === "" ? own.root : own.root.lookup(this.packageName);
    // Own definitions, taken from the full root so that their field types resolve there.
    const nested = ((scope as protobuf.Namespace | null)?.nestedArray ?? []).map(
      (n) => root.lookup(n.fullName) ?? n,
    );
    this.nested = nested;
    this.fileOptions = (scope as protobuf.Namespace | null)?.options;
    this.imports = [...(own.imports ?? []), ...(own.weakImports ?? [])];
    this.messages = nested.filter((n): n is protobuf.Type => n instanceof protobufjs().Type);
    this.enums = nested.filter((n): n is protobuf.Enum => n instanceof protobufjs().Enum);
  }

  /** The file, its references and its imports as elements, as the compatibility diff sees them. */
  diffSchema(): DiffSchema {
    if (this.diffView === undefined) {
      const dependencies = new Map<string, ProtoFileElement>();
      const visit = (references: readonly ResolvedReference[]) => {
        for (const reference of references) {
          if (dependencies.has(reference.name)) continue;
          dependencies.set(reference.name, protoFileElement(reference.schema));
          visit(reference.references);
        }
      };
      visit(this.references);
      for (const [name, file] of builtinFileElements())
        if (!dependencies.has(name)) dependencies.set(name, file);
      const file = protoFileElement(layoutProto(this.tokens));
      this.diffView = { file, references: this.references, dependencies };
    }
    return this.diffView;
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

  /** The file as a base64 FileDescriptorProto (`format=serialized`). */
  serialized(): string {
    return serializedDescriptor({
      packageName: this.packageName,
      syntax: this.syntax,
      imports: this.imports,
      nested: this.nested,
      options: this.fileOptions,
    });
  }

  /** The message for a message-index path (top-level index, then nested indexes). */
  messageAt(indexes: readonly number[]): protobuf.Type | undefined {
    let current: protobuf.Type | undefined = this.messages[indexes[0] ?? 0];
    for (const index of indexes.slice(1)) {
      current = current?.nestedArray.filter((n): n is protobuf.Type => n instanceof protobufjs().Type)[index];
    }
    return current;
  }
}

let builtinElements: Map<string, ProtoFileElement> | undefined;

/** The built-in files as elements, parsed once. */
function builtinFileElements(): ReadonlyMap<string, ProtoFileElement> {
  if (builtinElements === undefined) {
    builtinElements = new Map([...BUILTIN_PROTOS].map(([name, text]) => [name, protoFileElement(text)]));
  }
  return builtinElements;
}

function invalid(message: string, cause?: unknown): never {
  throw registryErrors.invalidSchema(
    `Invalid schema: ${message}`,
    cause === undefined ? undefined : { cause },
  );
}

function parseInto(text: string, root: protobuf.Root): protobuf.IParserResult {
  try {
    return parseProto(text, root);
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
    const builtin = BUILTIN_PROTOS.get(name);
    if (builtin === undefined) invalid(`import ${name} is not among the schema's references`);
    const parsed = parseInto(builtin, root);
    addImports(parsed.imports ?? [], [], root, depth + 1, seen);
  }
}

/** Every field type must resolve, except types of the built-in packages protobufjs lacks. */
function checkFieldTypes(namespace: protobuf.NamespaceBase): void {
  for (const nested of namespace.nestedArray) {
    if (nested instanceof protobufjs().Type) {
      for (const field of nested.fieldsArray) {
        if (field.resolvedType !== null || isScalar(field.type)) continue;
        const found = nested.lookup(field.type, [protobufjs().Type, protobufjs().Enum]);
        const name = field.type.replace(/^\./, "");
        if (!found && !BUILTIN_PACKAGES.some((p) => name.startsWith(p))) {
          invalid(`field ${nested.fullName}.${field.name} has unknown type ${field.type}`);
        }
      }
    }
    if (nested instanceof protobufjs().Namespace || nested instanceof protobufjs().Type)
      checkFieldTypes(nested);
  }
}

export const protobufFormat: SchemaFormat = {
  schemaType: "PROTOBUF",

  parse(given: string, references: readonly ResolvedReference[]): ProtobufSchema {
    // Confluent's clients register base64 FileDescriptorProtos; the .proto rendering is stored.
    const text = looksSerialized(given) ? protoTextOfDescriptor(given) : given;
    let tokens: string[];
    try {
      tokens = tokenizeProto(text);
    } catch (error) {
      return invalid((error as Error).message, error);
    }
    if (tokens.length === 0) invalid("empty schema");
    const own = parseInto(text, new (protobufjs().Root)());
    const root = new (protobufjs().Root)();
    addImports(own.imports ?? [], references, root, 0, new Set());
    addImports(own.weakImports ?? [], references, root, 0, new Set(own.imports ?? []));
    parseInto(text, root);
    checkFieldTypes(root);
    return new ProtobufSchema(tokens, root, own, references);
  },

  check(reader: ParsedSchema, writer: ParsedSchema, roles: CheckRoles): CompatibilityIssue[] {
    if (!(reader instanceof ProtobufSchema) || !(writer instanceof ProtobufSchema)) {
      return [{ errorType: "TYPE_CHANGED", description: "Incompatible because of different schema type" }];
    }
    // The writer's schema is the original, the reader's the update (Confluent's isBackwardCompatible).
    return diffProtobufSchemas(writer.diffSchema(), reader.diffSchema())
      .filter((difference) => !COMPATIBLE_CHANGES.has(difference.type))
      .map((difference) => differenceIssue(difference, roles));
  },
};
