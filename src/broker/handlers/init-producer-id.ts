import {
  AclOperation,
  ApiKey,
  ErrorCode,
  type InitProducerIdRequest,
  type InitProducerIdResponseInput,
  KafkaError,
  ResourceType,
} from "../../protocol/index.js";
import { defineHandler, type RequestContext } from "../api-handler.js";
import type { AuthorizerAccess, ProducerIdAccess, TransactionAccess } from "../handler-context.js";
import { producerFencedError } from "./txn-errors.js";

/**
 * InitProducerId 0-5 for idempotent producers (KIP-98, KIP-360, KIP-730).
 *
 * Without a transactional id, Kafka's transaction coordinator "blindly accepts" the request: it
 * hands out a new producer id with epoch 0, whatever producerId/producerEpoch a v3+ request
 * carries. Clients that ask for an epoch bump this way (librdkafka after an unknown producer or a
 * sequence gap) then continue with the new id; Brook does exactly the same rather than bumping the
 * old id's epoch, which no client can tell from Kafka.
 *
 * With a transactional id the transaction coordinator answers (fencing older epochs, KIP-360's
 * bump, the timeout bounded by transaction.max.timeout.ms); before v4 PRODUCER_FENCED reads
 * INVALID_PRODUCER_EPOCH, as Kafka maps it. An empty transactional id is INVALID_REQUEST.
 */
export function initProducerIdHandler(broker: ProducerIdAccess & TransactionAccess & AuthorizerAccess) {
  return defineHandler<InitProducerIdRequest, InitProducerIdResponseInput>({
    apiKey: ApiKey.InitProducerId,
    minVersion: 0,
    maxVersion: 5,
    async handle(request, context) {
      const refused = authorizationRefusal(broker, context, request.transactionalId);
      if (refused !== ErrorCode.NONE) return failed(refused);
      if (request.transactionalId === "") return failed(ErrorCode.INVALID_REQUEST);
      if (request.transactionalId !== null) {
        const answer = await broker.transactionCoordinator.initProducerId({
          transactionalId: request.transactionalId,
          transactionTimeoutMs: request.transactionTimeoutMs,
          producerId: request.producerId,
          producerEpoch: request.producerEpoch,
        });
        return {
          throttleTimeMs: 0,
          errorCode: producerFencedError(answer.errorCode, context.apiVersion, 4),
          producerId: answer.producerId,
          producerEpoch: answer.producerEpoch,
        };
      }
      let producerId: bigint;
      try {
        producerId = await broker.producerIds.generateProducerId();
      } catch (error) {
        // No block from the controller right now (an election, the store away): retriable, as
        // Kafka's RPCProducerIdManager answers while it waits for a block.
        if (error instanceof KafkaError) return failed(ErrorCode.COORDINATOR_LOAD_IN_PROGRESS);
        throw error;
      }
      return { throttleTimeMs: 0, errorCode: ErrorCode.NONE, producerId, producerEpoch: 0 };
    },
    errorResponse: (_request, errorCode) => failed(errorCode),
  });
}

/**
 * Kafka's checks: a transactional producer needs WRITE on its transactional id; an idempotent one
 * IDEMPOTENT_WRITE on the cluster (a denial not logged) or WRITE on some topic
 * (authorizeByResourceType), else CLUSTER_AUTHORIZATION_FAILED.
 */
function authorizationRefusal(
  broker: AuthorizerAccess,
  context: RequestContext,
  transactionalId: string | null,
): number {
  const authorizer = broker.authorizer;
  if (authorizer === null) return ErrorCode.NONE;
  if (transactionalId !== null) {
    return authorizer.authorize(context, AclOperation.WRITE, ResourceType.TRANSACTIONAL_ID, transactionalId)
      ? ErrorCode.NONE
      : ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED;
  }
  return authorizer.authorizeCluster(context, AclOperation.IDEMPOTENT_WRITE, false) ||
    authorizer.authorizeByResourceType(context, AclOperation.WRITE, ResourceType.TOPIC)
    ? ErrorCode.NONE
    : ErrorCode.CLUSTER_AUTHORIZATION_FAILED;
}

function failed(errorCode: number): InitProducerIdResponseInput {
  return { throttleTimeMs: 0, errorCode, producerId: -1n, producerEpoch: -1 };
}
