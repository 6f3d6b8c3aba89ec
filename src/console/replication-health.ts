import type { Broker } from "../broker/index.js";
import type { MetadataImage, PartitionRegistration } from "../metadata/index.js";
import { effectiveMinIsr } from "../replication/index.js";

/**
 * Replication health as the console reports it, in Kafka's terms:
 *   under-replicated  the ISR is smaller than the replica set;
 *   offline           no leader, or a leader that is not a live (registered, unfenced) broker;
 *   under min ISR     the ISR is smaller than the topic's min.insync.replicas (acks=all refused);
 *   at min ISR        the ISR is exactly min.insync.replicas (one more loss and acks=all stops).
 * The cluster-wide view is read from the metadata image, the same on every node; the local view
 * (what Kafka's ReplicaManager gauges count) from the replicas this broker hosts.
 */

/** Ids of the brokers that may lead: registered and not fenced. */
export function liveBrokerIds(image: MetadataImage): ReadonlySet<number> {
  const live = new Set<number>();
  for (const b of image.brokers.values()) if (!b.fenced) live.add(b.id);
  return live;
}

export const isUnderReplicated = (p: PartitionRegistration): boolean => p.isr.length < p.replicas.length;

export const isOffline = (p: PartitionRegistration, live: ReadonlySet<number>): boolean =>
  p.leader < 0 || !live.has(p.leader);

/** The topic's effective min.insync.replicas (its override, else the broker's default). */
export function minInsyncReplicas(broker: Broker, topic: string, image: MetadataImage): number {
  return broker.topicConfig(topic, image).minInsyncReplicas;
}

/** The cluster as the committed metadata describes it. */
export interface ClusterHealth {
  /** The active controller's node id; -1 during an election. */
  activeControllerId: number;
  liveBrokerCount: number;
  fencedBrokerCount: number;
  topicCount: number;
  partitionCount: number;
  underReplicatedPartitions: number;
  offlinePartitions: number;
  underMinIsrPartitions: number;
  /** Partitions whose leader is not their preferred replica (the first), while it is live. */
  preferredReplicaImbalance: number;
}

export function clusterHealth(broker: Broker, image: MetadataImage = broker.image): ClusterHealth {
  const live = liveBrokerIds(image);
  const health: ClusterHealth = {
    activeControllerId: broker.activeControllerId,
    liveBrokerCount: live.size,
    fencedBrokerCount: image.brokers.size - live.size,
    topicCount: image.topicsByName.size,
    partitionCount: 0,
    underReplicatedPartitions: 0,
    offlinePartitions: 0,
    underMinIsrPartitions: 0,
    preferredReplicaImbalance: 0,
  };
  for (const topic of image.topicsById.values()) {
    const minIsr = minInsyncReplicas(broker, topic.name, image);
    for (const p of topic.partitions) {
      health.partitionCount++;
      if (isUnderReplicated(p)) health.underReplicatedPartitions++;
      if (isOffline(p, live)) health.offlinePartitions++;
      if (p.isr.length < effectiveMinIsr(minIsr, p.replicas)) health.underMinIsrPartitions++;
      const preferred = p.replicas[0];
      if (preferred !== undefined && p.leader !== preferred && live.has(preferred))
        health.preferredReplicaImbalance++;
    }
  }
  return health;
}

/** This broker's replicas, as Kafka's ReplicaManager metrics count them. */
export interface LocalReplicationStats {
  /** Partition replicas hosted here (PartitionCount). */
  partitionCount: number;
  /** Partitions led here (LeaderCount). */
  leaderCount: number;
  /** Partitions led here whose ISR is smaller than their replica set (UnderReplicatedPartitions). */
  underReplicatedPartitions: number;
  /** Partitions led here whose ISR is below min.insync.replicas (UnderMinIsrPartitionCount). */
  underMinIsrPartitions: number;
  /** Partitions led here whose ISR is exactly min.insync.replicas (AtMinIsrPartitionCount). */
  atMinIsrPartitions: number;
  /** Replicas hosted here whose log is offline (OfflineReplicaCount). */
  offlineReplicas: number;
  /** Committed ISR shrinks and expands of partitions led here (IsrShrinksPerSec, IsrExpandsPerSec). */
  isrShrinks: number;
  isrExpands: number;
  /** ISR changes this leader proposed that were refused or not delivered (FailedIsrUpdatesPerSec). */
  failedIsrUpdates: number;
  /** Whether this node is the active controller (ActiveControllerCount). */
  activeController: boolean;
}

export function localReplicationStats(broker: Broker): LocalReplicationStats {
  const stats: LocalReplicationStats = {
    partitionCount: 0,
    leaderCount: 0,
    underReplicatedPartitions: 0,
    underMinIsrPartitions: 0,
    atMinIsrPartitions: 0,
    offlineReplicas: 0,
    isrShrinks: broker.replicaManager.isrChanges.shrinks,
    isrExpands: broker.replicaManager.isrChanges.expands,
    failedIsrUpdates: broker.isrChanges.failedUpdates,
    activeController: broker.metadata.isActiveController,
  };
  // Kafka's OfflineReplicaCount: replicas in failed log dirs (hosted or not: see ReplicaManager).
  stats.offlineReplicas = broker.replicaManager.offlineReplicas().length;
  for (const p of broker.replicaManager.all()) {
    stats.partitionCount++;
    if (!p.isLeader || p.log.isOffline) continue;
    stats.leaderCount++;
    if (p.isr.length < p.replicas.length) stats.underReplicatedPartitions++;
    const minIsr = effectiveMinIsr(p.log.config.minInsyncReplicas, p.replicas);
    if (p.isr.length < minIsr) stats.underMinIsrPartitions++;
    else if (p.isr.length === minIsr) stats.atMinIsrPartitions++;
  }
  return stats;
}
