import {
  AclOperation,
  ApiKey,
  ErrorCode,
  errorCodeInfo,
  type FindCoordinatorRequest,
  type FindCoordinatorResponseCoordinatorInput,
  type FindCoordinatorResponseInput,
  ResourceType,
} from "../../protocol/index.js";
import { defineHandler, type RequestContext } from "../api-handler.js";
import type { AuthorizerAccess, GroupAccess, MetadataView, TransactionAccess } from "../handler-context.js";
import { CONSUMER_OFFSETS_TOPIC } from "../offsets-topic-log.js";
import { authorizationError } from "../request-authorizer.js";
import { TRANSACTION_STATE_TOPIC } from "../transaction-coordination.js";

/** Kafka's CoordinatorType ids. */
const CoordinatorType = { group: 0, transaction: 1 } as const;

type CoordinatorBroker = MetadataView & GroupAccess & TransactionAccess & AuthorizerAccess;

/**
 * FindCoordinator 0-6: the broker that leads a group's `__consumer_offsets` partition (key type
 * 0) or a transactional id's `__transaction_state` partition (key type 1), by Kafka's hash of the
 * key, on the listener the client used. v4+ answer a list of keys (`coordinatorKeys`), older
 * versions one. The first lookup creates the topic. With an authorizer a key needs DESCRIBE on its
 * group or transactional id (else GROUP_ or TRANSACTIONAL_ID_AUTHORIZATION_FAILED, no node).
 */
export function findCoordinatorHandler(broker: CoordinatorBroker) {
  return defineHandler<FindCoordinatorRequest, FindCoordinatorResponseInput>({
    apiKey: ApiKey.FindCoordinator,
    minVersion: 0,
    maxVersion: 6,
    async handle(request, context) {
      const batched = context.apiVersion >= 4;
      const keys = batched ? request.coordinatorKeys : [request.key];
      const coordinators: FindCoordinatorResponseCoordinatorInput[] = [];
      for (const key of keys) {
        const refused = authorizationRefusal(broker, context, key, request.keyType, batched);
        coordinators.push(
          refused ?? (await findCoordinator(broker, key, request.keyType, context.listenerName)),
        );
      }
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

/**
 * Kafka's checks: DESCRIBE on the group, or on the transactional id. A refused key gets no node;
 * before v4 (one key) the response carries the error's own message, as Kafka's old response does.
 */
function authorizationRefusal(
  broker: AuthorizerAccess,
  context: RequestContext,
  key: string,
  keyType: number,
  batched: boolean,
): FindCoordinatorResponseCoordinatorInput | null {
  const authorizer = broker.authorizer;
  if (authorizer === null) return null;
  const resourceType =
    keyType === CoordinatorType.group
      ? ResourceType.GROUP
      : keyType === CoordinatorType.transaction
        ? ResourceType.TRANSACTIONAL_ID
        : null;
  if (resourceType === null || authorizer.authorize(context, AclOperation.DESCRIBE, resourceType, key))
    return null;
  const errorCode = authorizationError(resourceType);
  return noCoordinator(key, errorCode, batched ? null : (errorCodeInfo.get(errorCode)?.message ?? null));
}

async function findCoordinator(
  broker: CoordinatorBroker,
  key: string,
  keyType: number,
  listenerName: string,
): Promise<FindCoordinatorResponseCoordinatorInput> {
  if (keyType !== CoordinatorType.group && keyType !== CoordinatorType.transaction) {
    return noCoordinator(key, ErrorCode.INVALID_REQUEST, `unknown coordinator key type ${keyType}`);
  }
  const forGroup = keyType === CoordinatorType.group;
  if (!forGroup && key === "") {
    return noCoordinator(key, ErrorCode.INVALID_REQUEST, "an empty transactional id");
  }
  const topic = forGroup ? CONSUMER_OFFSETS_TOPIC : TRANSACTION_STATE_TOPIC;
  const created = forGroup ? await broker.ensureOffsetsTopic() : await broker.ensureTransactionStateTopic();
  if (created !== ErrorCode.NONE) {
    const setting = forGroup
      ? "offsets.topic.replication.factor"
      : "transaction.state.log.replication.factor";
    return noCoordinator(
      key,
      ErrorCode.COORDINATOR_NOT_AVAILABLE,
      `${topic} could not be created (${setting} above the live brokers?)`,
    );
  }
  const partition = forGroup
    ? broker.groupCoordinator.partitionFor(key)
    : broker.transactionCoordinator.partitionFor(key);
  const leader = broker.image.partition(topic, partition)?.leader ?? -1;
  const registration = broker.image.brokers.get(leader);
  const endpoint =
    registration === undefined || registration.fenced
      ? undefined
      : registration.endPoints.find((e) => e.name === listenerName);
  if (endpoint === undefined) {
    return noCoordinator(
      key,
      ErrorCode.COORDINATOR_NOT_AVAILABLE,
      `${topic}-${partition} has no leader on listener ${listenerName}`,
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
  errorMessage: string | null,
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
