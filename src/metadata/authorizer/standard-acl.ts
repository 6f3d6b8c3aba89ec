import {
  type AclBinding,
  operationName,
  patternTypeName,
  permissionTypeName,
  resourceTypeName,
} from "../../protocol/index.js";

/**
 * One ACL as the metadata log keeps it (Kafka's StandardAcl, the fields of its
 * AccessControlEntryRecord without the id): codes as on the wire, the principal as written
 * (`User:alice`).
 */
export interface StandardAcl {
  readonly resourceType: number;
  readonly resourceName: string;
  readonly patternType: number;
  readonly principal: string;
  readonly host: string;
  readonly operation: number;
  readonly permissionType: number;
}

/** An ACL of the image with its record's id. */
export interface StandardAclWithId {
  readonly id: string;
  readonly acl: StandardAcl;
}

/** Kafka's StandardAcl.toString, which its audit lines name as the matching rule. */
export function standardAclString(acl: StandardAcl): string {
  return (
    `StandardAcl(resourceType=${resourceTypeName(acl.resourceType)}, resourceName=${acl.resourceName}, ` +
    `patternType=${patternTypeName(acl.patternType)}, principal=${acl.principal}, host=${acl.host}, ` +
    `operation=${operationName(acl.operation)}, permissionType=${permissionTypeName(acl.permissionType)})`
  );
}

/** The same ACL, whatever its id: two ACLs with one key are one ACL (the controller writes it once). */
export function standardAclKey(acl: StandardAcl): string {
  return [
    acl.resourceType,
    acl.patternType,
    acl.operation,
    acl.permissionType,
    acl.resourceName,
    acl.principal,
    acl.host,
  ].join("\u0000");
}

export function aclToBinding(acl: StandardAcl): AclBinding {
  return {
    pattern: { resourceType: acl.resourceType, name: acl.resourceName, patternType: acl.patternType },
    entry: {
      principal: acl.principal,
      host: acl.host,
      operation: acl.operation,
      permissionType: acl.permissionType,
    },
  };
}

export function aclFromBinding(binding: AclBinding): StandardAcl {
  return {
    resourceType: binding.pattern.resourceType,
    resourceName: binding.pattern.name,
    patternType: binding.pattern.patternType,
    principal: binding.entry.principal,
    host: binding.entry.host,
    operation: binding.entry.operation,
    permissionType: binding.entry.permissionType,
  };
}
