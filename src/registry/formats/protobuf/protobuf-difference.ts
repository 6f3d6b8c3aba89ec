import type { CheckRoles, CompatibilityIssue } from "../schema-format.js";

/**
 * Confluent's Protobuf `Difference.Type` catalogue (protobuf-provider, diff/Difference.java), the
 * set of changes its `SchemaDiff` treats as compatible, and its messages. A difference names a
 * path such as `#/TestMessage/new_oneof/3`: type names, oneof names and field tags from the top.
 */

export const DIFFERENCE_TYPES = [
  "PACKAGE_CHANGED",
  "MESSAGE_ADDED",
  "MESSAGE_REMOVED",
  "MESSAGE_MOVED",
  "ENUM_ADDED",
  "ENUM_REMOVED",
  "ENUM_CONST_ADDED",
  "ENUM_CONST_CHANGED",
  "ENUM_CONST_REMOVED",
  "FIELD_ADDED",
  "FIELD_REMOVED",
  "FIELD_NAME_CHANGED",
  "FIELD_KIND_CHANGED",
  "FIELD_SCALAR_KIND_CHANGED",
  "FIELD_NAMED_TYPE_CHANGED",
  "FIELD_NUMERIC_LABEL_CHANGED",
  "FIELD_STRING_OR_BYTES_LABEL_CHANGED",
  "REQUIRED_FIELD_ADDED",
  "REQUIRED_FIELD_REMOVED",
  "ONEOF_ADDED",
  "ONEOF_REMOVED",
  "ONEOF_FIELD_ADDED",
  "ONEOF_FIELD_REMOVED",
  "ONEOF_FIELD_MOVED_TO_TOP_LEVEL",
  "MULTIPLE_FIELDS_MOVED_TO_ONEOF",
  "FIELD_MOVED_TO_EXISTING_ONEOF",
] as const;

export type DifferenceType = (typeof DIFFERENCE_TYPES)[number];

export interface Difference {
  readonly type: DifferenceType;
  readonly fullPath: string;
}

/** Confluent's `SchemaDiff.COMPATIBLE_CHANGES`: every other difference makes a check fail. */
export const COMPATIBLE_CHANGES: ReadonlySet<DifferenceType> = new Set<DifferenceType>([
  "MESSAGE_ADDED",
  "MESSAGE_MOVED",
  "ENUM_ADDED",
  "ENUM_REMOVED",
  "ENUM_CONST_ADDED",
  "ENUM_CONST_CHANGED",
  "ENUM_CONST_REMOVED",
  "FIELD_ADDED",
  "FIELD_REMOVED",
  "FIELD_NAME_CHANGED",
  "FIELD_STRING_OR_BYTES_LABEL_CHANGED",
  "ONEOF_ADDED",
  "ONEOF_REMOVED",
  "ONEOF_FIELD_ADDED",
  "ONEOF_FIELD_MOVED_TO_TOP_LEVEL",
]);

/** Confluent's description; `<reader>` and `<writer>` are its two `%s` (new/old for BACKWARD). */
function template(type: DifferenceType, at: string): string {
  switch (type) {
    case "PACKAGE_CHANGED":
      return `The package at '${at}' in the <reader> schema does not match the package in the <writer> schema`;
    case "MESSAGE_REMOVED":
      return `The <reader> schema is missing a MESSAGE type at path '${at}' in the <writer> schema`;
    case "FIELD_KIND_CHANGED":
      return `The type of a field at path '${at}' in the <reader> schema does not match the <writer> schema`;
    case "FIELD_SCALAR_KIND_CHANGED":
      return `The kind of a SCALAR field at path '${at}' in the <reader> schema does not match its kind in the <writer> schema`;
    case "FIELD_NAMED_TYPE_CHANGED":
      return `The type of a MESSAGE field at path '${at}' in the <reader> schema does not match its type in the <writer> schema`;
    case "FIELD_NUMERIC_LABEL_CHANGED":
      return `The label for a NUMERIC field at path '${at}' in the <reader> schema does not match its label in the <writer> schema`;
    case "REQUIRED_FIELD_ADDED":
      return `A required field  at path '${at}' in the <reader> schema is missing in the <writer> schema`;
    case "REQUIRED_FIELD_REMOVED":
      return `The <reader> schema is missing a required field at path: '${at}' in the <writer> schema`;
    case "ONEOF_FIELD_REMOVED":
      return `The <reader> schema is missing a oneof field at path '${at}' in the <writer> schema`;
    case "ONEOF_FIELD_MOVED_TO_TOP_LEVEL":
      return `The oneof field at path '${at}' in the <reader> schema was moved out of its oneof to a top-level field in the <writer> schema`;
    case "MULTIPLE_FIELDS_MOVED_TO_ONEOF":
      return `Multiple fields in the oneof at path '${at}' in the <reader> schema are outside a oneof in the <writer> schema`;
    case "FIELD_MOVED_TO_EXISTING_ONEOF":
      return `A field in the oneof at path '${at}' in the <reader> schema is outside an existing oneof in the <writer> schema`;
    default:
      return "";
  }
}

export function differenceIssue(difference: Difference, roles: CheckRoles): CompatibilityIssue {
  const description = template(difference.type, difference.fullPath)
    .replaceAll("<reader>", roles.reader)
    .replaceAll("<writer>", roles.writer);
  return { errorType: difference.type, description };
}
