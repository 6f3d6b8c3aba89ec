import type { MetadataImage, PartitionRegistration } from "../metadata-image.js";
import { type MetadataRecord, NO_LEADER } from "../metadata-records.js";
import type { BrokerSessionInfo } from "../store/index.js";
import { type PartitionRules, partitionChange } from "./partition-change.js";
import type { RecordBuilder } from "./record-builder.js";

/**
 * The controller's answer to the brokers' sessions, as records: a session with a new incarnation
 * registers the broker (fenced, its epoch the record's offset); a registered broker whose session
 * reports it has applied the metadata log up to its registration is unfenced; a broker whose
 * session is gone, or that asked to shut down, is fenced. Then every partition is made to agree
 * with who may serve (partitionChange's rules, KIP-966): brokers that may not serve leave ISRs,
 * into the ELR while the ISR is below min ISR; a leader that may not lead is replaced from the ISR,
 * or from the ELR when the ISR is empty; leaderless partitions get a leader again when an eligible
 * replica returns. So a fenced broker never leads in a committed image. A new incarnation of a
 * broker that does not name its registration's epoch as its previous one (it crashed, rather than
 * shutting down cleanly or only losing its session) counts as an unclean shutdown, as Kafka's
 * controller counts it: it leaves every ELR, since its disk may have lost what made it eligible. A
 * broker whose session reports a replica in a failed log dir is treated so for that partition only.
 */
export function reconcileMembership(
  builder: RecordBuilder,
  sessions: ReadonlyMap<number, BrokerSessionInfo>,
  rules: PartitionRules,
): void {
  const restarted = new Set<number>();
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
      // KIP-966: a broker whose logs may have lost something since its registration (it names no
      // previous epoch, or not that one) leaves every ELR.
      if (registration === undefined || session.previousBrokerEpoch !== registration.epoch) restarted.add(id);
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
  alignPartitions(builder, sessions, rules, restarted);
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
  rules: PartitionRules,
  restarted: ReadonlySet<number>,
): void {
  const image = builder.image;
  const eligible = eligibleBrokers(image, sessions);
  const offlineReplicas = offlineReplicasBySession(eligible, sessions);
  const records: MetadataRecord[] = [];
  // Every session change runs this over every partition: the common case (no failed log dir)
  // builds no key and no closure per partition.
  const servesAnywhere = (b: number) => eligible.has(b);
  for (const topic of image.topicsById.values()) {
    for (const p of topic.partitions) {
      const offline =
        offlineReplicas.size === 0 ? NOBODY : (offlineReplicas.get(`${topic.id}:${p.partitionId}`) ?? NOBODY);
      const serves = offline === NOBODY ? servesAnywhere : (b: number) => eligible.has(b) && !offline.has(b);
      if (agrees(p, serves, restarted)) continue;
      const change = partitionChange(
        topic.id,
        p,
        { isr: p.isr.filter(serves) },
        {
          minInsyncReplicas: rules.minInsyncReplicas(topic.name, image),
          mayLead: serves,
          uncleanElection: rules.uncleanLeaderElection(topic.name, image),
          uncleanShutdown: restarted,
        },
      );
      if (change !== null) records.push(change);
    }
  }
  if (records.length > 0) builder.add(records);
}

/**
 * Whether a partition already agrees with who may serve (the common case, checked without
 * reading the topic's configs): its ISR all serve, it has a leader that serves, and no broker that
 * just restarted is in its ISR or ELR.
 */
function agrees(
  p: PartitionRegistration,
  serves: (b: number) => boolean,
  restarted: ReadonlySet<number>,
): boolean {
  if (p.leader === NO_LEADER || !serves(p.leader) || !p.isr.includes(p.leader)) return false;
  if (!p.isr.every(serves)) return false;
  return restarted.size === 0 || !p.elr.some((b) => restarted.has(b));
}
