import {
  AclOperation,
  AclPermissionType,
  operationName,
  PatternType,
  patternTypeName,
  permissionTypeName,
  ResourceType,
  resourceTypeName,
  WILDCARD_RESOURCE,
} from "./acl-enums.js";

/**
 * Kafka's ACL bindings and binding filters (org.apache.kafka.common.acl): a resource pattern
 * (type, name, LITERAL or PREFIXED) with an access control entry (principal, host, operation,
 * ALLOW or DENY), and the filters DescribeAcls and DeleteAcls match them with. Codes are the wire
 * codes of acl-enums.ts; `toString`s are Kafka's, which its tools print.
 */

export interface ResourcePattern {
  readonly resourceType: number;
  readonly name: string;
  readonly patternType: number;
}

export interface AccessControlEntry {
  /** `principalType:name`, e.g. `User:alice`; `User:*` is every user. */
  readonly principal: string;
  readonly host: string;
  readonly operation: number;
  readonly permissionType: number;
}

export interface AclBinding {
  readonly pattern: ResourcePattern;
  readonly entry: AccessControlEntry;
}

/** A null name matches any name; ANY matches any type; MATCH (pattern type) any pattern that applies to the name. */
export interface ResourcePatternFilter {
  readonly resourceType: number;
  readonly name: string | null;
  readonly patternType: number;
}

/** Null principal or host match any; ANY operation or permission matches any. */
export interface AccessControlEntryFilter {
  readonly principal: string | null;
  readonly host: string | null;
  readonly operation: number;
  readonly permissionType: number;
}

export interface AclBindingFilter {
  readonly patternFilter: ResourcePatternFilter;
  readonly entryFilter: AccessControlEntryFilter;
}

export const ANY_ENTRY_FILTER: AccessControlEntryFilter = {
  principal: null,
  host: null,
  operation: AclOperation.ANY,
  permissionType: AclPermissionType.ANY,
};

/** Every binding (Kafka's AclBindingFilter.ANY). */
export const ANY_BINDING_FILTER: AclBindingFilter = {
  patternFilter: { resourceType: ResourceType.ANY, name: null, patternType: PatternType.ANY },
  entryFilter: ANY_ENTRY_FILTER,
};

/** Kafka's ResourcePatternFilter.matches. */
export function patternFilterMatches(filter: ResourcePatternFilter, pattern: ResourcePattern): boolean {
  if (filter.resourceType !== ResourceType.ANY && filter.resourceType !== pattern.resourceType) return false;
  const any = filter.patternType === PatternType.ANY;
  if (!any && filter.patternType !== PatternType.MATCH && filter.patternType !== pattern.patternType)
    return false;
  if (filter.name === null) return true;
  if (any || filter.patternType === pattern.patternType) return filter.name === pattern.name;
  // MATCH: every pattern that applies to the filter's name.
  if (pattern.patternType === PatternType.LITERAL)
    return filter.name === pattern.name || pattern.name === WILDCARD_RESOURCE;
  if (pattern.patternType === PatternType.PREFIXED) return filter.name.startsWith(pattern.name);
  return false;
}

/** Kafka's AccessControlEntryFilter.matches. */
export function entryFilterMatches(filter: AccessControlEntryFilter, entry: AccessControlEntry): boolean {
  if (filter.principal !== null && filter.principal !== entry.principal) return false;
  if (filter.host !== null && filter.host !== entry.host) return false;
  if (filter.operation !== AclOperation.ANY && filter.operation !== entry.operation) return false;
  return filter.permissionType === AclPermissionType.ANY || filter.permissionType === entry.permissionType;
}

export function bindingFilterMatches(filter: AclBindingFilter, binding: AclBinding): boolean {
  return (
    patternFilterMatches(filter.patternFilter, binding.pattern) &&
    entryFilterMatches(filter.entryFilter, binding.entry)
  );
}

/** Whether any of the filter's fields is UNKNOWN (Kafka's isUnknown): DeleteAcls refuses it. */
export function patternFilterIsUnknown(filter: ResourcePatternFilter): boolean {
  return (
    resourceTypeName(filter.resourceType) === "UNKNOWN" || patternTypeName(filter.patternType) === "UNKNOWN"
  );
}

export function entryFilterIsUnknown(filter: AccessControlEntryFilter): boolean {
  return (
    operationName(filter.operation) === "UNKNOWN" || permissionTypeName(filter.permissionType) === "UNKNOWN"
  );
}

/** `ResourcePattern(resourceType=TOPIC, name=t, patternType=LITERAL)`, for a pattern or a filter (null name: `<any>`). */
export function resourcePatternString(p: ResourcePattern | ResourcePatternFilter): string {
  return `ResourcePattern(resourceType=${resourceTypeName(p.resourceType)}, name=${p.name ?? "<any>"}, patternType=${patternTypeName(p.patternType)})`;
}

/** `(principal=User:alice, host=*, operation=READ, permissionType=ALLOW)`, for an entry or a filter. */
export function accessControlEntryString(e: AccessControlEntry | AccessControlEntryFilter): string {
  return `(principal=${e.principal ?? "<any>"}, host=${e.host ?? "<any>"}, operation=${operationName(e.operation)}, permissionType=${permissionTypeName(e.permissionType)})`;
}

/** `(pattern=ResourcePattern(...), entry=(...))`. */
export function aclBindingString(b: AclBinding): string {
  return `(pattern=${resourcePatternString(b.pattern)}, entry=${accessControlEntryString(b.entry)})`;
}

/** `(patternFilter=ResourcePattern(...), entryFilter=(...))`. */
export function aclBindingFilterString(f: AclBindingFilter): string {
  return `(patternFilter=${resourcePatternString(f.patternFilter)}, entryFilter=${accessControlEntryString(f.entryFilter)})`;
}
