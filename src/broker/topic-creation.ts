import {
  type CreateTopicResult,
  INTERNAL_TOPICS,
  type MetadataImage,
  topicNameProblem,
} from "../metadata/index.js";
import { ErrorCode, KafkaError } from "../protocol/index.js";
import { createTopicsOnController } from "./controller-requests.js";
import type { BrokerSettings, ControllerAccess, MetadataView } from "./handler-context.js";

/**
 * Auto-creation of topics a client asks for (auto.create.topics.enable), with the broker's
 * defaults. Returns the error to report for a topic that could not be created, or NONE.
 */
export async function autoCreateTopics(
  broker: MetadataView & ControllerAccess & BrokerSettings,
  names: readonly string[],
): Promise<Map<string, number>> {
  const outcome = new Map<string, number>();
  const wanted = names.filter((name) => {
    if (broker.image.topic(name) !== undefined) return false;
    if (topicNameProblem(name) !== null) {
      outcome.set(name, ErrorCode.INVALID_TOPIC_EXCEPTION);
      return false;
    }
    return true;
  });
  if (wanted.length === 0) return outcome;
  // The auto-creating broker's own defaults, as Kafka's AutoTopicCreationManager sends them.
  const defaults = broker.controllerDefaults();
  const requests = wanted.map((name) => ({
    name,
    numPartitions: defaults.numPartitions,
    replicationFactor: defaults.defaultReplicationFactor,
    assignments: [],
    configs: [],
  }));
  let results: CreateTopicResult[];
  try {
    results = await createTopicsOnController(broker, requests);
  } catch (error) {
    // No controller to ask right now: the client retries, as it would while a topic is created.
    if (!(error instanceof KafkaError)) throw error;
    for (const name of wanted) outcome.set(name, ErrorCode.LEADER_NOT_AVAILABLE);
    return outcome;
  }
  for (const r of results) {
    if (r.errorCode !== ErrorCode.NONE)
      broker.log.warn(`auto-creating topic ${r.name} failed: ${r.errorMessage}`);
    outcome.set(r.name, r.errorCode === ErrorCode.TOPIC_ALREADY_EXISTS ? ErrorCode.NONE : r.errorCode);
  }
  return outcome;
}

export function mayAutoCreate(broker: BrokerSettings, name: string): boolean {
  return broker.config.bool("auto.create.topics.enable") && !INTERNAL_TOPICS.has(name);
}

/** Creates an internal topic (__consumer_offsets, _schemas, ...) if missing, with its configs. */
export async function ensureInternalTopic(
  broker: MetadataView & ControllerAccess & BrokerSettings,
  name: string,
  numPartitions: number,
  replicationFactor: number,
  configs: Record<string, string>,
): Promise<{ errorCode: number; image: MetadataImage }> {
  if (broker.image.topic(name) !== undefined) return { errorCode: ErrorCode.NONE, image: broker.image };
  const live = broker.image.liveBrokers().length;
  if (live < replicationFactor) {
    broker.log.warn(
      `cannot create ${name}: replication factor ${replicationFactor} > ${live} live broker(s)`,
    );
    return { errorCode: ErrorCode.COORDINATOR_NOT_AVAILABLE, image: broker.image };
  }
  const request = {
    name,
    numPartitions,
    replicationFactor,
    assignments: [],
    configs: Object.entries(configs).map(([k, v]) => ({ name: k, value: v })),
  };
  try {
    const results = await createTopicsOnController(broker, [request]);
    const errorCode = results[0]?.errorCode ?? ErrorCode.UNKNOWN_SERVER_ERROR;
    return {
      errorCode: errorCode === ErrorCode.TOPIC_ALREADY_EXISTS ? ErrorCode.NONE : errorCode,
      image: broker.image,
    };
  } catch (error) {
    if (!(error instanceof KafkaError)) throw error;
    return { errorCode: ErrorCode.COORDINATOR_NOT_AVAILABLE, image: broker.image };
  }
}
