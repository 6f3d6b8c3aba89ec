import { assert, BrookError, describeError, type Env, type Logger } from "../../base/index.js";
import { ErrorCode, KafkaError } from "../../protocol/index.js";
import type { MetadataImage } from "../metadata-image.js";
import type { MetadataLoader } from "../metadata-loader.js";
import { encodeMetadataRecordValue } from "../metadata-record-codec.js";
import { snapshotRecords } from "../metadata-snapshot.js";
import {
  type BrokerSessionInfo,
  type Campaign,
  type ControllerCandidate,
  type ControllerLeadership,
  type MetadataQuorum,
  NotControllerError,
  type Subscription,
} from "../store/index.js";
import { reconcileMembership } from "./broker-membership.js";
import type { PartitionRules } from "./partition-change.js";
import { RecordBuilder } from "./record-builder.js";

export interface QuorumControllerOptions {
  nodeId: number;
  quorum: MetadataQuorum;
  loader: MetadataLoader;
  env: Env;
  log: Logger;
  /** Where brokers reach this node, once it listens. */
  candidate: () => ControllerCandidate;
  partitionRules: PartitionRules;
  /** A snapshot is written after this many records (Kafka counts bytes; records are ~50-100 bytes). */
  snapshotRecordsMax: number;
  /** ...or after this long with new records (`metadata.log.max.snapshot.interval.ms`). */
  snapshotIntervalMs: number;
  /** Whether this node stands for election (process.roles includes controller). */
  candidateForElection: boolean;
  /** Decisions the active controller takes on a timer (leader rebalancing). */
  periodic?: readonly PeriodicDecision[];
}

export interface PeriodicDecision {
  name: string;
  intervalMs: number;
  run: ControllerOperation<void>;
}

/** One decision of the controller: adds records to the builder and returns its answer. */
export type ControllerOperation<T> = (builder: RecordBuilder) => T;

export interface Committed<T> {
  result: T;
  /** The offset of the operation's last record (or of the image it was decided on, when it wrote none). */
  offset: bigint;
}

interface QueuedOperation {
  name: string;
  run: ControllerOperation<unknown>;
  resolve(value: Committed<unknown>): void;
  reject(error: unknown): void;
}

/** The records of one operation may not exceed one entry; the whole request is refused. */
export class ControllerEntryTooLargeError extends BrookError {
  constructor(message: string) {
    super("BRK_ERR_METADATA_ENTRY_TOO_LARGE", message);
  }
}

/** Operations decided together and appended as one entry, at most. */
const OPERATIONS_PER_ENTRY_MAX = 256;
/** Records in one entry before the controller stops adding operations to it. */
const RECORDS_PER_ENTRY_SOFT_MAX = 4096;
/** An elected controller still catching up on the log this long after its election says so. */
const TAKE_OFFICE_SLOW_MS = 5000;

/**
 * The active controller's runtime, on every node that may be elected. While it holds the
 * controllership it decides every change to the cluster: operations queue, run one after the
 * other against the image that includes the ones before them, and are appended together as one
 * entry; each answers once its entry is committed. Between operations it follows the brokers'
 * sessions (registering, unfencing and fencing brokers and moving leaderships) and writes
 * snapshots. When it loses the controllership it fails what is queued with NOT_CONTROLLER and
 * forgets its state; the next controller starts from the committed log.
 */
export class QuorumController {
  private readonly options: QuorumControllerOptions;
  private readonly log: Logger;
  private leadership: ControllerLeadership | null = null;
  /** The committed image while active (this controller is the only writer). */
  private image: MetadataImage | null = null;
  private term = 0;
  private queue: QueuedOperation[] = [];
  private pumping = false;
  private sessions: ReadonlyMap<number, BrokerSessionInfo> = new Map();
  private membershipQueued = false;
  private campaign: Campaign | null = null;
  private sessionWatch: Subscription | null = null;
  private recordsSinceSnapshot = 0;
  private lastSnapshotMs = 0;
  private stopped = false;

  constructor(options: QuorumControllerOptions) {
    this.options = options;
    this.log = options.log;
  }

  get isActive(): boolean {
    return this.image !== null && this.leadership !== null;
  }

