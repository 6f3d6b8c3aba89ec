import { describeError } from "../base/index.js";
import type { MetadataImage } from "../metadata/index.js";
import type { BrokerSettings, MetadataView } from "./handler-context.js";

/** What a coordinator runtime (groups, transactions) offers for the partitions of its topic. */
export interface PartitionedCoordinator {
  loadPartition(partition: number, leaderEpoch: number): Promise<void>;
  unloadPartition(partition: number, leaderEpoch?: number): void;
  partitionStatus(partition: number): "loading" | "active" | "none";
}

/**
 * After a metadata change: the coordinator serves the partitions of its internal topic this broker
 * leads (loading each at its leader epoch; a no-op when already loaded at that epoch) and drops the
 * others. Called after the replica manager applied the same image, so the replicas exist.
 */
export function syncCoordinatorPartitions(
  broker: Pick<MetadataView, "nodeId"> & Pick<BrokerSettings, "log">,
  image: MetadataImage,
  topicName: string,
  partitionCount: number,
  runtime: PartitionedCoordinator,
  loadFailure: string,
): void {
  const topic = image.topic(topicName);
  for (let partition = 0; partition < partitionCount; partition++) {
    const registration = topic?.partitions[partition];
    if (registration !== undefined && registration.leader === broker.nodeId) {
      runtime.loadPartition(partition, registration.leaderEpoch).catch((error: unknown) => {
        broker.log.error(`loading ${topicName}-${partition} failed; ${loadFailure}: ${describeError(error)}`);
      });
    } else if (runtime.partitionStatus(partition) !== "none") {
      runtime.unloadPartition(partition, registration?.leaderEpoch);
    }
  }
}
