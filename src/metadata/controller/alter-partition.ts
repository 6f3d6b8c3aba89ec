import { ErrorCode, type Uuid } from "../../protocol/index.js";
import type { MetadataImage } from "../metadata-image.js";
import type { MetadataRecord } from "../metadata-records.js";
import { type PartitionRules, partitionChange } from "./partition-change.js";
import { completeReassignments } from "./reassignment.js";
import { RecordBuilder } from "./record-builder.js";

export interface IsrChangeRequest {
  topicId: Uuid;
  partitionIndex: number;
  leaderEpoch: number;
  partitionEpoch: number;
  newIsr: readonly number[];
}

export interface IsrChangeResult {
  topicId: Uuid;
  partitionIndex: number;
  errorCode: number;
  /** The partition as it is after the change (or as it is, on an error the leader can act on). */
  leaderId: number;
  leaderEpoch: number;
  isr: readonly number[];
  partitionEpoch: number;
}

/**
 * The controller's answer to a partition leader's ISR change (AlterPartition, Kafka's
 * ReplicationControlManager rules): only the current leader, at the current leader epoch and
 * partition epoch, may change the ISR; the new ISR keeps the leader, names only replicas, and adds
 * only brokers that may serve (registered, unfenced). A stale request gets the error that tells
 * the leader to wait for newer metadata. Each accepted change is one PartitionChange record (none
 * when it changes nothing), its ELR as partitionChange keeps it.
 */
export function decideAlterPartition(
  image: MetadataImage,
  brokerId: number,
  brokerEpoch: bigint,
  requests: readonly IsrChangeRequest[],
  rules: PartitionRules,
): { errorCode: number; results: IsrChangeResult[]; records: MetadataRecord[] } {
  const registration = image.brokers.get(brokerId);
  if (registration === undefined || (brokerEpoch >= 0n && registration.epoch !== brokerEpoch)) {
    return { errorCode: ErrorCode.STALE_BROKER_EPOCH, results: [], records: [] };
  }
  const records: MetadataRecord[] = [];
  const results = requests.map((r): IsrChangeResult => {
    const topic = image.topicsById.get(r.topicId);
    const p = topic?.partitions[r.partitionIndex];
    const answer = (errorCode: number, isr = p?.isr ?? [], changed = false): IsrChangeResult => ({
      topicId: r.topicId,
      partitionIndex: r.partitionIndex,
      errorCode,
      leaderId: p?.leader ?? -1,
      leaderEpoch: p?.leaderEpoch ?? -1,
      isr,
      partitionEpoch: (p?.partitionEpoch ?? -1) + (changed ? 1 : 0),
    });
    if (topic === undefined) return answer(ErrorCode.UNKNOWN_TOPIC_ID);
    if (p === undefined) return answer(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
    if (p.leader !== brokerId) return answer(ErrorCode.INVALID_REQUEST);
    if (r.leaderEpoch !== p.leaderEpoch) return answer(ErrorCode.FENCED_LEADER_EPOCH);
    if (r.partitionEpoch !== p.partitionEpoch) return answer(ErrorCode.INVALID_UPDATE_VERSION);
    const isr = [...new Set(r.newIsr)];
    if (!isr.includes(brokerId) || isr.some((b) => !p.replicas.includes(b)))
      return answer(ErrorCode.INVALID_REQUEST);
    const ineligible = isr.find((b) => !p.isr.includes(b) && (image.brokers.get(b)?.fenced ?? true));
    if (ineligible !== undefined) return answer(ErrorCode.INELIGIBLE_REPLICA);
    // Kafka keeps the ISR in replica order.
    const ordered = p.replicas.filter((b) => isr.includes(b));
    const change = partitionChange(
      r.topicId,
      p,
      { isr: ordered, leader: p.leader },
      {
        minInsyncReplicas: rules.minInsyncReplicas(topic.name, image),
        mayLead: () => true,
        uncleanElection: false,
      },
    );
    if (change !== null) records.push(change);
    return answer(ErrorCode.NONE, ordered, change !== null);
  });
  return { errorCode: ErrorCode.NONE, results, records };
}

/**
 * decideAlterPartition, then the reassignments an ISR change completes (a joining replica that
 * caught up was the last one a reassignment waited for).
 */
export function decideIsrChanges(
  image: MetadataImage,
  brokerId: number,
  brokerEpoch: bigint,
  requests: readonly IsrChangeRequest[],
  rules: PartitionRules,
): { errorCode: number; results: IsrChangeResult[]; records: MetadataRecord[] } {
  const decided = decideAlterPartition(image, brokerId, brokerEpoch, requests, rules);
  if (decided.records.length === 0) return decided;
  const builder = new RecordBuilder(image);
  builder.add(decided.records);
  completeReassignments(builder, rules);
  return { ...decided, records: [...builder.records] };
}
