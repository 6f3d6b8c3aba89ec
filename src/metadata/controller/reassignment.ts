import { ErrorCode, type Uuid } from "../../protocol/index.js";
import type { MetadataImage, PartitionRegistration } from "../metadata-image.js";
import type { MetadataRecord } from "../metadata-records.js";
import { type PartitionRules, partitionChange } from "./partition-change.js";
import type { RecordBuilder } from "./record-builder.js";

export interface ReassignmentRequest {
  topic: string;
  partition: number;
  /** The target replicas; null cancels a reassignment in progress. */
  replicas: readonly number[] | null;
}

export interface ReassignmentResult {
  topic: string;
  partition: number;
  errorCode: number;
  errorMessage: string | null;
}

/**
 * Partition reassignment as Kafka's controller does it (KIP-455): the partition's replicas become
 * the target plus the replicas leaving, the joining ones are recorded as adding and the leaving
 * ones as removing; the joining replicas fetch like any follower, and once every target replica is
 * in the ISR the reassignment completes (see completeReassignments): the leaving replicas go, and
 * leadership moves into the target if needed. A target with nothing to add completes at once; a
 * null target cancels, back to the replicas the partition had.
 */
export function alterReassignments(
  builder: RecordBuilder,
  requests: readonly ReassignmentRequest[],
  rules: PartitionRules,
): ReassignmentResult[] {
  return requests.map((r) => {
    const answer = (errorCode: number, errorMessage: string | null = null): ReassignmentResult => ({
      topic: r.topic,
      partition: r.partition,
      errorCode,
      errorMessage,
    });
    const image = builder.image;
    const topic = image.topic(r.topic);
    const p = topic?.partitions[r.partition];
    if (topic === undefined || p === undefined) return answer(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
    const inProgress = p.addingReplicas.length > 0 || p.removingReplicas.length > 0;
    const original = p.replicas.filter((b) => !p.addingReplicas.includes(b));
    if (r.replicas === null) {
      if (!inProgress)
        return answer(
          ErrorCode.NO_REASSIGNMENT_IN_PROGRESS,
          `No reassignment is in progress for ${r.topic}-${r.partition}`,
        );
      addChange(builder, finish(topic.id, p, original, image, rules, topic.name));
      return answer(ErrorCode.NONE);
    }
    const problem = targetProblem(r.replicas, image);
    if (problem !== null) return answer(ErrorCode.INVALID_REPLICA_ASSIGNMENT, problem);
    const target = [...r.replicas];
    const adding = target.filter((b) => !original.includes(b));
    const removing = original.filter((b) => !target.includes(b));
    if (adding.length === 0) {
      // Nothing to catch up: the reassignment (or its reordering) completes at once.
      if (!inProgress && sameOrder(target, p.replicas)) return answer(ErrorCode.NONE);
      addChange(builder, finish(topic.id, p, target, image, rules, topic.name));
      return answer(ErrorCode.NONE);
    }
    addChange(
      builder,
      partitionChange(
        topic.id,
        p,
        {
          replicas: [...target, ...removing],
          addingReplicas: adding,
          removingReplicas: removing,
          leader: p.leader,
        },
        contextFor(image, rules, topic.name),
      ),
    );
    completeReassignments(builder, rules);
    return answer(ErrorCode.NONE);
  });
}

/** Completes every reassignment whose target replicas are all in the ISR. */
export function completeReassignments(builder: RecordBuilder, rules: PartitionRules): void {
  const image = builder.image;
  const records: MetadataRecord[] = [];
  for (const topic of image.topicsById.values()) {
    for (const p of topic.partitions) {
      if (p.addingReplicas.length === 0 && p.removingReplicas.length === 0) continue;
      const target = p.replicas.filter((b) => !p.removingReplicas.includes(b));
      if (!target.every((b) => p.isr.includes(b))) continue;
      const change = finish(topic.id, p, target, image, rules, topic.name);
      if (change !== null) records.push(change);
    }
  }
  if (records.length > 0) builder.add(records);
}

/**
 * The partition with `replicas` as its replicas, the ISR kept within them, and a leader elected
 * among them if the current one is not.
 */
function finish(
  topicId: Uuid,
  p: PartitionRegistration,
  replicas: readonly number[],
  image: MetadataImage,
  rules: PartitionRules,
  topicName: string,
): MetadataRecord | null {
  const isr = p.isr.filter((b) => replicas.includes(b));
  return partitionChange(
    topicId,
    p,
    { isr, replicas, addingReplicas: [], removingReplicas: [] },
    contextFor(image, rules, topicName),
  );
}

function contextFor(image: MetadataImage, rules: PartitionRules, topic: string) {
  return {
    minInsyncReplicas: rules.minInsyncReplicas(topic, image),
    mayLead: (b: number) => image.brokers.get(b)?.fenced === false,
    uncleanElection: false,
  };
}

function addChange(builder: RecordBuilder, change: MetadataRecord | null): void {
  if (change !== null) builder.add([change]);
}

function targetProblem(replicas: readonly number[], image: MetadataImage): string | null {
  if (replicas.length === 0) return "The replica list must not be empty.";
  if (new Set(replicas).size !== replicas.length)
    return `Duplicate brokers not allowed in replica assignment: ${replicas.join(", ")}`;
  const unknown = replicas.find((b) => !image.brokers.has(b));
  if (unknown !== undefined)
    return `The manual partition assignment includes broker ${unknown}, but no such broker is registered.`;
  return null;
}

function sameOrder(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

/** Reassignments in progress, for ListPartitionReassignments. */
export function ongoingReassignments(
  image: MetadataImage,
  wanted: readonly { topic: string; partitions: readonly number[] }[] | null,
): { topic: string; partition: PartitionRegistration }[] {
  const out: { topic: string; partition: PartitionRegistration }[] = [];
  const consider = (topic: string, p: PartitionRegistration | undefined) => {
    if (p !== undefined && (p.addingReplicas.length > 0 || p.removingReplicas.length > 0))
      out.push({ topic, partition: p });
  };
  if (wanted === null) {
    for (const t of image.topicsByName.values()) for (const p of t.partitions) consider(t.name, p);
  } else {
    for (const w of wanted) for (const i of w.partitions) consider(w.topic, image.partition(w.topic, i));
  }
  return out;
}
