import { assert, type Clock } from "../base/index.js";
import { ErrorCode, KafkaError } from "../protocol/index.js";
import { type CoordinatorLifecycle, routeToPartition } from "./coordinator-routing.js";
import { partitionForKey } from "./group-partition.js";
import type { OffsetsTopicLog } from "./offsets-topic-log.js";
import { type ScheduledTimer, type Scheduler, systemScheduler } from "./scheduler.js";
import type { TransactionCoordinatorConfig } from "./transaction-coordinator-config.js";
import {
  type EndTxnRequest,
  type InitProducerIdTxnRequest,
  TransactionCoordinatorShard,
  type TransactionEffect,
  type TransactionHandle,
  type TransactionResponse,
  type TxnPartitionsRequest,
} from "./transaction-coordinator-shard.js";
import {
  NO_PRODUCER_EPOCH,
  NO_PRODUCER_ID,
  type TopicPartitionRef,
  type TransactionMetadata,
} from "./transaction-metadata.js";
import { decodeTransactionRecord, encodeTransactionRecord } from "./transaction-record.js";

/** Requests parked in one partition's transaction coordinator at most. */
export const PENDING_TXN_REQUESTS_MAX = 1_000_000;

/** What the coordinator asks of the markers' partitions (the broker implements it). */
export interface TransactionMarkerWriter {
  /**
   * Writes a COMMIT or ABORT marker of the producer to every partition, each retried until its
   * leader has written it (acks=all), and resolves once all are; gives up (resolving false) when
   * `isCancelled()` turns true (the coordinator moved).
   */
  write(markers: TransactionMarkers, isCancelled: () => boolean): Promise<boolean>;
}

export interface TransactionMarkers {
  readonly producerId: bigint;
  readonly producerEpoch: number;
  /** The leader epoch of the coordinator's `__transaction_state` partition. */
  readonly coordinatorEpoch: number;
  readonly committed: boolean;
  readonly partitions: readonly TopicPartitionRef[];
}

export interface TransactionCoordinatorRuntimeOptions {
  readonly config: TransactionCoordinatorConfig;
  readonly clock: Clock;
  /** The `__transaction_state` partitions (same contract as the group coordinator's log). */
  readonly log: OffsetsTopicLog;
  readonly markers: TransactionMarkerWriter;
  /** A fresh producer id (the broker's ProducerIdManager). */
  readonly newProducerId: () => Promise<bigint>;
  readonly scheduler?: Scheduler;
  readonly onError?: (message: string) => void;
}

class PartitionContext {
  readonly partition: number;
  readonly leaderEpoch: number;
  readonly shard: TransactionCoordinatorShard;
  readonly waiters = new Map<TransactionHandle, (response: TransactionResponse) => void>();
  status: "loading" | "active" = "loading";
  nextHandle = 1;
  timer: ScheduledTimer | null = null;
  timerDeadlineMs: number | undefined = undefined;
  loaded: Promise<void> = Promise.resolve();

  constructor(partition: number, leaderEpoch: number, shard: TransactionCoordinatorShard) {
    this.partition = partition;
    this.leaderEpoch = leaderEpoch;
    this.shard = shard;
  }
}

const failed = (errorCode: number): TransactionResponse => ({
  errorCode,
  producerId: NO_PRODUCER_ID,
  producerEpoch: NO_PRODUCER_EPOCH,
});

/**
 * The shell around the transaction coordinator shards, one per `__transaction_state` partition
 * this broker leads (as GroupCoordinatorRuntime for groups): loads a shard by replaying its
 * partition (requests meanwhile get COORDINATOR_LOAD_IN_PROGRESS), routes each request by its
 * transactional id (NOT_COORDINATOR for a partition led elsewhere), appends the shard's records,
 * has the markers written, and drives its timers. The coordinator epoch of the markers is the
 * partition's leader epoch, so a marker from a deposed coordinator is refused by the partitions.
 *
 * Async-safety: state changes only in callbacks on the event loop; a completion for a partition
 * unloaded (or reloaded at a newer epoch) since is ignored.
 */
export class TransactionCoordinatorRuntime {
  readonly config: TransactionCoordinatorConfig;
  private readonly options: TransactionCoordinatorRuntimeOptions;
  private readonly scheduler: Scheduler;
  private readonly partitions = new Map<number, PartitionContext>();
  private lifecycle: CoordinatorLifecycle = "starting";

  constructor(options: TransactionCoordinatorRuntimeOptions) {
    this.config = options.config;
    this.options = options;
    this.scheduler = options.scheduler ?? systemScheduler;
  }

  partitionFor(transactionalId: string): number {
    return partitionForKey(transactionalId, this.config.transactionStateTopicPartitionCount);
  }

  partitionStatus(partition: number): "loading" | "active" | "none" {
    return this.partitions.get(partition)?.status ?? "none";
  }

