import { CLUSTER_NAME, ErrorCode, KafkaError, ResourceType } from "../protocol/index.js";
import type { RequestContext } from "./api-handler.js";
import { authorizationError, type RequestAuthorizer } from "./request-authorizer.js";

/** Config resource types on the wire (Kafka's ConfigResource.Type ids). */
export const ConfigResourceKind = {
  TOPIC: 2,
  BROKER: 4,
  BROKER_LOGGER: 8,
  CLIENT_METRICS: 16,
  GROUP: 32,
} as const;

const KIND_NAMES = new Map<number, string>(Object.entries(ConfigResourceKind).map(([k, v]) => [v, k]));

/** Kafka's name of a resource type id, "UNKNOWN" for ids it does not define. */
export function configResourceKindName(kind: number): string {
  return KIND_NAMES.get(kind) ?? "UNKNOWN";
}

/**
 * Checks that a BROKER / BROKER_LOGGER resource names this node (the empty name of the BROKER
 * cluster-wide default is for callers to handle first). Anything else is INVALID_REQUEST, with
 * Kafka's messages: `what` is "Broker" or "Node", `expected` the text Kafka puts after "expected"
 * (DescribeConfigs and the alter APIs word it differently).
 */
export function checkResourceNodeId(
  resourceName: string,
  nodeId: number,
  what: "Broker" | "Node",
  expected: string,
): void {
  if (!/^[-+]?\d+$/.test(resourceName)) {
    throw new KafkaError(
      ErrorCode.INVALID_REQUEST,
      `${what} id must be an integer, but it is: ${resourceName}`,
    );
  }
  if (Number(resourceName) !== nodeId) {
    throw new KafkaError(
      ErrorCode.INVALID_REQUEST,
      `Unexpected broker id, expected ${expected} but received ${resourceName}`,
    );
  }
}

/**
 * What a client needs to describe or alter a config resource (`operation`: DESCRIBE_CONFIGS or
 * ALTER_CONFIGS), as Kafka's ConfigHelper and ControllerApis check it: brokers, loggers and client
 * metrics on the cluster, a topic or a group on itself. Null when allowed, else the error to answer.
 */
export function configResourceRefusal(
  authorizer: RequestAuthorizer,
  context: RequestContext,
  resource: { resourceType: number; resourceName: string },
  operation: number,
): number | null {
  const [type, name] =
    resource.resourceType === ConfigResourceKind.TOPIC
      ? [ResourceType.TOPIC, resource.resourceName]
      : resource.resourceType === ConfigResourceKind.GROUP
        ? [ResourceType.GROUP, resource.resourceName]
        : [ResourceType.CLUSTER, CLUSTER_NAME];
  return authorizer.authorize(context, operation, type, name) ? null : authorizationError(type);
}
