import { assert, type SeededRandom } from "../../base/index.js";
import { ErrorCode, randomUuid, type Uuid } from "../../protocol/index.js";
import type { MetadataImage } from "../metadata-image.js";
import { ConfigResourceType, type MetadataRecord, NO_LEADER_CHANGE } from "../metadata-records.js";
import { METADATA_TOPIC } from "../metadata-topic.js";
import { placeReplicas } from "./replica-placement.js";
import { collidingTopicName, topicNameProblem } from "./topic-name.js";

/**
 * Validates a topic's whole set of overrides (cross-field rules such as min.compaction.lag.ms <=
 * max.compaction.lag.ms need them together): null when fine, else the reason (INVALID_CONFIG).
 */
export type TopicConfigValidator = (configs: ReadonlyMap<string, string>) => string | null;

/** Kafka's controller's words for an operation of more records than it takes at once. */
export const EXCESSIVELY_LARGE_OPERATION = "Unable to perform excessively large batch operation.";

export interface CreateTopicRequest {
  name: string;
  /** -1: the broker default (num.partitions). */
  numPartitions: number;
  /** -1: the broker default (default.replication.factor). */
  replicationFactor: number;
  /** Explicit placement: partition index -> broker ids. Empty: let the controller place. */
  assignments: readonly { partitionIndex: number; brokerIds: readonly number[] }[];
  configs: readonly { name: string; value: string | null }[];
}

export interface CreateTopicResult {
  name: string;
  errorCode: number;
  errorMessage: string | null;
  topicId: Uuid | null;
  numPartitions: number;
  replicationFactor: number;
}

/** What the controller decided: per-item results, and the records that carry it out. */
export interface ControllerResult<T> {
  results: T[];
  records: MetadataRecord[];
}

export interface ControllerDefaults {
  numPartitions: number;
  defaultReplicationFactor: number;
  /** Partitions a single request may create, all topics together (a limit, not Kafka's). */
  partitionsPerRequestMax: number;
}

const PRODUCER_ID_BLOCK_SIZE = 1000n;

/**
 * The controller's decisions as pure functions of the current image: validate an admin request
 * and return the records that implement it. Nothing changes until the records are committed to
 * the metadata log and replayed; the response waits for that commit.
 */
export class ClusterController {
  private readonly random: SeededRandom;
  private readonly validateTopicConfigs: TopicConfigValidator;
  private readonly newTopicId: () => Uuid;

  constructor(options: {
    random: SeededRandom;
    validateTopicConfigs: TopicConfigValidator;
    newTopicId?: () => Uuid;
  }) {
    this.random = options.random;
    this.validateTopicConfigs = options.validateTopicConfigs;
    this.newTopicId = options.newTopicId ?? randomUuid;
  }

  /** A new random id, as topics get them (ACLs use it too). */
  newId(): Uuid {
    return this.newTopicId();
  }

  createTopics(
    image: MetadataImage,
    requests: readonly CreateTopicRequest[],
    defaults: ControllerDefaults,
    validateOnly: boolean,
  ): ControllerResult<CreateTopicResult> {
    const results: CreateTopicResult[] = [];
    const records: MetadataRecord[] = [];
    const seen = new Map<string, number>();
    for (const r of requests) seen.set(r.name, (seen.get(r.name) ?? 0) + 1);
    const created: string[] = [];
    let partitionsBudget = defaults.partitionsPerRequestMax;
    for (const request of requests) {
      const fail = (errorCode: number, errorMessage: string) =>
        results.push({
          name: request.name,
          errorCode,
          errorMessage,
          topicId: null,
          numPartitions: -1,
          replicationFactor: -1,
        });
      if ((seen.get(request.name) ?? 0) > 1) {
        fail(
          ErrorCode.INVALID_REQUEST,
          `Create topics request from client contains duplicate topic ${request.name}`,
        );
        continue;
      }
      const plan = this.planTopic(image, request, defaults, created);
      if ("errorCode" in plan) {
        fail(plan.errorCode, plan.errorMessage);
        continue;
      }
      if (plan.assignments.length > partitionsBudget) {
        fail(
          ErrorCode.POLICY_VIOLATION,
          `Creating ${plan.assignments.length} partitions exceeds the per-request limit`,
        );
        continue;
      }
      partitionsBudget -= plan.assignments.length;
      const topicId = this.newTopicId();
      created.push(request.name);
      results.push({
        name: request.name,
        errorCode: ErrorCode.NONE,
        errorMessage: null,
        topicId,
        numPartitions: plan.assignments.length,
        replicationFactor: plan.assignments[0]?.length ?? 0,
      });
      if (validateOnly) continue;
      records.push({ type: "Topic", name: request.name, topicId });
      plan.assignments.forEach((replicas, partitionId) => {
        records.push(partitionRecord(image, topicId, partitionId, replicas));
      });
      for (const c of request.configs) {
        if (c.value === null) continue;
        records.push({
          type: "Config",
          resourceType: ConfigResourceType.topic,
          resourceName: request.name,
          name: c.name,
          value: c.value,
        });
      }
    }
    return { results, records };
  }

