import { deleteAcls } from "../../metadata/index.js";
import {
  AclOperation,
  ApiKey,
  type DeleteAclsRequest,
  type DeleteAclsResponseInput,
  ErrorCode,
} from "../../protocol/index.js";
import { defineHandler } from "../api-handler.js";
import type { AuthorizerAccess, ControllerAccess, MetadataView } from "../handler-context.js";
import { bindingFilterOf, hasUnknownCode, unparseable } from "./acl-requests.js";

/** DeleteAcls has no timeout of its own: a forward waits as long as Kafka's inter-broker requests. */
const FORWARD_TIMEOUT_MS = 30_000;

/**
 * DeleteAcls (v1-3): decided by the active controller, which removes the ACLs each filter matches
 * (Kafka's filter semantics: null fields and ANY match anything, MATCH every pattern that applies
 * to the name) with RemoveAccessControlEntry records, and answers them per filter. Needs ALTER on
 * the cluster; without an authorizer SECURITY_DISABLED.
 */
export function deleteAclsHandler(broker: MetadataView & ControllerAccess & AuthorizerAccess) {
  return defineHandler<DeleteAclsRequest, DeleteAclsResponseInput>({
    apiKey: ApiKey.DeleteAcls,
    minVersion: 1,
    maxVersion: 3,
    async handle(request, context) {
      if (request.filters.some(hasUnknownCode)) return unparseable(context);
      if (broker.forwarder.shouldForward(context))
        return broker.forwarder.forward<DeleteAclsResponseInput>(context, request, FORWARD_TIMEOUT_MS);
      const authorizer = broker.authorizer;
      const everyFilter = (errorCode: number, errorMessage: string | null) => ({
        throttleTimeMs: 0,
        filterResults: request.filters.map(() => ({ errorCode, errorMessage, matchingAcls: [] })),
      });
      if (authorizer !== null && !authorizer.authorizeCluster(context, AclOperation.ALTER))
        return everyFilter(ErrorCode.CLUSTER_AUTHORIZATION_FAILED, authorizer.notAuthorizedMessage(context));
      if (authorizer === null)
        return everyFilter(ErrorCode.SECURITY_DISABLED, "No Authorizer is configured.");
      if (request.filters.length === 0) return { throttleTimeMs: 0, filterResults: [] };
      const results = await broker.decide("delete acls", (image) => {
        const decided = deleteAcls(image.acls, request.filters.map(bindingFilterOf));
        return { records: decided.records, result: decided.results };
      });
      return {
        throttleTimeMs: 0,
        filterResults: results.map((r) => ({
          errorCode: r.errorCode,
          errorMessage: r.errorMessage,
          matchingAcls: r.matchingAcls.map((acl) => ({
            errorCode: ErrorCode.NONE,
            errorMessage: null,
            resourceType: acl.resourceType,
            resourceName: acl.resourceName,
            patternType: acl.patternType,
            principal: acl.principal,
            host: acl.host,
            operation: acl.operation,
            permissionType: acl.permissionType,
          })),
        })),
      };
    },
    errorResponse: (request, errorCode, _context, errorMessage) => ({
      throttleTimeMs: 0,
      filterResults: request.filters.map(() => ({
        errorCode,
        errorMessage: errorMessage ?? null,
        matchingAcls: [],
      })),
    }),
  });
}
