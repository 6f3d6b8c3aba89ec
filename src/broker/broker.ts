import { hostname } from "node:os";
import { resolve } from "node:path";
import { type Clock, createLogger, type Logger, SeededRandom, systemClock } from "../base/index.js";
import type { GroupCoordinatorRuntime } from "../coordinator/index.js";
import {
  ClusterController,
  type ControllerDefaults,
  INTERNAL_TOPICS,
  METADATA_TOPIC,
  type MetadataImage,
  MetadataLog,
  type MetadataRecord,
} from "../metadata/index.js";
import { type BoundListener, type NetworkStats, SocketServer } from "../network/index.js";
import { randomUuid } from "../protocol/index.js";
import { type ReplicaAssignment, ReplicaManager } from "../replication/index.js";
import {
  type LogConfig,
  LogManager,
  type LogManagerStartupStats,
  parseLogConfig,
  validateLogConfig,
} from "../storage/index.js";
import type { AnyApiHandler } from "./api-handler.js";
import type { BrokerConfig, ListenerConfig } from "./broker-config.js";
import { FetchSessionCache } from "./fetch-session.js";
import { createGroupCoordinator, syncGroupCoordinatorPartitions } from "./group-coordination.js";
import { loadOrFormatLogDirs } from "./meta-properties.js";
import { ProducerIdManager } from "./producer-id-manager.js";
import { RequestDispatcher } from "./request-dispatcher.js";
import { topicDefaults, topicLogConfig } from "./topic-config.js";

export interface BrokerOptions {
  config: BrokerConfig;
  clock?: Clock;
  log?: Logger;
  /** Handlers to register; the server layer passes the full set (see handlers/index.ts). */
  handlers: (broker: Broker) => AnyApiHandler[];
}

/** The metadata log never loses records to retention: it is the cluster's only copy of its shape. */
const METADATA_LOG_PROPERTIES = new Map([
  ["retention.ms", "-1"],
  ["retention.bytes", "-1"],
  ["cleanup.policy", "delete"],
  ["segment.bytes", String(64 * 1024 * 1024)],
]);

/** Partitions one CreateTopics/CreatePartitions request may create. */
const PARTITIONS_PER_REQUEST_MAX = 100_000;
/** Parked long-poll fetches, all connections together; more are answered at once. */
export const PARKED_FETCHES_MAX = 10_000;

/**
 * One Brook node: broker and controller of a cluster of one (KRaft's combined mode). It owns the
 * partition logs, the metadata log and image, the partitions it hosts and the listeners, and it
 * is what handlers talk to. Every change to the cluster's shape goes through `commit`: the
 * controller's records are appended to the metadata log, then replayed into the image that every
 * part of the broker reads.
 */
export class Broker {
  readonly config: BrokerConfig;
  readonly clock: Clock;
  readonly log: Logger;
  readonly clusterId: string;
  readonly nodeId: number;
  readonly logManager: LogManager;
  readonly metadata: MetadataLog;
  readonly controller: ClusterController;
  readonly replicaManager: ReplicaManager;
  readonly fetchSessions: FetchSessionCache;
  /** Consumer groups and committed offsets, on the `__consumer_offsets` partitions this broker leads. */
  readonly groupCoordinator: GroupCoordinatorRuntime;
  /** Producer ids for InitProducerId, in blocks from the controller. */
  readonly producerIds: ProducerIdManager;
  readonly topicDefaults: LogConfig;
  readonly dispatcher: RequestDispatcher;
  private socketServer: SocketServer | null = null;
  private producerExpiryTimer: NodeJS.Timeout | null = null;
  private advertised: ListenerConfig[] = [];
  private stopped = false;
  parkedFetches = 0;
  readonly startedAtMs: number;

  private constructor(fields: {
    config: BrokerConfig;
    clock: Clock;
    log: Logger;
    clusterId: string;
    logManager: LogManager;
    metadata: MetadataLog;
    handlers: (broker: Broker) => AnyApiHandler[];
  }) {
    this.config = fields.config;
    this.clock = fields.clock;
    this.log = fields.log;
    this.clusterId = fields.clusterId;
    this.nodeId = fields.config.nodeId;
    this.logManager = fields.logManager;
    this.metadata = fields.metadata;
    this.topicDefaults = topicDefaults(fields.config);
    this.controller = new ClusterController({
      random: new SeededRandom(Date.now() & 0x7fffffff),
      validateTopicConfig: (name, value) => {
        try {
          parseLogConfig(new Map([[name, value]]), this.topicDefaults);
          return null;
        } catch (error) {
          return error instanceof Error ? error.message : String(error);
        }
      },
    });
    const replicasLog = this.log.child("replicas");
    this.replicaManager = new ReplicaManager({
      logManager: this.logManager,
      localBrokerId: this.nodeId,
      log: replicasLog,
      producerState: {
        producerIdExpirationMs: fields.config.int("producer.id.expiration.ms"),
        clock: this.clock,
        onError: (error, context) => replicasLog.error(`producer state ${context}: ${String(error)}`),
      },
    });
    this.producerIds = new ProducerIdManager(() => {
      const brokerEpoch = this.image.brokers.get(this.nodeId)?.epoch ?? -1n;
      const block = this.controller.allocateProducerIds(this.image, this.nodeId, brokerEpoch);
      this.commit(block.records);
      return block;
    });
    this.fetchSessions = new FetchSessionCache({ slotsMax: 1000, evictionMs: 120_000, clock: this.clock });
    this.groupCoordinator = createGroupCoordinator(this);
    this.dispatcher = new RequestDispatcher(fields.handlers(this), this.log.child("requests"));
    this.startedAtMs = this.clock.nowMs();
  }

