import { AclOperation, CLUSTER_NAME, ResourceType, supportedOperations } from "../protocol/index.js";
import type { RequestContext } from "./api-handler.js";
import type { RequestAuthorizer } from "./request-authorizer.js";

/**
 * Authorized-operations bit fields (KIP-430), as Kafka's AuthHelper.authorizedOperations reports
 * them: with an authorizer, the operations of the resource's type (AclEntry.supportedOperations)
 * that the client may do on it; without one, every operation the type supports. Bits are Kafka's
 * AclOperation codes.
 */

const bits = (ops: readonly number[]): number => ops.reduce((field, op) => field | (1 << op), 0);

/** A topic: READ, WRITE, CREATE, DELETE, ALTER, DESCRIBE, DESCRIBE_CONFIGS, ALTER_CONFIGS. */
export const TOPIC_AUTHORIZED_OPERATIONS = bits(supportedOperations(ResourceType.TOPIC));

/** The cluster: CREATE, ALTER, DESCRIBE, CLUSTER_ACTION, DESCRIBE_CONFIGS, ALTER_CONFIGS, IDEMPOTENT_WRITE. */
export const CLUSTER_AUTHORIZED_OPERATIONS = bits(supportedOperations(ResourceType.CLUSTER));

/** A group: READ, DELETE, DESCRIBE, DESCRIBE_CONFIGS, ALTER_CONFIGS (Kafka 4.0 has group configs). */
export const GROUP_AUTHORIZED_OPERATIONS = bits(supportedOperations(ResourceType.GROUP));

/** The schema default: "not asked for". */
export const AUTHORIZED_OPERATIONS_OMITTED = -2147483648;

/** What a client may do on a topic. */
export function topicAuthorizedOperations(
  authorizer: RequestAuthorizer | null,
  context: RequestContext,
  topic: string,
): number {
  return authorizer === null
    ? TOPIC_AUTHORIZED_OPERATIONS
    : authorizer.authorizedOperations(context, ResourceType.TOPIC, topic);
}

/** What a client may do on a group. */
export function groupAuthorizedOperations(
  authorizer: RequestAuthorizer | null,
  context: RequestContext,
  groupId: string,
): number {
  return authorizer === null
    ? GROUP_AUTHORIZED_OPERATIONS
    : authorizer.authorizedOperations(context, ResourceType.GROUP, groupId);
}

/** What a client may do on the cluster, asked for: Kafka answers 0 unless it may DESCRIBE the cluster. */
export function clusterAuthorizedOperations(
  authorizer: RequestAuthorizer | null,
  context: RequestContext,
): number {
  if (authorizer === null) return CLUSTER_AUTHORIZED_OPERATIONS;
  if (!authorizer.authorizeCluster(context, AclOperation.DESCRIBE)) return 0;
  return authorizer.authorizedOperations(context, ResourceType.CLUSTER, CLUSTER_NAME);
}