  shard(partition: number): TransactionCoordinatorShard | undefined {
    return this.partitions.get(partition)?.shard;
  }

  startup(): void {
    if (this.lifecycle === "starting") this.lifecycle = "active";
  }

  close(): void {
    this.lifecycle = "closed";
    for (const partition of [...this.partitions.keys()]) this.unloadPartition(partition);
  }

  loadPartition(partition: number, leaderEpoch: number): Promise<void> {
    assert(
      Number.isInteger(partition) &&
        partition >= 0 &&
        partition < this.config.transactionStateTopicPartitionCount,
      () => `no __transaction_state partition ${partition}`,
    );
    if (this.lifecycle === "closed") return Promise.resolve();
    const existing = this.partitions.get(partition);
    if (existing !== undefined) {
      if (existing.leaderEpoch >= leaderEpoch) return existing.loaded;
      this.unloadPartition(partition);
    }
    const shard = new TransactionCoordinatorShard({ config: this.config, clock: this.options.clock });
    const ctx = new PartitionContext(partition, leaderEpoch, shard);
    this.partitions.set(partition, ctx);
    ctx.loaded = this.load(ctx);
    return ctx.loaded;
  }

  private async load(ctx: PartitionContext): Promise<void> {
    try {
      for await (const bytes of this.options.log.read(ctx.partition)) {
        if (!this.isCurrent(ctx)) return;
        if (bytes.marker !== undefined) continue;
        const record = decodeTransactionRecord(bytes);
        if (record !== null) ctx.shard.replay(record);
      }
    } catch (error) {
      if (this.isCurrent(ctx)) this.partitions.delete(ctx.partition);
      throw error;
    }
    if (!this.isCurrent(ctx)) return;
    ctx.status = "active";
    this.apply(ctx, ctx.shard.onLoaded());
  }

  unloadPartition(partition: number, leaderEpoch?: number): void {
    const ctx = this.partitions.get(partition);
    if (ctx === undefined || (leaderEpoch !== undefined && ctx.leaderEpoch > leaderEpoch)) return;
    this.partitions.delete(partition);
    ctx.timer?.cancel();
    for (const e of ctx.shard.onUnloaded()) if (e.kind === "respond") this.deliver(ctx, e.handle, e.response);
    for (const [handle] of [...ctx.waiters]) this.deliver(ctx, handle, failed(ErrorCode.NOT_COORDINATOR));
  }

  // ---- requests ----

  async initProducerId(request: InitProducerIdTxnRequest): Promise<TransactionResponse> {
    if (this.route(request.transactionalId).ctx === undefined)
      return failed(this.route(request.transactionalId).errorCode);
    let producerId: bigint;
    try {
      producerId = await this.options.newProducerId();
    } catch (error) {
      if (error instanceof KafkaError) return failed(ErrorCode.COORDINATOR_LOAD_IN_PROGRESS);
      throw error;
    }
    return this.call(request.transactionalId, (shard, h) => shard.initProducerId(h, request, producerId));
  }

  addPartitions(request: TxnPartitionsRequest): Promise<TransactionResponse> {
    return this.call(request.transactionalId, (shard, h) => shard.addPartitions(h, request));
  }

  /** AddPartitionsToTxn v4+ verify-only: per partition, answered at once. */
  verifyPartitions(request: TxnPartitionsRequest): number[] {
    const { ctx, errorCode } = this.route(request.transactionalId);
    if (ctx === undefined) return request.partitions.map(() => errorCode);
    return ctx.shard.verifyPartitions(request);
  }

  /** EndTxn; a TV2 one that uses up the producer's epochs gets a fresh producer id first. */
  async endTransaction(request: EndTxnRequest): Promise<TransactionResponse> {
    let newProducerId: bigint | undefined;
    if (this.route(request.transactionalId).ctx?.shard.needsNewProducerId(request) === true) {
      try {
        newProducerId = await this.options.newProducerId();
      } catch (error) {
        if (error instanceof KafkaError) return failed(ErrorCode.COORDINATOR_LOAD_IN_PROGRESS);
        throw error;
      }
    }
    return this.call(request.transactionalId, (shard, h) => shard.endTransaction(h, request, newProducerId));
  }

  /** The id's state, when this broker coordinates it (DescribeTransactions, TxnOffsetCommit checks). */
  transaction(transactionalId: string): { errorCode: number; metadata: TransactionMetadata | undefined } {
    const { ctx, errorCode } = this.route(transactionalId);
    if (ctx === undefined) return { errorCode, metadata: undefined };
    return { errorCode: ErrorCode.NONE, metadata: ctx.shard.transaction(transactionalId) };
  }

