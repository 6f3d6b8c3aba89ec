import type { CreateTopicRequest, CreateTopicResult } from "../metadata/index.js";
import {
  type AllocateProducerIdsResponse,
  ApiKey,
  type CreateTopicsResponse,
  ErrorCode,
  KafkaError,
} from "../protocol/index.js";
import type { ControllerAccess, MetadataView } from "./handler-context.js";
import type { ProducerIdBlock } from "./producer-id-manager.js";

/** How long a broker's own request to the controller may take (auto-creation, producer ids). */
const CONTROLLER_REQUEST_TIMEOUT_MS = 30_000;

/**
 * Changes a broker asks of the controller on its own account (auto-created topics, internal
 * topics, producer id blocks): decided here when this node is the active controller, otherwise
 * sent to it as the Kafka request a KRaft broker sends (CreateTopics, AllocateProducerIds).
 */
export async function createTopicsOnController(
  broker: ControllerAccess,
  requests: readonly CreateTopicRequest[],
): Promise<CreateTopicResult[]> {
  if (broker.isActiveController) {
    return broker.decide("create topics", (image) => {
      const decided = broker.controller.createTopics(image, requests, broker.controllerDefaults(), false);
      return { records: decided.records, result: decided.results };
    });
  }
  const response = await broker.forwarder.send<CreateTopicsResponse>(
    ApiKey.CreateTopics,
    7,
    {
      topics: requests.map((r) => ({
        name: r.name,
        numPartitions: r.numPartitions,
        replicationFactor: r.replicationFactor,
        assignments: r.assignments.map((a) => ({
          partitionIndex: a.partitionIndex,
          brokerIds: [...a.brokerIds],
        })),
        configs: r.configs.map((c) => ({ name: c.name, value: c.value })),
      })),
      timeoutMs: CONTROLLER_REQUEST_TIMEOUT_MS,
      validateOnly: false,
    },
    CONTROLLER_REQUEST_TIMEOUT_MS,
  );
  return response.topics.map((t) => ({
    name: t.name,
    errorCode: t.errorCode,
    errorMessage: t.errorMessage,
    topicId: t.errorCode === ErrorCode.NONE ? t.topicId : null,
    numPartitions: t.numPartitions,
    replicationFactor: t.replicationFactor,
  }));
}

export async function allocateProducerIdsOnController(
  broker: MetadataView & ControllerAccess,
): Promise<ProducerIdBlock> {
  const brokerEpoch = broker.image.brokers.get(broker.nodeId)?.epoch ?? -1n;
  if (broker.isActiveController) {
    return broker.decide("allocate producer ids", (image) => {
      const block = broker.controller.allocateProducerIds(image, broker.nodeId, brokerEpoch);
      return { records: block.records, result: { firstProducerId: block.firstProducerId, size: block.size } };
    });
  }
  const response = await broker.forwarder.send<AllocateProducerIdsResponse>(
    ApiKey.AllocateProducerIds,
    0,
    { brokerId: broker.nodeId, brokerEpoch },
    CONTROLLER_REQUEST_TIMEOUT_MS,
  );
  if (response.errorCode !== ErrorCode.NONE) throw new KafkaError(response.errorCode);
  return { firstProducerId: response.producerIdStart, size: response.producerIdLen };
}
