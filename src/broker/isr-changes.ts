import { describeError, type Logger, type Timer, type Timers } from "../base/index.js";
import { decideIsrChanges, type IsrChangeResult } from "../metadata/index.js";
import { type AlterPartitionResponse, ApiKey, ErrorCode, KafkaError } from "../protocol/index.js";
import { isrProposalAction, type Partition } from "../replication/index.js";
import type { BrokerSettings, ControllerAccess, MetadataView, PartitionAccess } from "./handler-context.js";

/** Kafka sends AlterPartition at v2 (topic ids) to controllers that do not take v3's broker epochs. */
const ALTER_PARTITION_VERSION = 2;
const ALTER_PARTITION_TIMEOUT_MS = 30_000;
/** The pause before a proposal whose answer never came (or was NOT_CONTROLLER) is sent again, doubling up to the max. */
const ALTER_PARTITION_RETRY_BACKOFF_MS = 100;
const ALTER_PARTITION_RETRY_BACKOFF_MAX_MS = 3000;
/**
 * A proposal still without an answer this long after it was sent is logged (once), with where it
 * went: the controller commits one in milliseconds, so a stall here is the thing to explain when
 * a follower does not rejoin the ISR.
 */
const ALTER_PARTITION_SLOW_MS = 5000;

/**
 * The leader's side of ISR changes (Kafka's AlterPartitionManager and the ISR expiration task):
 * every replica.lag.time.max.ms / 2 the led partitions are checked for followers that fell behind,
 * and after each follower fetch for one that caught up; a change is proposed to the active
 * controller (locally when this node is it) and applies only once committed, when the partition
 * sees it in the image. One proposal per partition is in flight at a time, and it stays in flight
 * until the image shows the partition moved on, unless the controller refused it for sure
 * (isrProposalAction): one whose fate is unknown (no answer, NOT_CONTROLLER) is sent again, since
 * it may be committed and its new members must keep counting for the high watermark.
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

  /**
   * After follower `replicaId`'s fetch: if it caught up, it joins the ISR, provided this broker's
   * image has it registered, unfenced, at the broker epoch it fetched with.
   */
  maybeExpand(partition: Partition, replicaId: number): void {
    const image = this.broker.image;
    const isr = partition.isrAfterExpand(replicaId, (id, brokerEpoch) => {
      const registration = image.brokers.get(id);
      return registration !== undefined && !registration.fenced && registration.epoch === brokerEpoch;
    });
    if (isr === null) return;
    this.log.info(`${partition.name}: expanding ISR from ${partition.isr} to ${isr}`);
    this.propose(partition, isr);
  }

  private propose(partition: Partition, isr: number[]): void {
    partition.setProposedIsr(isr);
    this.attempt(partition, isr, 0);
  }

  /** Sends the proposal (`retries`: how often it was sent before without an answer). */
  private attempt(partition: Partition, isr: number[], retries: number): void {
    const sentAt = performance.now();
    const route = this.broker.isActiveController
      ? "decided locally"
      : `forwarded (controller named: ${this.broker.activeControllerId})`;
    const slow = this.timers.after(ALTER_PARTITION_SLOW_MS, () => {
      if (this.stopped || !partition.isProposedIsr(isr)) return;
      const named = this.broker.activeControllerId;
      this.log.warn(
        `${partition.name}: ISR change to ${isr} (${route}) has had no answer for ${Math.round(performance.now() - sentAt)} ms; controller named now: ${named}, this node active: ${this.broker.isActiveController}`,
      );
    });
    void this.send(partition, isr).then(
      (result) => {
        slow.cancel();
        this.answered(partition, isr, result.errorCode, retries);
      },
      (error: unknown) => {
        slow.cancel();
        const message = `${partition.name}: ISR change to ${isr} not sent: ${describeError(error)}`;
        if (retries === 0) this.log.warn(message);
        else this.log.debug(message);
        this.answered(partition, isr, error instanceof KafkaError ? error.errorCode : null, retries);
      },
    );
  }

  /** The controller's answer (null: none came) to a proposal, unless the image already ended it. */
  private answered(partition: Partition, isr: number[], errorCode: number | null, retries: number): void {
    if (this.stopped || !partition.isProposedIsr(isr)) return;
    const action = isrProposalAction(errorCode);
    if (errorCode !== ErrorCode.NONE) this.failed++;
    if (errorCode !== ErrorCode.NONE && retries === 0)
      this.log.info(`${partition.name}: ISR change to ${isr} not made (error ${errorCode}): ${action}`);
    switch (action) {
      case "await-metadata":
        return;
      case "withdraw":
        partition.withdrawProposedIsr(isr);
        return;
      case "retry": {
        const delayMs = Math.min(
          ALTER_PARTITION_RETRY_BACKOFF_MS * 2 ** retries,
          ALTER_PARTITION_RETRY_BACKOFF_MAX_MS,
        );
        this.timers.after(delayMs, () => {
          if (!this.stopped && partition.isLeader && partition.isProposedIsr(isr))
            this.attempt(partition, isr, retries + 1);
        });
      }
    }
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
        const decided = decideIsrChanges(image, broker.nodeId, brokerEpoch, [change], broker.partitionRules);
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
