/**
 * Kafka's ACL enums (org.apache.kafka.common.acl and .resource) with their wire codes, as
 * CreateAcls, DescribeAcls, DeleteAcls and the AccessControlEntry metadata record carry them. A
 * code Kafka does not define reads as UNKNOWN (its `fromCode`), which is how an unknown value
 * reaches the controller's checks. Names are the Java constants' (what `toString` prints);
 * `pascalName` is SecurityUtils' rendering (`IdempotentWrite`, `TransactionalId`), which the
 * tools parse and the authorizer's audit lines print.
 */

export const ResourceType = {
  UNKNOWN: 0,
  ANY: 1,
  TOPIC: 2,
  GROUP: 3,
  CLUSTER: 4,
  TRANSACTIONAL_ID: 5,
  DELEGATION_TOKEN: 6,
  USER: 7,
} as const;

export const PatternType = {
  UNKNOWN: 0,
  ANY: 1,
  MATCH: 2,
  LITERAL: 3,
  PREFIXED: 4,
} as const;

export const AclOperation = {
  UNKNOWN: 0,
  ANY: 1,
  ALL: 2,
  READ: 3,
  WRITE: 4,
  CREATE: 5,
  DELETE: 6,
  ALTER: 7,
  DESCRIBE: 8,
  CLUSTER_ACTION: 9,
  DESCRIBE_CONFIGS: 10,
  ALTER_CONFIGS: 11,
  IDEMPOTENT_WRITE: 12,
  CREATE_TOKENS: 13,
  DESCRIBE_TOKENS: 14,
} as const;

export const AclPermissionType = {
  UNKNOWN: 0,
  ANY: 1,
  DENY: 2,
  ALLOW: 3,
} as const;

/** The one name of the CLUSTER resource (Kafka's Resource.CLUSTER_NAME). */
export const CLUSTER_NAME = "kafka-cluster";
/** The literal resource name that matches every resource of its type (ResourcePattern.WILDCARD_RESOURCE). */
export const WILDCARD_RESOURCE = "*";
/** The host of ACLs that match every host. */
export const WILDCARD_HOST = "*";

type Enum = Readonly<Record<string, number>>;

function namesOf(e: Enum): readonly string[] {
  const names: string[] = [];
  for (const [name, code] of Object.entries(e)) names[code] = name;
  return names;
}

const RESOURCE_TYPE_NAMES = namesOf(ResourceType);
const PATTERN_TYPE_NAMES = namesOf(PatternType);
const OPERATION_NAMES = namesOf(AclOperation);
const PERMISSION_TYPE_NAMES = namesOf(AclPermissionType);

/** The code as Kafka's enum reads it: codes it does not define are UNKNOWN (0). */
function known(names: readonly string[], code: number): number {
  return Number.isInteger(code) && code >= 0 && code < names.length ? code : 0;
}

export const resourceTypeOf = (code: number): number => known(RESOURCE_TYPE_NAMES, code);
export const patternTypeOf = (code: number): number => known(PATTERN_TYPE_NAMES, code);
export const operationOf = (code: number): number => known(OPERATION_NAMES, code);
export const permissionTypeOf = (code: number): number => known(PERMISSION_TYPE_NAMES, code);

export const resourceTypeName = (code: number): string => RESOURCE_TYPE_NAMES[resourceTypeOf(code)] as string;
export const patternTypeName = (code: number): string => PATTERN_TYPE_NAMES[patternTypeOf(code)] as string;
export const operationName = (code: number): string => OPERATION_NAMES[operationOf(code)] as string;
export const permissionTypeName = (code: number): string =>
  PERMISSION_TYPE_NAMES[permissionTypeOf(code)] as string;

/** SecurityUtils.toPascalCase: `TRANSACTIONAL_ID` -> `TransactionalId`. */
export function pascalCase(name: string): string {
  let out = "";
  let capitalizeNext = true;
  for (const c of name) {
    if (c === "_") capitalizeNext = true;
    else if (capitalizeNext) {
      out += c.toUpperCase();
      capitalizeNext = false;
    } else out += c.toLowerCase();
  }
  return out;
}

/**
 * SecurityUtils' lookup by name: the PascalCase name or its upper case (`Read`, `READ`,
 * `IdempotentWrite`, `IDEMPOTENTWRITE`; not `IDEMPOTENT_WRITE`), the name given or upper-cased
 * (`read`, `idempotentwrite`), else UNKNOWN.
 */
function byPascalName(names: readonly string[]): (name: string) => number {
  const table = new Map<string, number>();
  names.forEach((name, code) => {
    const pascal = pascalCase(name);
    table.set(pascal, code);
    table.set(pascal.toUpperCase(), code);
  });
  return (name) => table.get(name) ?? table.get(name.toUpperCase()) ?? 0;
}

export const operationByName = byPascalName(OPERATION_NAMES);
export const resourceTypeByName = byPascalName(RESOURCE_TYPE_NAMES);
export const permissionTypeByName = byPascalName(PERMISSION_TYPE_NAMES);

/**
 * What a resource type supports (Kafka's AclEntry.supportedOperations): the bits KIP-430's
 * authorized operations are made of, and what kafka-acls accepts for the type.
 */
export function supportedOperations(resourceType: number): readonly number[] {
  switch (resourceType) {
    case ResourceType.TOPIC:
      return TOPIC_OPERATIONS;
    case ResourceType.GROUP:
      return GROUP_OPERATIONS;
    case ResourceType.CLUSTER:
      return CLUSTER_OPERATIONS;
    case ResourceType.TRANSACTIONAL_ID:
      return [AclOperation.DESCRIBE, AclOperation.WRITE];
    case ResourceType.DELEGATION_TOKEN:
      return [AclOperation.DESCRIBE];
    case ResourceType.USER:
      return [AclOperation.CREATE_TOKENS, AclOperation.DESCRIBE_TOKENS];
    default:
      return [];
  }
}

const TOPIC_OPERATIONS = [
  AclOperation.READ,
  AclOperation.WRITE,
  AclOperation.CREATE,
  AclOperation.DESCRIBE,
  AclOperation.DELETE,
  AclOperation.ALTER,
  AclOperation.DESCRIBE_CONFIGS,
  AclOperation.ALTER_CONFIGS,
];
const GROUP_OPERATIONS = [
  AclOperation.READ,
  AclOperation.DESCRIBE,
  AclOperation.DELETE,
  AclOperation.DESCRIBE_CONFIGS,
  AclOperation.ALTER_CONFIGS,
];
const CLUSTER_OPERATIONS = [
  AclOperation.CREATE,
  AclOperation.CLUSTER_ACTION,
  AclOperation.DESCRIBE_CONFIGS,
  AclOperation.ALTER_CONFIGS,
  AclOperation.IDEMPOTENT_WRITE,
  AclOperation.ALTER,
  AclOperation.DESCRIBE,
];