  private planTopic(
    image: MetadataImage,
    request: CreateTopicRequest,
    defaults: ControllerDefaults,
    createdInThisRequest: readonly string[],
  ): { assignments: number[][] } | { errorCode: number; errorMessage: string } {
    const nameProblem = topicNameProblem(request.name);
    if (nameProblem !== null)
      return { errorCode: ErrorCode.INVALID_TOPIC_EXCEPTION, errorMessage: nameProblem };
    // Its partition 0 would be the metadata log's own directory: deleting it deletes the metadata.
    if (request.name === METADATA_TOPIC) {
      return {
        errorCode: ErrorCode.INVALID_REQUEST,
        errorMessage: `Creation of internal topic ${METADATA_TOPIC} is prohibited.`,
      };
    }
    if (image.topic(request.name) !== undefined) {
      return {
        errorCode: ErrorCode.TOPIC_ALREADY_EXISTS,
        errorMessage: `Topic '${request.name}' already exists.`,
      };
    }
    const collision = collidingTopicName(request.name, image.topicsByName.keys(), createdInThisRequest);
    if (collision !== undefined) {
      return {
        errorCode: ErrorCode.INVALID_TOPIC_EXCEPTION,
        errorMessage: `Topic '${request.name}' collides with existing topic: ${collision}`,
      };
    }
    const configs = new Map<string, string>();
    for (const c of request.configs) if (c.value !== null) configs.set(c.name, c.value);
    const problem = this.validateTopicConfigs(configs);
    if (problem !== null) return { errorCode: ErrorCode.INVALID_CONFIG, errorMessage: problem };
    const live = image.liveBrokers().map((b) => b.id);
    if (request.assignments.length > 0) {
      if (request.numPartitions !== -1 || request.replicationFactor !== -1) {
        return {
          errorCode: ErrorCode.INVALID_REQUEST,
          errorMessage:
            "Both numPartitions or replicationFactor and replicasAssignments were set. Both cannot be used at the same time.",
        };
      }
      return explicitAssignments(request.assignments, live);
    }
    const numPartitions = request.numPartitions === -1 ? defaults.numPartitions : request.numPartitions;
    const replicationFactor =
      request.replicationFactor === -1 ? defaults.defaultReplicationFactor : request.replicationFactor;
    if (numPartitions <= 0)
      return {
        errorCode: ErrorCode.INVALID_PARTITIONS,
        errorMessage: "Number of partitions was set to an invalid non-positive value.",
      };
    if (replicationFactor <= 0) {
      return {
        errorCode: ErrorCode.INVALID_REPLICATION_FACTOR,
        errorMessage: "Replication factor must be larger than 0, or -1 to use the default value.",
      };
    }
    if (replicationFactor > live.length) {
      return {
        errorCode: ErrorCode.INVALID_REPLICATION_FACTOR,
        errorMessage: `Unable to replicate the partition ${replicationFactor} time(s): The target replication factor of ${replicationFactor} cannot be reached because only ${live.length} broker(s) are registered.`,
      };
    }
    // Checked before placing: placing 2^31 partitions to compare them with the limit exhausts memory.
    if (numPartitions > defaults.partitionsPerRequestMax) {
      return {
        errorCode: ErrorCode.POLICY_VIOLATION,
        errorMessage: EXCESSIVELY_LARGE_OPERATION,
      };
    }
    return {
      assignments: placeReplicas(image.liveBrokers(), numPartitions, replicationFactor, 0, this.random),
    };
  }

