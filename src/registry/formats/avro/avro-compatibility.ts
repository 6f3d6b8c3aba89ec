import type avro from "avsc";
import type { CheckRoles, CompatibilityIssue } from "../schema-format.js";

/**
 * Avro schema resolution as Apache Avro's Java `SchemaCompatibility` decides it (which is what
 * Confluent's registry runs): can `reader` decode data written with `writer`? Types come from
 * avsc (parsed and validated there), the rules are Avro's specification:
 * - same primitive: fine; promotions int->long->float->double, string<->bytes;
 * - records: names compared without namespace (then reader aliases against the writer's full
 *   name); every reader field must be in the writer (by name or reader field alias) or have a
 *   default; writer-only fields are skipped;
 * - enums: writer symbols must exist in the reader unless the reader has a default symbol;
 * - fixed: same name rule and same size; arrays/maps: element types recursively;
 * - unions: every writer branch must be readable; a non-union writer needs one readable branch.
 * avsc's own `createResolver` compares full names, so it is not used as the verdict.
 */

type Issue = CompatibilityIssue;

interface Walk {
  roles: CheckRoles;
  /** Pairs being compared higher up the stack: recursive types are assumed compatible there. */
  inProgress: Map<avro.Type, Set<avro.Type>>;
}

const PROMOTIONS: Record<string, readonly string[]> = {
  long: ["int"],
  float: ["int", "long"],
  double: ["int", "long", "float"],
  string: ["bytes"],
  bytes: ["string"],
};

export function checkAvroCompatibility(reader: avro.Type, writer: avro.Type, roles: CheckRoles): Issue[] {
  return compare(reader, writer, "", { roles, inProgress: new Map() });
}

function kind(type: avro.Type): string {
  const name = type.typeName;
  if (name.startsWith("union")) return "union";
  if (name === "error") return "record";
  return name;
}

function shortName(full: string | undefined): string {
  if (full === undefined) return "";
  return full.slice(full.lastIndexOf(".") + 1);
}

function branches(type: avro.Type): avro.Type[] {
  return (type as unknown as { types: avro.Type[] }).types;
}

function compare(reader: avro.Type, writer: avro.Type, path: string, walk: Walk): Issue[] {
  let seen = walk.inProgress.get(reader);
  if (seen?.has(writer)) return [];
  if (!seen) {
    seen = new Set();
    walk.inProgress.set(reader, seen);
  }
  seen.add(writer);
  try {
    return compareTypes(reader, writer, path, walk);
  } finally {
    seen.delete(writer);
  }
}

function compareTypes(reader: avro.Type, writer: avro.Type, path: string, walk: Walk): Issue[] {
  const readerKind = kind(reader);
  const writerKind = kind(writer);
  if (writerKind === "union") {
    // Every branch the writer may have used must be readable.
    return branches(writer).flatMap((branch, i) => compare(reader, branch, `${path}/${i}`, walk));
  }
  if (readerKind === "union") {
    const readable = branches(reader).some((branch) => compare(branch, writer, path, walk).length === 0);
    return readable ? [] : [missingUnionBranch(writer, path, walk.roles)];
  }
  if (readerKind !== writerKind) {
    if (PROMOTIONS[readerKind]?.includes(writerKind)) return [];
    return [typeMismatch(readerKind, writerKind, path, walk.roles)];
  }
  switch (readerKind) {
    case "record":
      return compareRecords(reader as avro.types.RecordType, writer as avro.types.RecordType, path, walk);
    case "enum":
      return compareEnums(reader as avro.types.EnumType, writer as avro.types.EnumType, path, walk.roles);
    case "fixed":
      return compareFixed(reader as avro.types.FixedType, writer as avro.types.FixedType, path, walk.roles);
    case "array":
      return compare(
        (reader as avro.types.ArrayType).itemsType,
        (writer as avro.types.ArrayType).itemsType,
        `${path}/items`,
        walk,
      );
    case "map":
      return compare(
        (reader as avro.types.MapType).valuesType,
        (writer as avro.types.MapType).valuesType,
        `${path}/values`,
        walk,
      );
    default:
      return [];
  }
}