  get epoch(): number {
    return this.leadership?.epoch ?? -1;
  }

  start(): void {
    if (!this.options.candidateForElection) return;
    this.sessionWatch = this.options.quorum.watchSessions((sessions) => {
      this.sessions = sessions;
      if (this.isActive) this.queueMembership();
    });
    this.campaign = this.options.quorum.campaign(this.options.candidate(), {
      elected: (leadership) => void this.takeOffice(leadership),
      resigned: (reason) => this.leaveOffice(reason),
    });
  }

  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    this.sessionWatch?.stop();
    await this.campaign?.stop();
    this.leaveOffice("stopped");
  }

  /** Runs `operation` as the active controller; rejects with NotControllerError otherwise. */
  submit<T>(name: string, operation: ControllerOperation<T>): Promise<Committed<T>> {
    if (!this.isActive)
      return Promise.reject(
        new NotControllerError(`node ${this.options.nodeId} is not the active controller`),
      );
    return new Promise<Committed<T>>((resolve, reject) => {
      this.queue.push({
        name,
        run: operation,
        resolve: resolve as (value: Committed<unknown>) => void,
        reject,
      });
      void this.pump();
    });
  }

  private async takeOffice(leadership: ControllerLeadership): Promise<void> {
    const term = ++this.term;
    this.leadership = leadership;
    // Until the loader has the log up to where this term starts, requests for the controller wait.
    const slow = this.options.env.timers.after(TAKE_OFFICE_SLOW_MS, () => {
      if (term === this.term && this.image === null)
        this.log.warn(
          `node ${this.options.nodeId} is elected controller (epoch ${leadership.epoch}) but its metadata is at ${this.options.loader.image.offset}, not yet at ${leadership.startEnd - 1n}`,
        );
    });
    await this.options.loader.whenApplied(leadership.startEnd - 1n);
    slow.cancel();
    if (term !== this.term) return;
    const image = this.options.loader.image;
    assert(
      image.offset >= leadership.startEnd - 1n,
      () => `the loader passed ${leadership.startEnd - 1n} but its image is at ${image.offset}`,
    );
    if (image.offset !== leadership.startEnd - 1n) {
      // The log grew past where this controller was elected before its loader caught up: only the
      // holder of the current controller key can append, so another controller was elected and
      // wrote meanwhile, and this term is over (its lease expired; the campaign will hear of it).
      // Found by the metadata simulation, seed 1035.
      this.leaveOffice(
        `the metadata log moved past ${leadership.startEnd - 1n} (to ${image.offset}) before this controller took office`,
      );
      return;
    }
    this.image = image;
    this.recordsSinceSnapshot = 0;
    this.lastSnapshotMs = this.options.env.clock.monotonicMs();
    this.queueMembership();
    for (const task of this.options.periodic ?? []) this.schedule(task, term);
  }

  private schedule(task: PeriodicDecision, term: number): void {
    this.options.env.timers.after(task.intervalMs, () => {
      if (term !== this.term || this.stopped) return;
      this.queue.push({
        name: task.name,
        run: task.run,
        resolve: () => this.schedule(task, term),
        reject: (error) => {
          if (!(error instanceof NotControllerError)) this.log.error(`${task.name}: ${describeError(error)}`);
          this.schedule(task, term);
        },
      });
      void this.pump();
    });
  }

  private leaveOffice(reason: string): void {
    this.term++;
    const wasActive = this.image !== null;
    this.leadership = null;
    this.image = null;
    this.membershipQueued = false;
    const failed = this.queue.splice(0);
    for (const op of failed) op.reject(new NotControllerError(`controller resigned: ${reason}`));
    if (wasActive) this.log.info(`node ${this.options.nodeId} is no longer the active controller: ${reason}`);
  }

  private queueMembership(): void {
    if (this.membershipQueued) return;
    this.membershipQueued = true;
    this.queue.push({
      name: "broker membership",
      run: (builder) => {
        this.membershipQueued = false;
        reconcileMembership(builder, this.sessions, this.options.partitionRules);
      },
      resolve: () => {},
      reject: (error) => {
        if (!(error instanceof NotControllerError))
          this.log.error(`broker membership: ${describeError(error)}`);
      },
    });
    void this.pump();
  }

  private async pump(): Promise<void> {
    if (this.pumping) return;
    this.pumping = true;
    try {
      while (this.isActive && this.queue.length > 0) await this.runEntry();
    } finally {
      this.pumping = false;
    }
  }

  /** Decides the queued operations that fit one entry, appends it, and answers them. */
  private async runEntry(): Promise<void> {
    const term = this.term;
    const leadership = this.leadership;
    const image = this.image;
    assert(leadership !== null && image !== null, "only the active controller appends");
    const builder = new RecordBuilder(image);
    const decided: { op: QueuedOperation; result: unknown; recordsEnd: number }[] = [];
    while (this.queue.length > 0 && decided.length < OPERATIONS_PER_ENTRY_MAX) {
      if (builder.records.length >= RECORDS_PER_ENTRY_SOFT_MAX) break;
      const op = this.queue.shift() as QueuedOperation;
      const mark = builder.mark();
      try {
        const result = op.run(builder);
        this.checkEntrySize(builder, mark.count, leadership.entryBytesMax);
        decided.push({ op, result, recordsEnd: builder.records.length });
      } catch (error) {
        builder.rollback(mark);
        op.reject(error);
      }
    }
    if (builder.records.length === 0) {
      for (const d of decided) d.op.resolve({ result: d.result, offset: image.offset });
      return;
    }
    const records = [...builder.records];
    let base: bigint;
    try {
      base = await leadership.append(image.offset + 1n, records);
    } catch (error) {
      // The metadata log's disk failed (the embedded log): nothing was committed, and retrying
      // elsewhere will not help; the requests get KAFKA_STORAGE_ERROR rather than NOT_CONTROLLER.
      const storageFailed = error instanceof KafkaError && error.errorCode === ErrorCode.KAFKA_STORAGE_ERROR;
      const reason =
        error instanceof NotControllerError || storageFailed
          ? error
          : new NotControllerError(describeError(error));
      for (const d of decided) d.op.reject(reason);
      return;
    }
    assert(base === image.offset + 1n, "the entry lands where the controller expected");
    if (term !== this.term) {
      // Committed, but this controller resigned meanwhile: the answer still holds.
      for (const d of decided) d.op.resolve({ result: d.result, offset: base + BigInt(d.recordsEnd) - 1n });
      return;
    }
    this.image = builder.image;
    for (const d of decided) {
      const last = d.recordsEnd === 0 ? image.offset : base + BigInt(d.recordsEnd) - 1n;
      d.op.resolve({ result: d.result, offset: last });
    }
    this.recordsSinceSnapshot += records.length;
    await this.maybeSnapshot(term);
  }

  private checkEntrySize(builder: RecordBuilder, fromRecord: number, entryBytesMax: number): void {
    const added = builder.records.length - fromRecord;
    // Small entries cannot be near the limit: only large ones are measured.
    if (builder.records.length < 1000) return;
    let bytes = 70; // batch header
    for (const r of builder.records) bytes += encodeMetadataRecordValue(r).length + 8;
    if (bytes > entryBytesMax) {
      throw new ControllerEntryTooLargeError(
        `the change needs ${added} metadata records (${bytes} bytes), more than one metadata entry holds (${entryBytesMax} bytes); split the request`,
      );
    }
  }

  private async maybeSnapshot(term: number): Promise<void> {
    const now = this.options.env.clock.monotonicMs();
    const due =
      this.recordsSinceSnapshot >= this.options.snapshotRecordsMax ||
      (this.recordsSinceSnapshot > 0 && now - this.lastSnapshotMs >= this.options.snapshotIntervalMs);
    const leadership = this.leadership;
    const image = this.image;
    if (!due || leadership === null || image === null) return;
    try {
      await leadership.writeSnapshot({ offset: image.offset, records: snapshotRecords(image) });
      if (term !== this.term) return;
      this.recordsSinceSnapshot = 0;
      this.lastSnapshotMs = now;
    } catch (error) {
      this.log.warn(`metadata snapshot at ${image.offset} not written: ${describeError(error)}`);
      this.lastSnapshotMs = now;
    }
  }
}
