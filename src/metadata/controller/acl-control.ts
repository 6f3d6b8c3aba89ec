import {
  type AclBinding,
  type AclBindingFilter,
  AclOperation,
  AclPermissionType,
  bindingFilterMatches,
  CLUSTER_NAME,
  ErrorCode,
  entryFilterIsUnknown,
  operationName,
  operationOf,
  PatternType,
  patternFilterIsUnknown,
  patternTypeName,
  patternTypeOf,
  permissionTypeName,
  permissionTypeOf,
  ResourceType,
  resourceTypeName,
  resourceTypeOf,
  type Uuid,
} from "../../protocol/index.js";
import type { AclsImage } from "../authorizer/acls-image.js";
import {
  aclFromBinding,
  aclToBinding,
  type StandardAcl,
  standardAclKey,
} from "../authorizer/standard-acl.js";
import type { MetadataRecord } from "../metadata-records.js";
import { EXCESSIVELY_LARGE_OPERATION } from "./cluster-controller.js";

/** Records one ACL operation may write (Kafka's MAX_RECORDS_PER_USER_OP). */
export const ACL_RECORDS_PER_OPERATION_MAX = 10_000;

/** One creation as CreateAcls carries it: wire codes, unchecked. */
export interface AclCreation {
  readonly resourceType: number;
  readonly resourceName: string;
  readonly resourcePatternType: number;
  readonly principal: string;
  readonly host: string;
  readonly operation: number;
  readonly permissionType: number;
}

export interface AclOperationError {
  readonly errorCode: number;
  readonly errorMessage: string | null;
}

const NO_ERROR: AclOperationError = { errorCode: ErrorCode.NONE, errorMessage: null };

export interface AclDeletionResult extends AclOperationError {
  /** The ACLs the filter matched (and that are removed), each with its own error (none). */
  readonly matchingAcls: readonly StandardAcl[];
}

/**
 * Whether a creation cannot even be read as Kafka's AclBinding: a resource type ANY, a pattern
 * type ANY or MATCH, an operation or permission type ANY. Kafka's request conversion throws for
 * these, and the whole CreateAcls request then fails with UNKNOWN_SERVER_ERROR.
 */
export function isUnreadableCreation(c: AclCreation): boolean {
  return (
    resourceTypeOf(c.resourceType) === ResourceType.ANY ||
    patternTypeOf(c.resourcePatternType) === PatternType.ANY ||
    patternTypeOf(c.resourcePatternType) === PatternType.MATCH ||
    operationOf(c.operation) === AclOperation.ANY ||
    permissionTypeOf(c.permissionType) === AclPermissionType.ANY
  );
}

/** Codes as Kafka's enums read them: an undefined code becomes UNKNOWN (0). */
export function bindingOfCreation(c: AclCreation): AclBinding {
  return {
    pattern: {
      resourceType: resourceTypeOf(c.resourceType),
      name: c.resourceName,
      patternType: patternTypeOf(c.resourcePatternType),
    },
    entry: {
      principal: c.principal,
      host: c.host,
      operation: operationOf(c.operation),
      permissionType: permissionTypeOf(c.permissionType),
    },
  };
}

/**
 * What is wrong with a new ACL, with Kafka's messages (INVALID_REQUEST): first the broker's checks
 * (AclApis: the cluster's one name, a non-empty name), then the controller's (AclControlManager:
 * UNKNOWN types, operations and permissions, a principal without its `type:` part).
 */
export function newAclError(binding: AclBinding): AclOperationError | null {
  const { pattern, entry } = binding;
  const invalid = (errorMessage: string) => ({ errorCode: ErrorCode.INVALID_REQUEST, errorMessage });
  if (pattern.resourceType === ResourceType.CLUSTER && pattern.name !== CLUSTER_NAME)
    return invalid(`The only valid name for the CLUSTER resource is ${CLUSTER_NAME}`);
  if (pattern.name === "") return invalid("Invalid empty resource name");
  if (pattern.resourceType === ResourceType.UNKNOWN || pattern.resourceType === ResourceType.ANY)
    return invalid(`Invalid resourceType ${resourceTypeName(pattern.resourceType)}`);
  if (pattern.patternType !== PatternType.LITERAL && pattern.patternType !== PatternType.PREFIXED)
    return invalid(`Invalid patternType ${patternTypeName(pattern.patternType)}`);
  if (entry.operation === AclOperation.UNKNOWN || entry.operation === AclOperation.ANY)
    return invalid(`Invalid operation ${operationName(entry.operation)}`);
  if (entry.permissionType !== AclPermissionType.ALLOW && entry.permissionType !== AclPermissionType.DENY)
    return invalid(`Invalid permissionType ${permissionTypeName(entry.permissionType)}`);
  if (!entry.principal.includes(":")) {
    return invalid(
      `Could not parse principal from \`${entry.principal}\` (no colon is present separating the principal type from the principal name)`,
    );
  }
  return null;
}