function namesMatch(reader: avro.Type, writer: avro.Type): boolean {
  if (shortName(reader.name) === shortName(writer.name)) return true;
  const aliases = (reader as unknown as { aliases?: string[] }).aliases ?? [];
  return writer.name !== undefined && aliases.includes(writer.name);
}

function nameMismatch(writer: avro.Type, path: string): Issue {
  return {
    errorType: "NAME_MISMATCH",
    description: `The name of the schema has changed (path '${path}/name')`,
    additionalInfo: `expected: ${writer.name}`,
  };
}

function compareRecords(
  reader: avro.types.RecordType,
  writer: avro.types.RecordType,
  path: string,
  walk: Walk,
): Issue[] {
  if (!namesMatch(reader, writer)) return [nameMismatch(writer, path)];
  const issues: Issue[] = [];
  reader.fields.forEach((field, i) => {
    const fieldPath = `${path}/fields/${i}`;
    const source =
      writer.field(field.name) ??
      field.aliases.map((alias) => writer.field(alias)).find((found) => found !== undefined);
    if (source) {
      issues.push(...compare(field.type, source.type, `${fieldPath}/type`, walk));
    } else if (field.defaultValue() === undefined) {
      issues.push({
        errorType: "READER_FIELD_MISSING_DEFAULT_VALUE",
        description: `The field '${field.name}' at path '${fieldPath}' in the ${walk.roles.reader} schema has no default value and is missing in the ${walk.roles.writer} schema`,
        additionalInfo: field.name,
      });
    }
  });
  return issues;
}

function compareEnums(
  reader: avro.types.EnumType,
  writer: avro.types.EnumType,
  path: string,
  roles: CheckRoles,
): Issue[] {
  if (!namesMatch(reader, writer)) return [nameMismatch(writer, path)];
  const missing = writer.symbols.filter((symbol) => !reader.symbols.includes(symbol));
  const readerDefault = (reader as unknown as { default?: string }).default;
  if (missing.length === 0 || (readerDefault !== undefined && reader.symbols.includes(readerDefault)))
    return [];
  return [
    {
      errorType: "MISSING_ENUM_SYMBOLS",
      description: `The ${roles.reader} schema is missing enum symbols '${missing.join(",")}' at path '${path}/symbols' in the ${roles.writer} schema`,
      additionalInfo: `[${missing.join(", ")}]`,
    },
  ];
}

function compareFixed(
  reader: avro.types.FixedType,
  writer: avro.types.FixedType,
  path: string,
  roles: CheckRoles,
): Issue[] {
  if (!namesMatch(reader, writer)) return [nameMismatch(writer, path)];
  if (reader.size === writer.size) return [];
  return [
    {
      errorType: "FIXED_SIZE_MISMATCH",
      description: `The size of FIXED type field at path '${path}/size' in the ${roles.reader} schema does not match with the ${roles.writer} schema`,
      additionalInfo: `expected: ${writer.size}, found: ${reader.size}`,
    },
  ];
}

function typeMismatch(readerKind: string, writerKind: string, path: string, roles: CheckRoles): Issue {
  return {
    errorType: "TYPE_MISMATCH",
    description: `The type (path '${path}') of a field in the ${roles.reader} schema does not match with the ${roles.writer} schema`,
    additionalInfo: `reader type: ${readerKind.toUpperCase()} not compatible with writer type: ${writerKind.toUpperCase()}`,
  };
}

function missingUnionBranch(writer: avro.Type, path: string, roles: CheckRoles): Issue {
  return {
    errorType: "MISSING_UNION_BRANCH",
    description: `The ${roles.reader} schema is missing a type inside a union field at path '${path}' in the ${roles.writer} schema`,
    additionalInfo: `reader union lacking writer type: ${kind(writer).toUpperCase()}`,
  };
}