  deleteTopics(
    image: MetadataImage,
    names: readonly string[],
  ): ControllerResult<{
    name: string;
    topicId: Uuid | null;
    errorCode: number;
    errorMessage: string | null;
  }> {
    const results: { name: string; topicId: Uuid | null; errorCode: number; errorMessage: string | null }[] =
      [];
    const records: MetadataRecord[] = [];
    const done = new Set<Uuid>();
    for (const name of names) {
      const topic = image.topic(name);
      if (topic === undefined) {
        results.push({
          name,
          topicId: null,
          errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION,
          errorMessage: "This server does not host this topic-partition.",
        });
        continue;
      }
      results.push({ name, topicId: topic.id, errorCode: ErrorCode.NONE, errorMessage: null });
      if (done.has(topic.id)) continue;
      done.add(topic.id);
      records.push({ type: "RemoveTopic", topicId: topic.id });
    }
    return { results, records };
  }

  createPartitions(
    image: MetadataImage,
    requests: readonly { name: string; count: number; assignments: readonly (readonly number[])[] | null }[],
    validateOnly: boolean,
  ): ControllerResult<{ name: string; errorCode: number; errorMessage: string | null }> {
    const results: { name: string; errorCode: number; errorMessage: string | null }[] = [];
    const records: MetadataRecord[] = [];
    for (const request of requests) {
      const topic = image.topic(request.name);
      const fail = (errorCode: number, errorMessage: string) =>
        results.push({ name: request.name, errorCode, errorMessage });
      if (topic === undefined) {
        fail(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `The topic '${request.name}' does not exist.`);
        continue;
      }
      const current = topic.partitions.length;
      if (request.count < current) {
        fail(
          ErrorCode.INVALID_PARTITIONS,
          `The topic ${request.name} currently has ${current} partition(s); ${request.count} would not be an increase.`,
        );
        continue;
      }
      if (request.count === current) {
        fail(ErrorCode.INVALID_PARTITIONS, `Topic already has ${current} partition(s).`);
        continue;
      }
      const replicationFactor = topic.partitions[0]?.replicas.length ?? 1;
      const live = image.liveBrokers().map((b) => b.id);
      let assignments: number[][];
      if (request.assignments !== null) {
        if (request.assignments.length !== request.count - current) {
          fail(
            ErrorCode.INVALID_REPLICA_ASSIGNMENT,
            `Attempted to add ${request.count - current} additional partition(s), but only ${request.assignments.length} assignment(s) were specified.`,
          );
          continue;
        }
        const checked = explicitAssignments(
          request.assignments.map((brokerIds, i) => ({ partitionIndex: current + i, brokerIds })),
          live,
          current,
        );
        if ("errorCode" in checked) {
          fail(checked.errorCode, checked.errorMessage);
          continue;
        }
        assignments = checked.assignments;
      } else {
        if (replicationFactor > live.length) {
          fail(
            ErrorCode.INVALID_REPLICATION_FACTOR,
            `Unable to replicate the partition ${replicationFactor} time(s): only ${live.length} broker(s) are registered.`,
          );
          continue;
        }
        assignments = placeReplicas(
          image.liveBrokers(),
          request.count - current,
          replicationFactor,
          current,
          this.random,
        );
      }
      results.push({ name: request.name, errorCode: ErrorCode.NONE, errorMessage: null });
      if (validateOnly) continue;
      assignments.forEach((replicas, i) => {
        records.push(partitionRecord(image, topic.id, current + i, replicas));
      });
    }
    return { results, records };
  }

  /**
   * Config changes for topics (and brokers): `set` and `delete` are the effective operations of
   * both AlterConfigs (which replaces the whole set) and IncrementalAlterConfigs.
   */
  alterConfigs(
    image: MetadataImage,
    resourceType: ConfigResourceType,
    resourceName: string,
    changes: ReadonlyMap<string, string | null>,
  ): { errorCode: number; errorMessage: string | null; records: MetadataRecord[] } {
    if (resourceType === ConfigResourceType.topic) {
      if (image.topic(resourceName) === undefined) {
        return {
          errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION,
          errorMessage: `Topic ${resourceName} does not exist.`,
          records: [],
        };
      }
      const next = new Map(image.topicConfig(resourceName));
      for (const [name, value] of changes) {
        if (value === null) next.delete(name);
        else next.set(name, value);
      }
      const problem = this.validateTopicConfigs(next);
      if (problem !== null)
        return { errorCode: ErrorCode.INVALID_CONFIG, errorMessage: problem, records: [] };
    }
    const records: MetadataRecord[] = [...changes].map(([name, value]) => ({
      type: "Config",
      resourceType,
      resourceName,
      name,
      value,
    }));
    if (resourceType === ConfigResourceType.topic && changes.has("min.insync.replicas"))
      records.push(...clearedElrs(image, resourceName));
    return { errorCode: ErrorCode.NONE, errorMessage: null, records };
  }