  /**
   * Every transactional id of the partitions this broker coordinates (ListTransactions), or the
   * error Kafka answers while it cannot list them all: COORDINATOR_NOT_AVAILABLE before startup,
   * COORDINATOR_LOAD_IN_PROGRESS while a partition loads.
   */
  transactions(): { errorCode: number; transactions: TransactionMetadata[] } {
    if (this.lifecycle !== "active")
      return { errorCode: ErrorCode.COORDINATOR_NOT_AVAILABLE, transactions: [] };
    const contexts = [...this.partitions.values()];
    if (contexts.some((ctx) => ctx.status === "loading"))
      return { errorCode: ErrorCode.COORDINATOR_LOAD_IN_PROGRESS, transactions: [] };
    return {
      errorCode: ErrorCode.NONE,
      transactions: contexts.flatMap((ctx) => [...ctx.shard.transactions()]),
    };
  }

  // ---- plumbing ----

  private isCurrent(ctx: PartitionContext): boolean {
    return this.partitions.get(ctx.partition) === ctx;
  }

  private route(transactionalId: string): { ctx: PartitionContext | undefined; errorCode: number } {
    return routeToPartition(this.lifecycle, this.partitions.get(this.partitionFor(transactionalId)));
  }

  private call(
    transactionalId: string,
    run: (shard: TransactionCoordinatorShard, handle: TransactionHandle) => TransactionEffect[],
  ): Promise<TransactionResponse> {
    const { ctx, errorCode } = this.route(transactionalId);
    if (ctx === undefined) return Promise.resolve(failed(errorCode));
    return new Promise<TransactionResponse>((resolve) => {
      const handle = ctx.nextHandle++;
      ctx.waiters.set(handle, resolve);
      assert(ctx.waiters.size <= PENDING_TXN_REQUESTS_MAX, "too many pending transaction requests");
      this.apply(ctx, run(ctx.shard, handle));
    });
  }

  private apply(ctx: PartitionContext, effects: readonly TransactionEffect[]): void {
    for (const e of effects) {
      switch (e.kind) {
        case "respond":
          this.deliver(ctx, e.handle, e.response);
          break;
        case "append":
          this.startAppend(ctx, e.appendId, e.records.map(encodeTransactionRecord));
          break;
        case "writeMarkers":
          this.startMarkers(ctx, e);
          break;
      }
    }
    this.rearm(ctx);
  }

  private startAppend(
    ctx: PartitionContext,
    appendId: number,
    bytes: ReturnType<typeof encodeTransactionRecord>[],
  ): void {
    let appended: Promise<bigint>;
    try {
      appended = this.options.log.append(ctx.partition, bytes);
    } catch (error) {
      appended = Promise.reject(error);
    }
    appended.then(
      () => this.onAppendSettled(ctx, appendId, ErrorCode.NONE),
      (error: unknown) =>
        this.onAppendSettled(
          ctx,
          appendId,
          error instanceof KafkaError ? error.errorCode : ErrorCode.KAFKA_STORAGE_ERROR,
        ),
    );
  }

  private onAppendSettled(ctx: PartitionContext, appendId: number, errorCode: number): void {
    if (!this.isCurrent(ctx)) return;
    this.apply(ctx, ctx.shard.onAppendCompleted(appendId, errorCode));
  }

  private startMarkers(ctx: PartitionContext, e: Extract<TransactionEffect, { kind: "writeMarkers" }>): void {
    const markers: TransactionMarkers = {
      producerId: e.producerId,
      producerEpoch: e.producerEpoch,
      coordinatorEpoch: ctx.leaderEpoch,
      committed: e.committed,
      partitions: e.partitions,
    };
    this.options.markers
      .write(markers, () => !this.isCurrent(ctx))
      .then(
        (written) => {
          if (written && this.isCurrent(ctx))
            this.apply(ctx, ctx.shard.onMarkersWritten(e.transactionalId, e.producerId, e.producerEpoch));
        },
        (error: unknown) =>
          this.options.onError?.(`writing the markers of ${e.transactionalId} failed: ${String(error)}`),
      );
  }

  private deliver(ctx: PartitionContext, handle: TransactionHandle, response: TransactionResponse): void {
    const waiter = ctx.waiters.get(handle);
    if (waiter === undefined) return;
    ctx.waiters.delete(handle);
    waiter(response);
  }

  private rearm(ctx: PartitionContext): void {
    if (!this.isCurrent(ctx)) return;
    const deadline = ctx.shard.nextDeadlineMs();
    if (deadline === ctx.timerDeadlineMs && (ctx.timer !== null || deadline === undefined)) return;
    ctx.timer?.cancel();
    ctx.timer = null;
    ctx.timerDeadlineMs = deadline;
    if (deadline === undefined) return;
    ctx.timer = this.scheduler.schedule(Math.max(0, deadline - this.options.clock.monotonicMs()), () => {
      if (!this.isCurrent(ctx)) return;
      ctx.timer = null;
      ctx.timerDeadlineMs = undefined;
      this.apply(ctx, ctx.shard.poll());
    });
  }
}
