import type { SchemaReference } from "../../schema-types.js";
import type { MessageElement, ProtoFileElement, TypeElement } from "./proto-elements.js";
import type { Difference, DifferenceType } from "./protobuf-difference.js";

/**
 * The state of one Protobuf diff, after Confluent's diff `Context`: every type either schema can
 * name (its own, its references', and the built-in files') by full name, with the package and
 * the reference it came from; the current path (`#/Outer/Inner/3`) and the part of it that is a
 * type name (for resolving relative names as protoc does: innermost scope first); the messages
 * being compared (so recursive types stop); and the differences found, in order.
 */

/** Where a type was declared: the file's package, and the reference (subject, version) or none. */
export interface TypeInfo {
  readonly packageName: string;
  /** `{ subject: "", version: -1 }` for the schema's own types, null for built-in files. */
  readonly reference: Pick<SchemaReference, "subject" | "version"> | null;
  readonly type: TypeElement;
}

/** What the diff needs of a schema: its file, its direct references and every file it imports. */
export interface DiffSchema {
  readonly file: ProtoFileElement;
  readonly references: readonly SchemaReference[];
  /** Import name -> file, the references' (transitively) then the built-ins not referenced. */
  readonly dependencies: ReadonlyMap<string, ProtoFileElement>;
}

const OWN_REFERENCE = { subject: "", version: -1 };

/**
 * The diff's recursive steps (protobuf-diff.ts and message-schema-diff.ts), handed in through the
 * context so that a field's message type and a message's nested types are compared without the
 * per-element modules importing the ones that import them.
 */
export interface DiffWalker {
  compareMessages(ctx: DiffContext, original: MessageElement, update: MessageElement): void;
  compareTypeElements(
    ctx: DiffContext,
    original: readonly TypeElement[],
    update: readonly TypeElement[],
  ): void;
}

export class DiffContext {
  readonly compatibleChanges: ReadonlySet<DifferenceType>;
  readonly walker: DiffWalker;
  readonly differences: Difference[] = [];
  private readonly schemas: Set<MessageElement>;
  private readonly originalTypes: Map<string, TypeInfo>;
  private readonly updateTypes: Map<string, TypeInfo>;
  private originalPackageName = "";
  private updatePackageName = "";
  private fullPath: string[] = [];
  private fullName: string[] = [];

  constructor(compatibleChanges: ReadonlySet<DifferenceType>, walker: DiffWalker, parent?: DiffContext) {
    this.compatibleChanges = compatibleChanges;
    this.walker = walker;
    this.schemas = new Set(parent?.schemas);
    this.originalTypes = parent?.originalTypes ?? new Map();
    this.updateTypes = parent?.updateTypes ?? new Map();
    if (parent) {
      this.originalPackageName = parent.originalPackageName;
      this.updatePackageName = parent.updatePackageName;
      this.fullPath = [...parent.fullPath];
      this.fullName = [...parent.fullName];
    }
  }

  subcontext(): DiffContext {
    return new DiffContext(this.compatibleChanges, this.walker, this);
  }

  collectTypeInfo(schema: DiffSchema, isOriginal: boolean): void {
    const references = new Map(schema.references.map((r) => [r.name, r]));
    for (const [name, file] of schema.dependencies) {
      this.collectFile(references.get(name) ?? null, file, isOriginal);
    }
    this.collectFile(OWN_REFERENCE, schema.file, isOriginal);
  }

  private collectFile(reference: TypeInfo["reference"], file: ProtoFileElement, isOriginal: boolean): void {
    this.setPackageName(file.packageName, isOriginal);
    this.collectTypes(reference, file.types, isOriginal);
  }

  private collectTypes(
    reference: TypeInfo["reference"],
    types: readonly TypeElement[],
    isOriginal: boolean,
  ): void {
    const packageName = isOriginal ? this.originalPackageName : this.updatePackageName;
    for (const type of types) {
      this.fullPath.push(type.name);
      const local = this.fullPath.join(".");
      const name = packageName === "" ? local : `${packageName}.${local}`;
      (isOriginal ? this.originalTypes : this.updateTypes).set(name, { packageName, reference, type });
      this.collectTypes(reference, type.nestedTypes, isOriginal);
      this.fullPath.pop();
    }
  }

  setPackageName(packageName: string, isOriginal: boolean): void {
    if (isOriginal) this.originalPackageName = packageName;
    else this.updatePackageName = packageName;
  }

  /** Restarts the path at a type's local name (`outer.GoogleHome` -> `#/outer/GoogleHome`). */
  setFullName(name: string): void {
    this.fullPath = name.split(".");
    this.fullName = name.split(".");
  }

  /** Runs `body` with `segment` appended to the path (and, for a type name, to the name scope). */
  within<T>(segment: string, body: () => T, named = false): T {
    this.fullPath.push(segment);
    if (named) this.fullName.push(segment);
    try {
      return body();
    } finally {
      if (named) this.fullName.pop();
      this.fullPath.pop();
    }
  }

  /** Runs `body` unless `message` is already being compared further up (a recursive type). */
  enterSchema(message: MessageElement, body: () => void): void {
    if (this.schemas.has(message)) return;
    this.schemas.add(message);
    try {
      body();
    } finally {
      this.schemas.delete(message);
    }
  }

  getType(name: string, isOriginal: boolean): TypeInfo | null {
    const fullName = this.resolve(name, isOriginal);
    return fullName === null ? null : this.typeForFullName(fullName, isOriginal);
  }

  typeForFullName(fullName: string, isOriginal: boolean): TypeInfo | null {
    const name = fullName.startsWith(".") ? fullName.slice(1) : fullName;
    return (isOriginal ? this.originalTypes : this.updateTypes).get(name) ?? null;
  }

  /** The full name `name` denotes from the current scope, protoc's way; null when unknown. */
  resolve(name: string, isOriginal: boolean): string | null {
    if ((isOriginal ? this.originalTypes : this.updateTypes).size === 0) return null;
    if (name.startsWith(".")) {
      const full = name.slice(1);
      return this.typeForFullName(full, isOriginal) ? full : null;
    }
    const packageName = isOriginal ? this.originalPackageName : this.updatePackageName;
    const prefix = [...(packageName === "" ? [] : packageName.split(".")), ...this.fullName];
    while (prefix.length > 0) {
      const candidate = `${prefix.join(".")}.${name}`;
      if (this.typeForFullName(candidate, isOriginal)) return candidate;
      prefix.pop();
    }
    return this.typeForFullName(name, isOriginal) ? name : null;
  }

  isCompatible(): boolean {
    return this.differences.every((d) => this.compatibleChanges.has(d.type));
  }

  addDifference(type: DifferenceType, segment?: string): void {
    const path = segment === undefined ? this.fullPath : [...this.fullPath, segment];
    this.differences.push({ type, fullPath: `#/${path.join("/")}` });
  }

  addDifferences(differences: readonly Difference[]): void {
    this.differences.push(...differences);
  }
}
