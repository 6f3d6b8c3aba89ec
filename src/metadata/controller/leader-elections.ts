import { ErrorCode, type Uuid } from "../../protocol/index.js";
import type { MetadataImage, PartitionRegistration } from "../metadata-image.js";
import type { MetadataRecord } from "../metadata-records.js";
import { leaderAfter, type PartitionRules, partitionChange } from "./partition-change.js";

export const ElectionType = { preferred: 0, unclean: 1 } as const;

export interface ElectionResult {
  topic: string;
  partition: number;
  errorCode: number;
  errorMessage: string | null;
}

/** Brokers that may lead: registered and unfenced. */
function leaderCandidates(image: MetadataImage): Set<number> {
  return new Set(image.liveBrokers().map((b) => b.id));
}

/**
 * ElectLeaders (KIP-460) as Kafka's controller answers it. Preferred: the first replica leads
 * again if it is in the ISR and may lead (ELECTION_NOT_NEEDED when it already does,
 * PREFERRED_LEADER_NOT_AVAILABLE when it cannot). Unclean: only a partition without a leader gets
 * one (ELECTION_NOT_NEEDED when it has a leader): from the ISR, or the ELR when the ISR is empty,
 * else the last known leader, else the first live replica, with an ISR of itself.
 * `partitions` null: every partition (Kafka's "all partitions" form, preferred elections only
 * where needed).
 */
export function electLeaders(
  image: MetadataImage,
  electionType: number,
  partitions: readonly { topic: string; partition: number }[] | null,
  rules: PartitionRules,
): { results: ElectionResult[]; records: MetadataRecord[] } {
  const candidates = leaderCandidates(image);
  const results: ElectionResult[] = [];
  const records: MetadataRecord[] = [];
  const wanted =
    partitions ??
    [...image.topicsByName.values()].flatMap((t) =>
      t.partitions.map((p) => ({ topic: t.name, partition: p.partitionId })),
    );
  for (const { topic, partition } of wanted) {
    const t = image.topic(topic);
    const p = t?.partitions[partition];
    const answer = (errorCode: number, errorMessage: string | null = null) =>
      results.push({ topic, partition, errorCode, errorMessage });
    // Kafka's controller's words (ReplicationControlManager.electLeader), which its tool prints.
    if (t === undefined) {
      answer(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `No such topic as ${topic}`);
      continue;
    }
    if (p === undefined) {
      answer(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `No such partition as ${topic}-${partition}`);
      continue;
    }
    const minIsr = rules.minInsyncReplicas(t.name, image);
    const change =
      electionType === ElectionType.unclean
        ? uncleanLeader(t.id, p, candidates, minIsr)
        : preferredLeader(t.id, p, candidates, minIsr);
    if ("errorCode" in change) {
      if (partitions !== null || change.errorCode !== ErrorCode.ELECTION_NOT_NEEDED)
        answer(change.errorCode, change.message);
      continue;
    }
    records.push(change.record);
    answer(ErrorCode.NONE);
  }
  return { results, records };
}

function preferredLeader(
  topicId: Uuid,
  p: PartitionRegistration,
  candidates: ReadonlySet<number>,
  minInsyncReplicas: number,
): { record: MetadataRecord } | { errorCode: number; message: string } {
  const preferred = p.replicas[0];
  if (preferred === undefined || preferred === p.leader) return notNeeded();
  if (!p.isr.includes(preferred) || !candidates.has(preferred)) {
    return {
      errorCode: ErrorCode.PREFERRED_LEADER_NOT_AVAILABLE,
      message: "The preferred leader was not available.",
    };
  }
  const record = partitionChange(
    topicId,
    p,
    { leader: preferred },
    { minInsyncReplicas, mayLead: (b) => candidates.has(b), uncleanElection: false },
  );
  return record === null ? notNeeded() : { record };
}

function notNeeded(): { errorCode: number; message: string } {
  return {
    errorCode: ErrorCode.ELECTION_NOT_NEEDED,
    message: "Leader election not needed for topic partition.",
  };
}

function uncleanLeader(
  topicId: Uuid,
  p: PartitionRegistration,
  candidates: ReadonlySet<number>,
  minInsyncReplicas: number,
): { record: MetadataRecord } | { errorCode: number; message: string } {
  if (p.leader >= 0 && candidates.has(p.leader)) return notNeeded();
  const record = partitionChange(
    topicId,
    p,
    {},
    { minInsyncReplicas, mayLead: (b) => candidates.has(b), uncleanElection: true },
  );
  if (record === null || leaderAfter(p, record) < 0) {
    return {
      errorCode: ErrorCode.ELIGIBLE_LEADERS_NOT_AVAILABLE,
      message: "Eligible topic partition leaders are not available.",
    };
  }
  return { record };
}

/**
 * Kafka's automatic leader rebalance (auto.leader.rebalance.enable): a broker whose share of
 * partitions it should lead (it is the preferred replica) but does not is above
 * `imbalancePercent` gets them back, where it is in the ISR and may lead.
 */
export function rebalanceLeaders(
  image: MetadataImage,
  imbalancePercent: number,
  rules: PartitionRules,
): MetadataRecord[] {
  const candidates = leaderCandidates(image);
  const preferredCount = new Map<number, number>();
  const notLeading = new Map<number, { topic: string; topicId: Uuid; p: PartitionRegistration }[]>();
  for (const t of image.topicsById.values()) {
    for (const p of t.partitions) {
      const preferred = p.replicas[0];
      if (preferred === undefined) continue;
      preferredCount.set(preferred, (preferredCount.get(preferred) ?? 0) + 1);
      if (p.leader !== preferred)
        notLeading.set(preferred, [
          ...(notLeading.get(preferred) ?? []),
          { topic: t.name, topicId: t.id, p },
        ]);
    }
  }
  const records: MetadataRecord[] = [];
  for (const [broker, partitions] of notLeading) {
    const total = preferredCount.get(broker) ?? 0;
    if (total === 0 || (partitions.length * 100) / total <= imbalancePercent) continue;
    for (const { topic, topicId, p } of partitions) {
      const change = preferredLeader(topicId, p, candidates, rules.minInsyncReplicas(topic, image));
      if ("record" in change) records.push(change.record);
    }
  }
  return records;
}
