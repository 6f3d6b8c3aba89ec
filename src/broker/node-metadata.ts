import { describeError, type Env, type Logger } from "../base/index.js";
import {
  type BrokerEndpoint,
  BrokerLifecycle,
  ControllerEntryTooLargeError,
  type ControllerInfo,
  type MetadataImage,
  MetadataLoader,
  type MetadataQuorum,
  type MetadataRecord,
  NotControllerError,
  type OfflineReplicaRef,
  type PartitionRules,
  type PeriodicDecision,
  QuorumController,
  type Subscription,
} from "../metadata/index.js";
import { ErrorCode, KafkaError } from "../protocol/index.js";

export interface NodeMetadataOptions {
  nodeId: number;
  roles: readonly ("broker" | "controller")[];
  quorum: MetadataQuorum;
  env: Env;
  log: Logger;
  rack: string | null;
  partitionRules: PartitionRules;
  snapshotRecordsMax: number;
  snapshotIntervalMs: number;
  periodic?: readonly PeriodicDecision[];
  /** The broker's failed log dirs and its replicas in them (reported in its session). */
  offlineStorage?: () => { logDirs: readonly string[]; replicas: readonly OfflineReplicaRef[] };
  /** The broker epoch its logs were cleanly shut down with; -1: none (see BrokerLifecycle). */
  previousBrokerEpoch?: bigint;
}

/**
 * A node's part in the metadata quorum: the loader that keeps its image equal to the committed
 * log, the broker's membership (session, fencing), the controller it may become, and who the
 * active controller is. The broker reads the image here and sends every change through `decide`.
 */
export class NodeMetadata {
  readonly nodeId: number;
  readonly quorum: MetadataQuorum;
  readonly loader: MetadataLoader;
  readonly lifecycle: BrokerLifecycle | null;
  readonly controller: QuorumController | null;
  private readonly options: NodeMetadataOptions;
  private endPoints: BrokerEndpoint[] = [];
  private active: ControllerInfo | null = null;
  private controllerWatch: Subscription | null = null;
  private readonly controllerListeners = new Set<(controller: ControllerInfo | null) => void>();

  constructor(options: NodeMetadataOptions) {
    this.options = options;
    this.nodeId = options.nodeId;
    this.quorum = options.quorum;
    this.loader = new MetadataLoader(options.quorum, options.log.child("metadata"));
    this.lifecycle = options.roles.includes("broker")
      ? new BrokerLifecycle({
          brokerId: options.nodeId,
          quorum: options.quorum,
          loader: this.loader,
          env: options.env,
          log: options.log.child("lifecycle"),
          endPoints: () => this.endPoints,
          rack: options.rack,
          ...(options.offlineStorage === undefined ? {} : { offlineStorage: options.offlineStorage }),
          ...(options.previousBrokerEpoch === undefined
            ? {}
            : { previousBrokerEpoch: options.previousBrokerEpoch }),
        })
      : null;
    this.controller = options.roles.includes("controller")
      ? new QuorumController({
          nodeId: options.nodeId,
          quorum: options.quorum,
          loader: this.loader,
          env: options.env,
          log: options.log.child("controller"),
          candidate: () => ({ nodeId: options.nodeId, endPoint: this.endPoints[0] ?? null }),
          partitionRules: options.partitionRules,
          snapshotRecordsMax: options.snapshotRecordsMax,
          snapshotIntervalMs: options.snapshotIntervalMs,
          candidateForElection: true,
          ...(options.periodic === undefined ? {} : { periodic: options.periodic }),
        })
      : null;
  }

  get image(): MetadataImage {
    return this.loader.image;
  }

  /** The active controller as the store last said, or null during an election. */
  get activeController(): ControllerInfo | null {
    return this.active;
  }

  /** Calls `listener` on every change of the active controller, until the returned function is called. */
  onControllerChange(listener: (controller: ControllerInfo | null) => void): () => void {
    this.controllerListeners.add(listener);
    return () => this.controllerListeners.delete(listener);
  }

  get isActiveController(): boolean {
    return this.controller?.isActive ?? false;
  }

  /** Starts following the log (a single node's is loaded before this returns). */
  startLoading(): void {
    this.loader.start();
  }

  /** Joins the cluster: stands for controller and registers the broker at these endpoints. */
  join(endPoints: BrokerEndpoint[]): void {
    this.endPoints = endPoints;
    this.controllerWatch = this.quorum.watchController((c) => {
      this.active = c;
      for (const listener of [...this.controllerListeners]) listener(c);
    });
    this.controller?.start();
    this.lifecycle?.start();
  }

  /**
   * Decides a change as the active controller: `decide` turns the current image into records and
   * an answer; the answer comes once the records are committed and this node's image has them.
   * A node that is not the active controller gets NOT_CONTROLLER (KafkaError).
   */
  async decide<T>(
    name: string,
    decide: (image: MetadataImage) => { records: MetadataRecord[]; result: T },
  ): Promise<T> {
    const controller = this.controller;
    if (controller === null || !controller.isActive) throw new KafkaError(ErrorCode.NOT_CONTROLLER);
    try {
      const committed = await controller.submit(name, (builder) => {
        const { records, result } = decide(builder.image);
        builder.add(records);
        return result;
      });
      await this.loader.whenApplied(committed.offset);
      return committed.result;
    } catch (error) {
      if (error instanceof NotControllerError) throw new KafkaError(ErrorCode.NOT_CONTROLLER, error.message);
      if (error instanceof ControllerEntryTooLargeError)
        throw new KafkaError(ErrorCode.POLICY_VIOLATION, error.message);
      throw error;
    }
  }

  /** Stops as a crashed node would: no goodbye; the store expires its session and controllership. */
  async abandon(): Promise<void> {
    this.loader.stop();
    this.controllerWatch?.stop();
    await this.quorum.abandon();
  }

  /** Leaves the cluster: a controlled shutdown first when asked, then the session and the campaign end. */
  async leave(controlled: boolean, timeoutMs: number): Promise<void> {
    try {
      if (this.lifecycle !== null) {
        if (controlled) await this.lifecycle.controlledShutdown(timeoutMs);
        else await this.lifecycle.stop();
      }
      await this.controller?.stop();
    } catch (error) {
      this.options.log.warn(`leaving the cluster: ${describeError(error)}`);
    }
    this.controllerWatch?.stop();
    this.loader.stop();
    await this.quorum.close();
  }
}
