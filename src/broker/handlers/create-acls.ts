import { createAcls, isUnreadableCreation } from "../../metadata/index.js";
import {
  AclOperation,
  ApiKey,
  type CreateAclsRequest,
  type CreateAclsResponseInput,
  ErrorCode,
} from "../../protocol/index.js";
import { defineHandler } from "../api-handler.js";
import type { AuthorizerAccess, ControllerAccess, MetadataView } from "../handler-context.js";
import { hasUnknownCode, unparseable } from "./acl-requests.js";

/** CreateAcls has no timeout of its own: a forward waits as long as Kafka's inter-broker requests. */
const FORWARD_TIMEOUT_MS = 30_000;

/**
 * CreateAcls (v1-3): decided by the active controller (forwarded there, as KRaft brokers do),
 * which checks each ACL with Kafka's messages and commits an AccessControlEntry record per new ACL,
 * so every node authorizes with it once its image has it. Needs ALTER on the cluster; without an
 * authorizer SECURITY_DISABLED. An ACL that exists already is a success that changes nothing.
 */
export function createAclsHandler(broker: MetadataView & ControllerAccess & AuthorizerAccess) {
  return defineHandler<CreateAclsRequest, CreateAclsResponseInput>({
    apiKey: ApiKey.CreateAcls,
    minVersion: 1,
    maxVersion: 3,
    async handle(request, context) {
      if (request.creations.some(hasUnknownCode)) return unparseable(context);
      if (broker.forwarder.shouldForward(context))
        return broker.forwarder.forward<CreateAclsResponseInput>(context, request, FORWARD_TIMEOUT_MS);
      const authorizer = broker.authorizer;
      const everyCreation = (errorCode: number, errorMessage: string | null) => ({
        throttleTimeMs: 0,
        results: request.creations.map(() => ({ errorCode, errorMessage })),
      });
      if (authorizer !== null && !authorizer.authorizeCluster(context, AclOperation.ALTER))
        return everyCreation(
          ErrorCode.CLUSTER_AUTHORIZATION_FAILED,
          authorizer.notAuthorizedMessage(context),
        );
      if (authorizer === null)
        return everyCreation(ErrorCode.SECURITY_DISABLED, "No Authorizer is configured.");
      // Kafka cannot even build these as ACL bindings, and fails the whole request.
      if (request.creations.some(isUnreadableCreation))
        return everyCreation(ErrorCode.UNKNOWN_SERVER_ERROR, null);
      if (request.creations.length === 0) return { throttleTimeMs: 0, results: [] };
      const results = await broker.decide("create acls", (image) => {
        const decided = createAcls(image.acls, request.creations, () => broker.controller.newId());
        return { records: decided.records, result: decided.results };
      });
      return { throttleTimeMs: 0, results };
    },
    errorResponse: (request, errorCode, _context, errorMessage) => ({
      throttleTimeMs: 0,
      results: request.creations.map(() => ({ errorCode, errorMessage: errorMessage ?? null })),
    }),
  });
}