  static async start(options: BrokerOptions): Promise<Broker> {
    const config = options.config;
    const clock = options.clock ?? systemClock;
    const log = options.log ?? createLogger();
    for (const w of config.warnings) log.warn(w);
    const logDirs = config.logDirs.map((d) => resolve(d));
    const metas = loadOrFormatLogDirs(logDirs, config.nodeId);
    const defaults = topicDefaults(config);
    const logManager = await LogManager.open({
      logDirs,
      defaults,
      clock,
      cleanerEnabled: config.bool("log.cleaner.enable"),
      backgroundIntervalMs: 1000,
      intervals: {
        retentionCheckIntervalMs: config.int("log.retention.check.interval.ms"),
        recoveryPointCheckpointIntervalMs: config.int("log.flush.offset.checkpoint.interval.ms"),
        logStartOffsetCheckpointIntervalMs: config.int("log.flush.start.offset.checkpoint.interval.ms"),
        highWatermarkCheckpointIntervalMs: config.int("replica.high.watermark.checkpoint.interval.ms"),
        cleanerBackoffMs: config.int("log.cleaner.backoff.ms"),
      },
      onBackgroundError: (error, context) => log.error(`storage ${context}: ${String(error)}`),
    });
    const metadataLogConfig = parseLogConfig(METADATA_LOG_PROPERTIES, validateLogConfig(defaults));
    const metadata = MetadataLog.load(
      logManager.getOrCreateLog({ topic: METADATA_TOPIC, partition: 0 }, metadataLogConfig),
      1,
    );
    const broker = new Broker({
      config,
      clock,
      log,
      clusterId: metas[0]?.clusterId ?? randomUuid(),
      logManager,
      metadata,
      handlers: options.handlers,
    });
    metadata.onChange((image, previous) => broker.onMetadataChange(image, previous));
    // Before the first connection: the partitions this broker leads exist and the group
    // coordinator loads them, so no request can find a partition or a group missing that is only
    // not set up yet (Kafka opens its listeners once the broker has caught up, too).
    broker.onMetadataChange(broker.image, broker.image);
    broker.groupCoordinator.startup();
    try {
      await broker.listen();
    } catch (error) {
      await broker.stop();
      throw error;
    }
    broker.startProducerExpiry();
    broker.register();
    log.info(
      `started node ${config.nodeId} of cluster ${broker.clusterId}: ${startupSummary(logManager.startupStats, logDirs.length)}`,
    );
    return broker;
  }

  get image(): MetadataImage {
    return this.metadata.image;
  }

  get listeners(): readonly BoundListener[] {
    return this.socketServer?.bound ?? [];
  }

  get advertisedListeners(): readonly ListenerConfig[] {
    return this.advertised;
  }

  get connectionCount(): number {
    return this.socketServer?.connectionCount ?? 0;
  }

  /** Connection and byte counters of the Kafka listeners (the console's metrics). */
  networkStats(): NetworkStats {
    return (
      this.socketServer?.stats() ?? {
        connectionCount: 0,
        connectionsAcceptedTotal: 0,
        connectionsRefusedTotal: 0,
        bytesInTotal: 0,
        bytesOutTotal: 0,
        requestsTotal: 0,
        frameBuffersReusedTotal: 0,
        frameBuffersAllocatedTotal: 0,
      }
    );
  }

