import { INTERNAL_TOPICS, type MetadataImage, topicNameProblem } from "../metadata/index.js";
import { ErrorCode } from "../protocol/index.js";
import type { Broker } from "./broker.js";

/**
 * Auto-creation of topics a client asks for (auto.create.topics.enable), with the broker's
 * defaults. Returns the error to report for a topic that could not be created, or NONE.
 */
export function autoCreateTopics(broker: Broker, names: readonly string[]): Map<string, number> {
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
  const { results, records } = broker.controller.createTopics(
    broker.image,
    wanted.map((name) => ({ name, numPartitions: -1, replicationFactor: -1, assignments: [], configs: [] })),
    broker.controllerDefaults(),
    false,
  );
  broker.commit(records);
  for (const r of results) {
    if (r.errorCode !== ErrorCode.NONE)
      broker.log.warn(`auto-creating topic ${r.name} failed: ${r.errorMessage}`);
    outcome.set(r.name, r.errorCode === ErrorCode.TOPIC_ALREADY_EXISTS ? ErrorCode.NONE : r.errorCode);
  }
  return outcome;
}

export function mayAutoCreate(broker: Broker, name: string): boolean {
  return broker.config.bool("auto.create.topics.enable") && !INTERNAL_TOPICS.has(name);
}

/** Creates an internal topic (__consumer_offsets, _schemas, ...) if missing, with its configs. */
export function ensureInternalTopic(
  broker: Broker,
  name: string,
  numPartitions: number,
  replicationFactor: number,
  configs: Record<string, string>,
): { errorCode: number; image: MetadataImage } {
  if (broker.image.topic(name) !== undefined) return { errorCode: ErrorCode.NONE, image: broker.image };
  const live = broker.image.liveBrokers().length;
  if (live < replicationFactor) {
    broker.log.warn(
      `cannot create ${name}: replication factor ${replicationFactor} > ${live} live broker(s)`,
    );
    return { errorCode: ErrorCode.COORDINATOR_NOT_AVAILABLE, image: broker.image };
  }
  const { results, records } = broker.controller.createTopics(
    broker.image,
    [
      {
        name,
        numPartitions,
        replicationFactor,
        assignments: [],
        configs: Object.entries(configs).map(([k, v]) => ({ name: k, value: v })),
      },
    ],
    broker.controllerDefaults(),
    false,
  );
  const image = broker.commit(records);
  return { errorCode: results[0]?.errorCode ?? ErrorCode.UNKNOWN_SERVER_ERROR, image };
}
