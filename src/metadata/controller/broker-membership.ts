import type { MetadataImage } from "../metadata-image.js";
import { type MetadataRecord, NO_LEADER, NO_LEADER_CHANGE } from "../metadata-records.js";
import type { BrokerSessionInfo } from "../store/index.js";
import type { RecordBuilder } from "./record-builder.js";

export interface MembershipOptions {
  /** Whether a topic allows unclean leader election (`unclean.leader.election.enable`). */
  uncleanLeaderElection(topic: string, image: MetadataImage): boolean;
}

/**
 * The controller's answer to the brokers' sessions, as records: a session with a new incarnation
 * registers the broker (fenced, its epoch the record's offset); a registered broker whose session
 * reports it has applied the metadata log up to its registration is unfenced; a broker whose
 * session is gone, or that asked to shut down, is fenced. Then every partition is made to agree
 * with who may serve: a leader that may not lead is replaced from the ISR, brokers that may not
 * serve leave ISRs (the last member stays, as in KRaft), leaderless partitions get a leader again
 * when an ISR member returns. So a fenced broker never leads in a committed image. A broker whose
 * session reports a replica in a failed log dir is treated so for that partition only.
 */
export function reconcileMembership(
  builder: RecordBuilder,
  sessions: ReadonlyMap<number, BrokerSessionInfo>,
  options: MembershipOptions,
): void {
  const ids = [...new Set([...builder.image.brokers.keys(), ...sessions.keys()])].sort((a, b) => a - b);
  for (const id of ids) {
    const session = sessions.get(id);
    const registration = builder.image.brokers.get(id);
    if (
      session !== undefined &&
      (registration === undefined || registration.incarnationId !== session.incarnationId)
    ) {
      if (registration !== undefined && !registration.fenced) {
        builder.add([{ type: "FenceBroker", id, epoch: registration.epoch }]);
      }
      builder.add([
        {
          type: "RegisterBroker",
          brokerId: id,
          incarnationId: session.incarnationId,
          brokerEpoch: builder.nextOffset,
          endPoints: session.endPoints.map((e) => ({ ...e })),
          rack: session.rack,
          fenced: true,
        },
      ]);
      continue;
    }
    if (registration === undefined) continue;
    const mayServe = session !== undefined && !session.shuttingDown;
    if (registration.fenced && mayServe && session.metadataOffset >= registration.epoch) {
      builder.add([{ type: "UnfenceBroker", id, epoch: registration.epoch }]);
    } else if (!registration.fenced && !mayServe) {
      builder.add([{ type: "FenceBroker", id, epoch: registration.epoch }]);
    }
  }
  alignPartitions(builder, sessions, options);
}

/** Brokers that may lead and be in an ISR: unfenced, with a session, not shutting down. */
export function eligibleBrokers(
  image: MetadataImage,
  sessions: ReadonlyMap<number, BrokerSessionInfo>,
): Set<number> {
  const eligible = new Set<number>();
  for (const b of image.brokers.values()) {
    const s = sessions.get(b.id);
    if (!b.fenced && s !== undefined && !s.shuttingDown && s.incarnationId === b.incarnationId)
      eligible.add(b.id);
  }
  return eligible;
}

/**
 * Per partition (`topicId:partitionId`), the eligible brokers whose replica of it is in a failed
 * log dir, as their sessions report (KRaft's handleDirectoriesOffline): they may neither lead it
 * nor stay in its ISR, though they serve their other partitions.
 */
function offlineReplicasBySession(
  eligible: ReadonlySet<number>,
  sessions: ReadonlyMap<number, BrokerSessionInfo>,
): Map<string, Set<number>> {
  const offline = new Map<string, Set<number>>();
  for (const [id, session] of sessions) {
    if (!eligible.has(id)) continue;
    for (const r of session.offlineReplicas ?? []) {
      const key = `${r.topicId}:${r.partitionId}`;
      const brokers = offline.get(key) ?? new Set<number>();
      if (brokers.size === 0) offline.set(key, brokers);
      brokers.add(id);
    }
  }
  return offline;
}

const NOBODY: ReadonlySet<number> = new Set();

function alignPartitions(
  builder: RecordBuilder,
  sessions: ReadonlyMap<number, BrokerSessionInfo>,
  options: MembershipOptions,
): void {
  const image = builder.image;
  const eligible = eligibleBrokers(image, sessions);
  const offlineReplicas = offlineReplicasBySession(eligible, sessions);
  const records: MetadataRecord[] = [];
  for (const topic of image.topicsById.values()) {
    for (const p of topic.partitions) {
      const offline = offlineReplicas.get(`${topic.id}:${p.partitionId}`) ?? NOBODY;
      const serves = (b: number) => eligible.has(b) && !offline.has(b);
      const serving = p.isr.filter(serves);
      // KRaft keeps the last ISR member when none may serve, so the partition can return with it.
      const lastMember = p.isr.includes(p.leader) ? p.leader : p.isr[0];
      let isr = serving.length > 0 ? serving : lastMember === undefined ? [] : [lastMember];
      let leader =
        p.leader !== NO_LEADER && serves(p.leader) && isr.includes(p.leader)
          ? p.leader
          : (p.replicas.find((b) => isr.includes(b) && serves(b)) ?? NO_LEADER);
      if (leader === NO_LEADER && options.uncleanLeaderElection(topic.name, image)) {
        const unclean = p.replicas.find(serves);
        if (unclean !== undefined) {
          leader = unclean;
          isr = [unclean];
        }
      }
      const leaderChanged = leader !== p.leader;
      const isrChanged = isr.length !== p.isr.length || isr.some((b, i) => b !== p.isr[i]);
      if (!leaderChanged && !isrChanged) continue;
      records.push({
        type: "PartitionChange",
        topicId: topic.id,
        partitionId: p.partitionId,
        leader: leaderChanged ? leader : NO_LEADER_CHANGE,
        isr: isrChanged ? isr : null,
        replicas: null,
      });
    }
  }
  if (records.length > 0) builder.add(records);
}
