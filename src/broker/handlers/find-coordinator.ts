import {
  ApiKey,
  ErrorCode,
  type FindCoordinatorRequest,
  type FindCoordinatorResponseCoordinatorInput,
  type FindCoordinatorResponseInput,
} from "../../protocol/index.js";
import { defineHandler } from "../api-handler.js";
import type { GroupAccess, MetadataView } from "../handler-context.js";
import { CONSUMER_OFFSETS_TOPIC } from "../offsets-topic-log.js";

/** Kafka's CoordinatorType ids. */
const CoordinatorType = { group: 0, transaction: 1 } as const;

/**
 * FindCoordinator 0-6: the broker that leads a group's `__consumer_offsets` partition (Kafka's
 * hash of the group id), on the listener the client used. v4+ answer a list of keys
 * (`coordinatorKeys`), older versions one. The first lookup creates `__consumer_offsets`.
 * Transaction coordinators do not exist yet: key type 1 gets COORDINATOR_NOT_AVAILABLE.
 */
export function findCoordinatorHandler(broker: MetadataView & GroupAccess) {
  return defineHandler<FindCoordinatorRequest, FindCoordinatorResponseInput>({
    apiKey: ApiKey.FindCoordinator,
    minVersion: 0,
    maxVersion: 6,
    async handle(request, context) {
      const batched = context.apiVersion >= 4;
      const keys = batched ? request.coordinatorKeys : [request.key];
      const coordinators: FindCoordinatorResponseCoordinatorInput[] = [];
      for (const key of keys)
        coordinators.push(await findCoordinator(broker, key, request.keyType, context.listenerName));
      const first = coordinators[0];
      return {
        throttleTimeMs: 0,
        errorCode: first?.errorCode ?? ErrorCode.NONE,
        errorMessage: first?.errorMessage ?? null,
        nodeId: first?.nodeId ?? -1,
        host: first?.host ?? "",
        port: first?.port ?? -1,
        coordinators,
      };
    },
    errorResponse: (request, errorCode, context) =>
      errorResponse(request, errorCode, context.apiVersion >= 4),
  });
}

async function findCoordinator(
  broker: MetadataView & GroupAccess,
  key: string,
  keyType: number,
  listenerName: string,
): Promise<FindCoordinatorResponseCoordinatorInput> {
  if (keyType === CoordinatorType.transaction) {
    return noCoordinator(
      key,
      ErrorCode.COORDINATOR_NOT_AVAILABLE,
      "Brook has no transaction coordinator yet (transactions are not supported)",
    );
  }
  if (keyType !== CoordinatorType.group) {
    return noCoordinator(key, ErrorCode.INVALID_REQUEST, `unknown coordinator key type ${keyType}`);
  }
  const created = await broker.ensureOffsetsTopic();
  if (created !== ErrorCode.NONE) {
    return noCoordinator(
      key,
      ErrorCode.COORDINATOR_NOT_AVAILABLE,
      `${CONSUMER_OFFSETS_TOPIC} could not be created (offsets.topic.replication.factor above the live brokers?)`,
    );
  }
  const partition = broker.groupCoordinator.partitionFor(key);
  const leader = broker.image.partition(CONSUMER_OFFSETS_TOPIC, partition)?.leader ?? -1;
  const registration = broker.image.brokers.get(leader);
  const endpoint =
    registration === undefined || registration.fenced
      ? undefined
      : registration.endPoints.find((e) => e.name === listenerName);
  if (endpoint === undefined) {
    return noCoordinator(
      key,
      ErrorCode.COORDINATOR_NOT_AVAILABLE,
      `${CONSUMER_OFFSETS_TOPIC}-${partition} has no leader on listener ${listenerName}`,
    );
  }
  // Kafka sets the message from its error enum, which reads "NONE" for success.
  return {
    key,
    nodeId: leader,
    host: endpoint.host,
    port: endpoint.port,
    errorCode: ErrorCode.NONE,
    errorMessage: "NONE",
  };
}

/** Kafka answers a failed lookup with `Node.noNode()`: id -1, host "", port -1. */
function noCoordinator(
  key: string,
  errorCode: number,
  errorMessage: string,
): FindCoordinatorResponseCoordinatorInput {
  return { key, nodeId: -1, host: "", port: -1, errorCode, errorMessage };
}

function errorResponse(
  request: FindCoordinatorRequest,
  errorCode: number,
  batched: boolean,
): FindCoordinatorResponseInput {
  const keys = batched ? request.coordinatorKeys : [request.key];
  return {
    throttleTimeMs: 0,
    errorCode,
    errorMessage: null,
    nodeId: -1,
    host: "",
    port: -1,
    coordinators: keys.map((key) => ({ key, nodeId: -1, host: "", port: -1, errorCode, errorMessage: null })),
  };
}
