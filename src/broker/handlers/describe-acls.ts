import { aclToBinding, type StandardAcl } from "../../metadata/index.js";
import {
  AclOperation,
  ApiKey,
  bindingFilterMatches,
  type DescribeAclsRequest,
  type DescribeAclsResponseDescribeAclsResourceInput,
  type DescribeAclsResponseInput,
  ErrorCode,
} from "../../protocol/index.js";
import { defineHandler } from "../api-handler.js";
import type { AuthorizerAccess, MetadataView } from "../handler-context.js";
import { bindingFilterOf, hasUnknownCode, unparseable } from "./acl-requests.js";

/**
 * DescribeAcls (v1-3; Kafka 4 dropped v0): the ACLs matching the filter, from this node's image,
 * grouped by resource pattern. Needs DESCRIBE on the cluster; without an authorizer
 * SECURITY_DISABLED, as Kafka's AclApis answers.
 */
export function describeAclsHandler(broker: MetadataView & AuthorizerAccess) {
  return defineHandler<DescribeAclsRequest, DescribeAclsResponseInput>({
    apiKey: ApiKey.DescribeAcls,
    minVersion: 1,
    maxVersion: 3,
    requestBytesBorrowed: true,
    handle(request, context) {
      if (hasUnknownCode(request)) return unparseable(context);
      const authorizer = broker.authorizer;
      if (authorizer === null) {
        return {
          throttleTimeMs: 0,
          errorCode: ErrorCode.SECURITY_DISABLED,
          errorMessage: "No Authorizer is configured on the broker",
          resources: [],
        };
      }
      if (!authorizer.authorizeCluster(context, AclOperation.DESCRIBE)) {
        return {
          throttleTimeMs: 0,
          errorCode: ErrorCode.CLUSTER_AUTHORIZATION_FAILED,
          errorMessage: authorizer.notAuthorizedMessage(context),
          resources: [],
        };
      }
      const filter = bindingFilterOf(request);
      const matching = [...broker.image.acls.byId.values()].filter((acl) =>
        bindingFilterMatches(filter, aclToBinding(acl)),
      );
      return {
        throttleTimeMs: 0,
        errorCode: ErrorCode.NONE,
        errorMessage: null,
        resources: byPattern(matching),
      };
    },
    errorResponse: (_request, errorCode, _context, errorMessage) => ({
      throttleTimeMs: 0,
      errorCode,
      errorMessage: errorMessage ?? null,
      resources: [],
    }),
  });
}

/** ACLs grouped by resource pattern (Kafka's DescribeAclsResponse.aclsResources), in a stable order. */
function byPattern(acls: readonly StandardAcl[]): DescribeAclsResponseDescribeAclsResourceInput[] {
  const groups = new Map<
    string,
    { resource: DescribeAclsResponseDescribeAclsResourceInput; acls: StandardAcl[] }
  >();
  const sorted = [...acls].sort(
    (a, b) =>
      a.resourceType - b.resourceType ||
      (a.resourceName < b.resourceName ? -1 : a.resourceName > b.resourceName ? 1 : 0) ||
      a.patternType - b.patternType,
  );
  for (const acl of sorted) {
    const key = `${acl.resourceType}\u0000${acl.patternType}\u0000${acl.resourceName}`;
    let group = groups.get(key);
    if (group === undefined) {
      group = {
        resource: {
          resourceType: acl.resourceType,
          resourceName: acl.resourceName,
          patternType: acl.patternType,
        },
        acls: [],
      };
      groups.set(key, group);
    }
    group.acls.push(acl);
  }
  return [...groups.values()].map(({ resource, acls: members }) => ({
    ...resource,
    acls: members.map((a) => ({
      principal: a.principal,
      host: a.host,
      operation: a.operation,
      permissionType: a.permissionType,
    })),
  }));
}