/**
 * CreateAcls as the controller decides it: each valid ACL not already there (in the image, or
 * earlier in the request) gets an AccessControlEntry record under a new id; an ACL that exists is
 * a success that writes nothing. One result per creation, in order. Pure.
 */
export function createAcls(
  acls: AclsImage,
  creations: readonly AclCreation[],
  newId: () => Uuid,
): { records: MetadataRecord[]; results: AclOperationError[] } {
  const existing = new Set<string>();
  for (const acl of acls.byId.values()) existing.add(standardAclKey(acl));
  const ids = new Set(acls.byId.keys());
  const records: MetadataRecord[] = [];
  const results: AclOperationError[] = [];
  for (const creation of creations) {
    const binding = bindingOfCreation(creation);
    const error = newAclError(binding);
    if (error !== null) {
      results.push(error);
      continue;
    }
    const acl = aclFromBinding(binding);
    const key = standardAclKey(acl);
    if (!existing.has(key)) {
      existing.add(key);
      let id = newId();
      while (ids.has(id)) id = newId();
      ids.add(id);
      records.push({ type: "AccessControlEntry", id, ...acl });
    }
    results.push(NO_ERROR);
  }
  if (records.length > ACL_RECORDS_PER_OPERATION_MAX) {
    const refused = { errorCode: ErrorCode.POLICY_VIOLATION, errorMessage: EXCESSIVELY_LARGE_OPERATION };
    return { records: [], results: creations.map(() => refused) };
  }
  return { records, results };
}

/**
 * DeleteAcls as the controller decides it: per filter (Kafka's AclBindingFilter matching: null
 * fields and ANY match anything, MATCH every pattern that applies to the name), the ACLs it
 * matches, each removed once however many filters match it. A filter with UNKNOWN parts is
 * INVALID_REQUEST; one that would take the operation past 10,000 removals fails alone. Pure.
 */
export function deleteAcls(
  acls: AclsImage,
  filters: readonly AclBindingFilter[],
): { records: MetadataRecord[]; results: AclDeletionResult[] } {
  const removed = new Set<Uuid>();
  const records: MetadataRecord[] = [];
  const results: AclDeletionResult[] = [];
  for (const filter of filters) {
    if (patternFilterIsUnknown(filter.patternFilter)) {
      results.push({
        errorCode: ErrorCode.INVALID_REQUEST,
        errorMessage: "Unknown patternFilter.",
        matchingAcls: [],
      });
      continue;
    }
    if (entryFilterIsUnknown(filter.entryFilter)) {
      results.push({
        errorCode: ErrorCode.INVALID_REQUEST,
        errorMessage: "Unknown entryFilter.",
        matchingAcls: [],
      });
      continue;
    }
    const matching: [Uuid, StandardAcl][] = [];
    for (const [id, acl] of acls.byId)
      if (bindingFilterMatches(filter, aclToBinding(acl))) matching.push([id, acl]);
    const added = matching.filter(([id]) => !removed.has(id)).length;
    if (removed.size + added > ACL_RECORDS_PER_OPERATION_MAX) {
      results.push({ errorCode: ErrorCode.UNKNOWN_SERVER_ERROR, errorMessage: null, matchingAcls: [] });
      continue;
    }
    for (const [id] of matching) {
      if (removed.has(id)) continue;
      removed.add(id);
      records.push({ type: "RemoveAccessControlEntry", id });
    }
    results.push({ ...NO_ERROR, matchingAcls: matching.map(([, acl]) => acl) });
  }
  return { records, results };
}
