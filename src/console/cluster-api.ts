import { statfsSync } from "node:fs";
import { dirname, resolve } from "node:path";
import type { Broker } from "../broker/index.js";
import { kafkaEndPoints, SCHEMAS_TOPIC, schemaRegistryUrl } from "../metadata/index.js";
import { brookVersion } from "./brook-version.js";
import { clusterHealth } from "./replication-health.js";

export interface LogDirInfo {
  path: string;
  partitions: number;
  sizeBytes: number;
  /** Space on the file system holding the dir; null when the OS does not say. */
  freeBytes: number | null;
  totalBytes: number | null;
  /** The dir failed (a full disk, an I/O error) and is offline until the broker restarts. */
  offline: boolean;
}

/** Each log dir with the partitions it holds and their bytes on disk. */
export function logDirInfo(broker: Broker): LogDirInfo[] {
  const dirs = new Map<string, LogDirInfo>();
  for (const path of broker.logManager.logDirs) {
    dirs.set(resolve(path), {
      path,
      partitions: 0,
      sizeBytes: 0,
      ...fileSystemSpace(path),
      offline: !broker.logManager.isLogDirOnline(path),
    });
  }
  for (const log of broker.logManager.allLogs()) {
    const dir = dirs.get(resolve(dirname(log.dir)));
    if (dir === undefined) continue;
    dir.partitions++;
    dir.sizeBytes += log.sizeBytes;
  }
  return [...dirs.values()];
}

function fileSystemSpace(path: string): { freeBytes: number | null; totalBytes: number | null } {
  try {
    const s = statfsSync(path);
    return { freeBytes: s.bavail * s.bsize, totalBytes: s.blocks * s.bsize };
  } catch {
    return { freeBytes: null, totalBytes: null };
  }
}

/** `/api/cluster`: who this node is, where it listens, what it stores. */
export function clusterInfo(
  broker: Broker,
  consoleUrls: readonly string[],
  groupsAvailable: boolean,
): unknown {
  const image = broker.image;
  const health = clusterHealth(broker, image);
  const nowMs = broker.clock.nowMs();
  return {
    clusterId: broker.clusterId,
    nodeId: broker.nodeId,
    version: brookVersion(),
    processRoles: broker.config.processRoles,
    startedAtMs: broker.startedAtMs,
    uptimeMs: Math.max(0, nowMs - broker.startedAtMs),
    metadataOffset: image.offset,
    // -1 during an election; activeController: whether this node is it.
    activeControllerId: health.activeControllerId,
    activeController: broker.metadata.isActiveController,
    // Registered brokers, live (may lead) and fenced.
    brokerCount: image.brokers.size,
    liveBrokerCount: health.liveBrokerCount,
    fencedBrokerCount: health.fencedBrokerCount,
    topicCount: health.topicCount,
    partitionCount: health.partitionCount,
    // Over every partition of the cluster, from the metadata (the same on every node).
    underReplicatedPartitions: health.underReplicatedPartitions,
    underMinIsrPartitions: health.underMinIsrPartitions,
    offlinePartitions: health.offlinePartitions,
    preferredReplicaImbalance: health.preferredReplicaImbalance,
    listeners: broker.listeners.map((l) => ({ name: l.name, host: l.host, port: l.boundPort })),
    advertisedListeners: broker.advertisedListeners.map((l) => ({
      name: l.name,
      host: l.host,
      port: l.port,
    })),
    console: consoleUrls,
    // Where this node's Schema Registry listens, as its broker registration says; null when off.
    schemaRegistry: ((r) => (r === undefined ? null : schemaRegistryUrl(r)))(
      image.brokers.get(broker.nodeId),
    ),
    // False until the group coordinator is wired to the console: /api/groups is then empty.
    groupCoordinator: groupsAvailable,
    logDirs: logDirInfo(broker),
  };
}

/**
 * `/api/brokers`: the registered brokers, as the metadata image holds them: live or fenced (a
 * broker whose session expired, or that shut down, stays registered, fenced), which one is the
 * active controller, and the partitions each leads and hosts.
 */
export function brokersInfo(broker: Broker): unknown {
  const image = broker.image;
  const leaders = new Map<number, number>();
  const replicas = new Map<number, number>();
  for (const topic of image.topicsById.values()) {
    for (const p of topic.partitions) {
      if (p.leader >= 0) leaders.set(p.leader, (leaders.get(p.leader) ?? 0) + 1);
      for (const r of p.replicas) replicas.set(r, (replicas.get(r) ?? 0) + 1);
    }
  }
  const controllerId = broker.activeControllerId;
  const schemasLeader = image.partition(SCHEMAS_TOPIC, 0)?.leader ?? -1;
  return [...image.brokers.values()]
    .sort((a, b) => a.id - b.id)
    .map((b) => ({
      id: b.id,
      epoch: b.epoch,
      rack: b.rack,
      fenced: b.fenced,
      state: b.fenced ? "fenced" : "live",
      activeController: b.id === controllerId,
      local: b.id === broker.nodeId,
      endpoints: kafkaEndPoints(b).map((e) => ({ name: e.name, host: e.host, port: e.port })),
      // The broker's Schema Registry (null when it serves none); the one leading _schemas takes the writes.
      schemaRegistryUrl: schemaRegistryUrl(b),
      schemaRegistryLeader: b.id === schemasLeader,
      leaderCount: leaders.get(b.id) ?? 0,
      replicaCount: replicas.get(b.id) ?? 0,
    }));
}