  /** Hands a broker the next block of producer ids (KIP-730), as a record. */
  allocateProducerIds(
    image: MetadataImage,
    brokerId: number,
    brokerEpoch: bigint,
  ): { firstProducerId: bigint; size: number; records: MetadataRecord[] } {
    const first = image.nextProducerId;
    const next = first + PRODUCER_ID_BLOCK_SIZE;
    assert(next > first, "producer ids overflow");
    return {
      firstProducerId: first,
      size: Number(PRODUCER_ID_BLOCK_SIZE),
      records: [{ type: "ProducerIds", brokerId, brokerEpoch, nextProducerId: next }],
    };
  }
}

function partitionRecord(
  image: MetadataImage,
  topicId: Uuid,
  partitionId: number,
  replicas: number[],
): MetadataRecord {
  const live = new Set(image.liveBrokers().map((b) => b.id));
  const isr = replicas.filter((r) => live.has(r));
  return {
    type: "Partition",
    topicId,
    partitionId,
    replicas,
    isr,
    leader: isr[0] ?? -1,
    leaderEpoch: 0,
    partitionEpoch: 0,
  };
}

function explicitAssignments(
  assignments: readonly { partitionIndex: number; brokerIds: readonly number[] }[],
  live: readonly number[],
  firstPartition = 0,
): { assignments: number[][] } | { errorCode: number; errorMessage: string } {
  const sorted = [...assignments].sort((a, b) => a.partitionIndex - b.partitionIndex);
  const factor = sorted[0]?.brokerIds.length ?? 0;
  for (const [i, a] of sorted.entries()) {
    if (a.partitionIndex !== firstPartition + i) {
      return {
        errorCode: ErrorCode.INVALID_REPLICA_ASSIGNMENT,
        errorMessage: "Partitions should be a consecutive 0-based integer sequence",
      };
    }
    if (a.brokerIds.length !== factor || factor === 0) {
      return {
        errorCode: ErrorCode.INVALID_REPLICA_ASSIGNMENT,
        errorMessage: "All partitions should have the same number of replicas",
      };
    }
    if (new Set(a.brokerIds).size !== a.brokerIds.length) {
      return {
        errorCode: ErrorCode.INVALID_REPLICA_ASSIGNMENT,
        errorMessage: `Duplicate brokers not allowed in replica assignment: ${a.brokerIds.join(", ")} for partition id ${a.partitionIndex}.`,
      };
    }
    const unknown = a.brokerIds.find((b) => !live.includes(b));
    if (unknown !== undefined) {
      return {
        errorCode: ErrorCode.INVALID_REPLICA_ASSIGNMENT,
        errorMessage: `The manual partition assignment includes broker ${unknown}, but no such broker is registered.`,
      };
    }
  }
  return { assignments: sorted.map((a) => [...a.brokerIds]) };
}

/**
 * A topic whose min.insync.replicas changes loses its eligible leader replicas, in the same entry
 * as the config (as Kafka's controller does since KAFKA-16540): they were kept against the old
 * minimum, and under a lower one the leader may already advance the high watermark past them.
 * The last known leader stays: a leaderless partition can still come back with it.
 */
function clearedElrs(image: MetadataImage, topicName: string): MetadataRecord[] {
  const topic = image.topic(topicName);
  if (topic === undefined) return [];
  return topic.partitions
    .filter((p) => p.elr.length > 0)
    .map((p) => ({
      type: "PartitionChange",
      topicId: topic.id,
      partitionId: p.partitionId,
      leader: NO_LEADER_CHANGE,
      isr: null,
      replicas: null,
      eligibleLeaderReplicas: [],
    }));
}