  /** Where clients reach this broker on a listener: the advertised endpoint with the bound port. */
  private async listen(): Promise<void> {
    const server = new SocketServer({
      listeners: this.config.listeners.map((l) => ({ name: l.name, host: l.host, port: l.port })),
      handler: this.dispatcher,
      limits: {
        requestBytesMax: this.config.int("socket.request.max.bytes"),
        inFlightRequestsMax: this.config.int("queued.max.requests"),
        unsentResponseBytesMax: 64 * 1024 * 1024,
      },
      idleMsMax: this.config.int("connections.max.idle.ms"),
      connectionsMax: this.config.int("max.connections"),
      log: (level, message) => this.log.child("network")[level](message),
    });
    // Set first: a listener that fails to bind leaves the others bound, and stop() closes them.
    this.socketServer = server;
    const bound = await server.start();
    this.advertised = this.config.advertisedListeners.map((a) => {
      const local = bound.find((b) => b.name === a.name);
      const port = a.port === 0 && local !== undefined ? local.boundPort : a.port;
      const host = a.host === "" || a.host === "0.0.0.0" ? hostname() : a.host;
      return { name: a.name, host, port };
    });
  }

  /** Registers (or re-registers, when its endpoints changed) this broker in the metadata log. */
  private register(): void {
    const endPoints = this.advertised.map((a) => ({
      name: a.name,
      host: a.host,
      port: a.port,
      securityProtocol: 0,
    }));
    const current = this.image.brokers.get(this.nodeId);
    const same =
      current !== undefined &&
      !current.fenced &&
      JSON.stringify(current.endPoints) === JSON.stringify(endPoints);
    if (same) return;
    this.commit([
      {
        type: "RegisterBroker",
        brokerId: this.nodeId,
        incarnationId: randomUuid(),
        brokerEpoch: this.metadata.logEndOffset,
        endPoints,
        rack: null,
        fenced: false,
      },
    ]);
  }

  /** Appends controller records to the metadata log; the new image is live when this returns. */
  commit(records: readonly MetadataRecord[]): MetadataImage {
    return this.metadata.append(records);
  }

  controllerDefaults(): ControllerDefaults {
    return {
      numPartitions: this.config.int("num.partitions"),
      defaultReplicationFactor: this.config.int("default.replication.factor"),
      partitionsPerRequestMax: PARTITIONS_PER_REQUEST_MAX,
    };
  }

  /** The effective log config of a topic: broker defaults plus the topic's overrides. */
  topicConfig(topic: string, image: MetadataImage = this.image): LogConfig {
    return topicLogConfig(this.topicDefaults, image.topicConfig(topic));
  }

  isInternalTopic(topic: string): boolean {
    return INTERNAL_TOPICS.has(topic);
  }

  private onMetadataChange(image: MetadataImage, previous: MetadataImage): void {
    const assignments: ReplicaAssignment[] = [];
    for (const topic of image.topicsById.values()) {
      for (const p of topic.partitions) {
        assignments.push({ topic: topic.name, topicId: topic.id, partitionIndex: p.partitionId, state: p });
      }
    }
    this.replicaManager.apply(assignments, (topic) => this.topicConfig(topic, image));
    for (const topic of image.topicsByName.keys()) {
      if (!sameEntries(image.topicConfig(topic), previous.topicConfig(topic))) {
        this.replicaManager.updateConfig(topic, this.topicConfig(topic, image));
      }
    }
    if (!this.stopped) syncGroupCoordinatorPartitions(this, image);
  }

  /** Idle idempotent producers are forgotten every producer.id.expiration.check.interval.ms. */
  private startProducerExpiry(): void {
    const intervalMs = this.config.int("producer.id.expiration.check.interval.ms");
    this.producerExpiryTimer = setInterval(
      () => this.replicaManager.removeExpiredProducers(this.clock.nowMs()),
      intervalMs,
    );
    this.producerExpiryTimer.unref();
  }

  /** Stops listening, then writes checkpoints so that the next start skips recovery. */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    await this.socketServer?.stop();
    if (this.producerExpiryTimer !== null) clearInterval(this.producerExpiryTimer);
    // Before the logs close: parked group requests are answered and no coordinator timer appends.
    this.groupCoordinator.close();
    this.replicaManager.takeProducerSnapshots();
    await this.logManager.shutdown();
    this.log.info(`node ${this.nodeId} stopped`);
  }
}

/** What an operator wants to know at start: how much was loaded, and whether it needed recovery. */
function startupSummary(stats: LogManagerStartupStats, logDirCount: number): string {
  const loaded = `${stats.logsLoaded} logs loaded in ${Math.round(stats.durationMs)} ms`;
  if (stats.logsLoaded === 0) return loaded;
  if (stats.cleanShutdownDirs === logDirCount) return `${loaded} after a clean shutdown, without recovery`;
  return `${loaded} after an unclean shutdown: recovered ${stats.recoveredSegments} segments, truncated ${stats.truncatedBytes} bytes`;
}

function sameEntries(a: ReadonlyMap<string, string>, b: ReadonlyMap<string, string>): boolean {
  if (a === b) return true;
  if (a.size !== b.size) return false;
  for (const [k, v] of a) if (b.get(k) !== v) return false;
  return true;
}
