import {
  AclOperation,
  type AllocateProducerIdsRequest,
  type AllocateProducerIdsResponseInput,
  ApiKey,
  ErrorCode,
} from "../../protocol/index.js";
import { defineHandler } from "../api-handler.js";
import type { AuthorizerAccess, ControllerAccess, MetadataView } from "../handler-context.js";

/**
 * AllocateProducerIds (KIP-730), from a broker to the active controller: the next block of
 * producer ids, committed to the metadata log before the answer. Only the active controller
 * answers; any other node says NOT_CONTROLLER and the broker asks again. Needs CLUSTER_ACTION
 * on the cluster (a broker's principal). Like Kafka's, it is an
 * inter-broker API, not advertised to clients.
 */
export function allocateProducerIdsHandler(broker: MetadataView & ControllerAccess & AuthorizerAccess) {
  return defineHandler<AllocateProducerIdsRequest, AllocateProducerIdsResponseInput>({
    apiKey: ApiKey.AllocateProducerIds,
    minVersion: 0,
    maxVersion: 0,
    advertised: false,
    async handle(request, context) {
      broker.authorizer?.requireCluster(context, AclOperation.CLUSTER_ACTION);
      if (!broker.isActiveController) return failed(ErrorCode.NOT_CONTROLLER);
      const registration = broker.image.brokers.get(request.brokerId);
      if (registration === undefined || registration.epoch !== request.brokerEpoch) {
        return failed(ErrorCode.STALE_BROKER_EPOCH);
      }
      const block = await broker.decide("allocate producer ids", (image) => {
        const allocated = broker.controller.allocateProducerIds(image, request.brokerId, request.brokerEpoch);
        return {
          records: allocated.records,
          result: { firstProducerId: allocated.firstProducerId, size: allocated.size },
        };
      });
      return {
        throttleTimeMs: 0,
        errorCode: ErrorCode.NONE,
        producerIdStart: block.firstProducerId,
        producerIdLen: block.size,
      };
    },
    errorResponse: (_request, errorCode) => failed(errorCode),
  });
}

function failed(errorCode: number): AllocateProducerIdsResponseInput {
  return { throttleTimeMs: 0, errorCode, producerIdStart: -1n, producerIdLen: 0 };
}
