import { ErrorCode, KafkaError } from "../protocol/index.js";

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
