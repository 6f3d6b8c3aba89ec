import { describeError, type Logger, type Timer, type Timers } from "../base/index.js";
import { decideIsrChanges, type IsrChangeResult } from "../metadata/index.js";
import { type AlterPartitionResponse, ApiKey, ErrorCode } from "../protocol/index.js";
import type { Partition } from "../replication/index.js";
import type { BrokerSettings, ControllerAccess, MetadataView, PartitionAccess } from "./handler-context.js";

/** Kafka sends AlterPartition at v2 (topic ids) to controllers that do not take v3's broker epochs. */
const ALTER_PARTITION_VERSION = 2;
const ALTER_PARTITION_TIMEOUT_MS = 30_000;

/**
 * The leader's side of ISR changes (Kafka's AlterPartitionManager and the ISR expiration task):
 * every replica.lag.time.max.ms / 2 the led partitions are checked for followers that fell behind,
 * and after each follower fetch for one that caught up; a change is proposed to the active
 * controller (locally when this node is it) and applies only once committed, when the partition
 * sees it in the image. One proposal per partition is in flight at a time; a refused one is
 * dropped and proposed again by the next check if still needed.
 */
/** What the ISR changes use of the broker. */
type IsrChangesContext = MetadataView &
  ControllerAccess &
  Pick<PartitionAccess, "replicaManager"> &
  BrokerSettings;

export class IsrChanges {
  private readonly broker: IsrChangesContext;
  private readonly log: Logger;
  private readonly lagMaxMs: number;
  private readonly timers: Timers;
  private timer: Timer | null = null;
  private stopped = false;
  private failed = 0;

  constructor(broker: IsrChangesContext, timers: Timers, log: Logger) {
    this.broker = broker;
    this.timers = timers;
    this.log = log;
    this.lagMaxMs = broker.config.int("replica.lag.time.max.ms");
  }

  start(): void {
    const tick = () => {
      if (this.stopped) return;
      for (const { partition, isr } of this.broker.replicaManager.isrShrinks(this.lagMaxMs)) {
        this.log.info(`${partition.name}: shrinking ISR from ${partition.isr} to ${isr}`);
        this.propose(partition, isr);
      }
      this.timer = this.timers.after(Math.max(100, Math.floor(this.lagMaxMs / 2)), tick);
    };
    this.timer = this.timers.after(Math.max(100, Math.floor(this.lagMaxMs / 2)), tick);
  }

  /** Proposals refused by the controller or not delivered (Kafka's FailedIsrUpdatesPerSec). */
  get failedUpdates(): number {
    return this.failed;
  }

  stop(): void {
    this.stopped = true;
    this.timer?.cancel();
  }

  /** After a follower's fetch: a follower that caught up joins the ISR. */
  maybeExpand(partition: Partition, replicaId: number): void {
    const isr = partition.isrAfterExpand(replicaId, (id) => {
      const registration = this.broker.image.brokers.get(id);
      return registration !== undefined && !registration.fenced;
    });
    if (isr === null) return;
    this.log.info(`${partition.name}: expanding ISR from ${partition.isr} to ${isr}`);
    this.propose(partition, isr);
  }

  private propose(partition: Partition, isr: number[]): void {
    partition.setProposedIsr(isr);
    void this.send(partition, isr).then(
      (result) => {
        if (result.errorCode !== ErrorCode.NONE) {
          this.log.info(`${partition.name}: ISR change to ${isr} refused (error ${result.errorCode})`);
          this.failed++;
          partition.setProposedIsr(null);
        }
      },
      (error: unknown) => {
        this.log.warn(`${partition.name}: ISR change to ${isr} not sent: ${describeError(error)}`);
        this.failed++;
        partition.setProposedIsr(null);
      },
    );
  }

  private async send(partition: Partition, isr: number[]): Promise<{ errorCode: number }> {
    const broker = this.broker;
    const brokerEpoch = broker.image.brokers.get(broker.nodeId)?.epoch ?? -1n;
    const change = {
      topicId: partition.topicId,
      partitionIndex: partition.partitionIndex,
      leaderEpoch: partition.leaderEpoch,
      partitionEpoch: partition.partitionEpoch,
      newIsr: isr,
    };
    if (broker.isActiveController) {
      const outcome = await broker.decide("alter partition", (image) => {
        const decided = decideIsrChanges(image, broker.nodeId, brokerEpoch, [change]);
        return { records: decided.records, result: decided };
      });
      return { errorCode: firstError(outcome.errorCode, outcome.results) };
    }
    const response = await broker.forwarder.send<AlterPartitionResponse>(
      ApiKey.AlterPartition,
      ALTER_PARTITION_VERSION,
      {
        brokerId: broker.nodeId,
        brokerEpoch,
        topics: [
          {
            topicId: partition.topicId,
            partitions: [
              {
                partitionIndex: change.partitionIndex,
                leaderEpoch: change.leaderEpoch,
                newIsr: isr,
                leaderRecoveryState: 0,
                partitionEpoch: change.partitionEpoch,
              },
            ],
          },
        ],
      },
      ALTER_PARTITION_TIMEOUT_MS,
    );
    const partitionError = response.topics[0]?.partitions[0]?.errorCode ?? ErrorCode.UNKNOWN_SERVER_ERROR;
    return { errorCode: response.errorCode !== ErrorCode.NONE ? response.errorCode : partitionError };
  }
}

function firstError(top: number, results: readonly IsrChangeResult[]): number {
  if (top !== ErrorCode.NONE) return top;
  return results.find((r) => r.errorCode !== ErrorCode.NONE)?.errorCode ?? ErrorCode.NONE;
}
