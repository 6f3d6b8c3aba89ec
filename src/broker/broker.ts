import { lookup } from "node:dns/promises";
import { isIP } from "node:net";
import { hostname } from "node:os";
import { resolve } from "node:path";
import {
  type Clock,
  ConfigError,
  createLogger,
  describeError,
  type Env,
  KillableTimers,
  type Logger,
  type SampledStatConfig,
  systemClock,
  systemEnv,
} from "../base/index.js";
import type { BrokerEndpoint as ClientEndpoint, ClientSasl, ClientTls } from "../client/index.js";
import type { GroupCoordinatorRuntime, TransactionCoordinatorRuntime } from "../coordinator/index.js";
import {
  type BrokerEndpoint,
  ClusterController,
  type ControllerDefaults,
  EmbeddedMetadataQuorum,
  INTERNAL_TOPICS,
  isServiceListenerName,
  KvMetadataQuorum,
  kafkaEndPoints,
  METADATA_TOPIC,
  type MetadataChanges,
  type MetadataImage,
  type MetadataQuorum,
  type MetadataRecord,
  type PartitionRules,
  rebalanceLeaders,
} from "../metadata/index.js";
import { type BoundListener, ConnectionQuotas, type NetworkStats, SocketServer } from "../network/index.js";
import { randomUuid, scramMechanismType } from "../protocol/index.js";
import {
  type ReplicaAssignment,
  type ReplicaChanges,
  ReplicaFetcherManager,
  ReplicaManager,
} from "../replication/index.js";
import {
  type LogConfig,
  type LogDirFailure,
  LogManager,
  type LogManagerStartupStats,
  parseLogConfig,
  validateLogConfig,
  validateTopicConfigs,
} from "../storage/index.js";
import type { AnyApiHandler, RequestContext } from "./api-handler.js";
import { type BrokerConfig, type ListenerConfig, parseConnectionOverrides } from "./broker-config.js";
import { ClientQuotas } from "./client-quotas.js";
import { ControllerForwarder } from "./controller-forwarder.js";
import { allocateProducerIdsOnController } from "./controller-requests.js";
import { connectEtcd, type SharedMetadataStore } from "./etcd-connect.js";
import { FetchSessionCache } from "./fetch-session.js";
import {
  createGroupCoordinator,
  ensureOffsetsTopic,
  syncGroupCoordinatorPartitions,
} from "./group-coordination.js";
import type { HandlerContext } from "./handler-context.js";
import { IsrChanges } from "./isr-changes.js";
import {
  defaultClientTls,
  isTlsProtocolId,
  type ListenerSecurity,
  listenerSecurity,
  securityProtocolId,
} from "./listener-security.js";
import { formattedClusterId, loadOrFormatLogDirs } from "./meta-properties.js";
import { NodeMetadata } from "./node-metadata.js";
import { ProducerIdManager } from "./producer-id-manager.js";
import { RequestAuthorizer } from "./request-authorizer.js";
import { RequestDispatcher } from "./request-dispatcher.js";
import { topicDefaults, topicLogConfig } from "./topic-config.js";
import { autoCreateTopics, mayAutoCreate } from "./topic-creation.js";
import {
  createTransactionCoordinator,
  ensureTransactionStateTopic,
  syncTransactionCoordinatorPartitions,
} from "./transaction-coordination.js";
import type { BrokerTxnMarkerWriter } from "./txn-marker-writer.js";
import { BrokerTransactionVerifier } from "./txn-verification.js";

export interface BrokerOptions {
  config: BrokerConfig;
  clock?: Clock;
  /** Timers, randomness and identifiers; the system's by default. */
  env?: Env;
  log?: Logger;
  /**
   * Handlers to register, built from what they may use of the broker (handler-context.ts); the
   * server layer passes the full set (see handlers/index.ts).
   */
  handlers: (broker: HandlerContext) => AnyApiHandler[];
  /** A metadata store shared with other nodes of an in-process cluster (instead of etcd.connect). */
  metadataStore?: SharedMetadataStore;
  /**
   * Endpoints of services this node runs besides Kafka (the Schema Registry), registered with
   * the broker after its Kafka listeners under reserved listener names (`service-endpoints.ts`),
   * so that every node's image knows where they listen. They must be bound before the broker
   * starts: the registration is written once per incarnation.
   */
  serviceEndPoints?: readonly BrokerEndpoint[];
}

/** The metadata log never loses records to retention: it is the cluster's only copy of its shape. */
const METADATA_LOG_PROPERTIES = new Map([
  ["retention.ms", "-1"],
  ["retention.bytes", "-1"],
  ["cleanup.policy", "delete"],
  ["segment.bytes", String(64 * 1024 * 1024)],
]);

/**
 * Partitions one CreateTopics/CreatePartitions request may create: Kafka's controller refuses an
 * operation of more than 10,000 records (MAX_RECORDS_PER_USER_OP, one per partition) with
 * POLICY_VIOLATION. 100,000 took minutes to place and write, holding the controller.
 */
const PARTITIONS_PER_REQUEST_MAX = 10_000;
/** Metadata records are ~50-100 bytes: Kafka's snapshot threshold in bytes, as a record count. */
const METADATA_RECORD_BYTES_TYPICAL = 64;
/** Requests between brokers and the controller: Kafka's inter-broker request.timeout.ms. */
const CONTROLLER_REQUEST_TIMEOUT_MS = 30_000;
/** How long a controlled shutdown waits for the controller to move this broker's leaderships. */
const CONTROLLED_SHUTDOWN_WAIT_MS = 5_000;

/**
 * One Brook node: a broker, a controller candidate, or both (KRaft's combined mode, the default).
 * It owns the partition logs, the listeners and the partitions it hosts, and follows the cluster
 * metadata through `NodeMetadata`: on one node the metadata log is its own `__cluster_metadata-0`;
 * in a cluster it lives in etcd. Every change to the cluster's shape is decided by the active
 * controller (`metadata.decide`, or forwarded to the node that is) and reaches every node as
 * committed records, which the node applies to its image and then to its partitions.
 */
export class Broker {
  readonly config: BrokerConfig;
  readonly clock: Clock;
  readonly env: Env;
  private readonly timers: KillableTimers;
  readonly log: Logger;
  readonly clusterId: string;
  readonly nodeId: number;
  readonly logManager: LogManager;
  readonly metadata: NodeMetadata;
  /** Sends changes to the active controller when this node is not it. */
  readonly forwarder: ControllerForwarder;
  /** Follower replicas fetching from their leaders. */
  readonly replicaFetchers: ReplicaFetcherManager;
  /** The leader's ISR changes (shrink when followers lag, expand when they catch up). */
  readonly isrChanges: IsrChanges;
  /** The controller's decisions, pure functions of the image (run on the active controller). */
  readonly controller: ClusterController;
  readonly replicaManager: ReplicaManager;
  readonly fetchSessions: FetchSessionCache;
  /** Consumer groups and committed offsets, on the `__consumer_offsets` partitions this broker leads. */
  readonly groupCoordinator: GroupCoordinatorRuntime;
  /** Producer ids for InitProducerId, in blocks from the controller. */
  readonly producerIds: ProducerIdManager;
  /** Transactions, on the `__transaction_state` partitions this broker leads. */
  readonly transactionCoordinator: TransactionCoordinatorRuntime;
  private readonly txnMarkers: BrokerTxnMarkerWriter;
  /** KIP-890: partition leaders verify (or add) a transaction's partitions with its coordinator. */
  readonly transactionVerifier: BrokerTransactionVerifier;
  readonly topicDefaults: LogConfig;
  readonly dispatcher: RequestDispatcher;
  /** Client quotas (producer_byte_rate, consumer_byte_rate, request_percentage) from the metadata. */
  readonly quotas: ClientQuotas;
  /** Who may connect: max.connections, max.connections.per.ip, per-IP connection_creation_rate. */
  readonly connectionQuotas: ConnectionQuotas;
  /** ACL authorization (authorizer.class.name), or null without an authorizer. */
  readonly authorizer: RequestAuthorizer | null;
  /** What the request handlers see of this broker (built here, handed to `handlers`). */
  readonly handlerContext: HandlerContext;
  private socketServer: SocketServer | null = null;
  private producerExpiryTimer: NodeJS.Timeout | null = null;
  private advertised: ListenerConfig[] = [];
  private readonly serviceEndPoints: readonly BrokerEndpoint[];
  /** Each listener's security protocol and TLS material. */
  private readonly security: ReadonlyMap<string, ListenerSecurity>;
  /** For other brokers' SSL endpoints under a listener name this broker lacks (computed once needed). */
  private fallbackClientTls: ClientTls | null | undefined;
  private stopped = false;
  readonly startedAtMs: number;

  private constructor(fields: {
    config: BrokerConfig;
    clock: Clock;
    env: Env;
    log: Logger;
    clusterId: string;
    logManager: LogManager;
    quorum: MetadataQuorum;
    handlers: (broker: HandlerContext) => AnyApiHandler[];
    serviceEndPoints: readonly BrokerEndpoint[];
    security: ReadonlyMap<string, ListenerSecurity>;
  }) {
    this.config = fields.config;
    this.security = fields.security;
    this.serviceEndPoints = fields.serviceEndPoints;
    this.clock = fields.clock;
    this.timers = new KillableTimers(fields.env.timers);
    this.env = { ...fields.env, timers: this.timers };
    this.log = fields.log;
    this.clusterId = fields.clusterId;
    this.nodeId = fields.config.nodeId;
    this.logManager = fields.logManager;
    this.topicDefaults = topicDefaults(fields.config);
    this.authorizer = RequestAuthorizer.fromConfig(
      fields.config,
      () => this.image.acls,
      this.log.child("authorizer"),
      this.clock,
    );
    this.handlerContext = handlerContextOf(this);
    this.controller = new ClusterController({
      random: this.env.random,
      newTopicId: () => randomUuid(() => this.env.randomBytes16()),
      validateTopicConfigs: (configs) => {
        try {
          validateTopicConfigs(configs, this.topicDefaults);
          return null;
        } catch (error) {
          return error instanceof Error ? error.message : String(error);
        }
      },
    });
    const config = fields.config;
    this.metadata = new NodeMetadata({
      nodeId: this.nodeId,
      roles: config.processRoles.length > 0 ? config.processRoles : ["broker", "controller"],
      quorum: fields.quorum,
      env: this.env,
      log: this.log,
      rack: config.string("broker.rack"),
      partitionRules: this.partitionRules,
      previousBrokerEpoch: fields.logManager.previousBrokerEpoch,
      snapshotRecordsMax: Math.max(
        1,
        Math.floor(
          config.int("metadata.log.max.record.bytes.between.snapshots") / METADATA_RECORD_BYTES_TYPICAL,
        ),
      ),
      snapshotIntervalMs: config.int("metadata.log.max.snapshot.interval.ms"),
      periodic: config.bool("auto.leader.rebalance.enable")
        ? [
            {
              name: "leader rebalance",
              intervalMs: config.int("leader.imbalance.check.interval.seconds") * 1000,
              run: (builder) =>
                builder.add(
                  rebalanceLeaders(
                    builder.image,
                    config.int("leader.imbalance.per.broker.percentage"),
                    this.partitionRules,
                  ),
                ),
            },
          ]
        : [],
      offlineStorage: () => ({
        logDirs: this.logManager.offlineLogDirs().map((d) => d.dir),
        replicas: this.replicaManager.offlineReplicas().map((r) => ({
          topicId: r.topicId,
          partitionId: r.partitionIndex,
        })),
      }),
    });
    this.forwarder = new ControllerForwarder({
      nodeId: this.nodeId,
      metadata: this.metadata,
      log: this.log.child("forwarding"),
      requestTimeoutMs: CONTROLLER_REQUEST_TIMEOUT_MS,
      tlsOf: (endPoint) => this.clientTlsOf(endPoint),
      saslOf: (endPoint) => this.clientSaslOf(endPoint),
    });
    const replicasLog = this.log.child("replicas");
    this.replicaFetchers = new ReplicaFetcherManager({
      localBrokerId: this.nodeId,
      brokerEpoch: () => {
        const registration = this.image.brokers.get(this.nodeId);
        const mine = registration?.incarnationId === this.metadata.lifecycle?.incarnation;
        return registration !== undefined && mine ? registration.epoch : -1n;
      },
      endpointOf: (id) => this.interBrokerEndpoint(id),
      config: {
        waitMaxMs: config.int("replica.fetch.wait.max.ms"),
        minBytes: config.int("replica.fetch.min.bytes"),
        partitionMaxBytes: config.int("replica.fetch.max.bytes"),
        responseMaxBytes: config.int("replica.fetch.response.max.bytes"),
        backoffMs: config.int("replica.fetch.backoff.ms"),
        requestTimeoutMs: CONTROLLER_REQUEST_TIMEOUT_MS,
      },
      log: this.log.child("fetcher"),
      clock: this.clock,
      timers: this.timers,
    });
    this.replicaManager = new ReplicaManager({
      logManager: this.logManager,
      localBrokerId: this.nodeId,
      log: replicasLog,
      clock: this.clock,
      followers: this.replicaFetchers,
      mayLead: () => this.metadata.lifecycle?.isActive ?? false,
      producerState: {
        producerIdExpirationMs: fields.config.int("producer.id.expiration.ms"),
        clock: this.clock,
        onError: (error, context) => replicasLog.error(`producer state ${context}: ${String(error)}`),
      },
    });
    this.producerIds = new ProducerIdManager(() => allocateProducerIdsOnController(this.handlerContext));
    this.isrChanges = new IsrChanges(this.handlerContext, this.timers, this.log.child("isr"));
    this.fetchSessions = new FetchSessionCache({ slotsMax: 1000, evictionMs: 120_000, clock: this.clock });
    this.groupCoordinator = createGroupCoordinator(this.handlerContext);
    this.logManager.onLogDirFailure((failure) => this.onLogDirFailure(failure));
    const transactions = createTransactionCoordinator(this.handlerContext, (id) =>
      this.interBrokerEndpoint(id),
    );
    this.transactionCoordinator = transactions.runtime;
    this.txnMarkers = transactions.markers;
    this.transactionVerifier = new BrokerTransactionVerifier(this.handlerContext, (id) =>
      this.interBrokerEndpoint(id),
    );
    const quotaWindow: SampledStatConfig = {
      samples: config.int("quota.window.num"),
      windowMs: config.int("quota.window.size.seconds") * 1000,
    };
    this.connectionQuotas = new ConnectionQuotas({
      connectionsMax: config.int("max.connections"),
      connectionsPerIpMax: config.int("max.connections.per.ip"),
      // Host names are resolved when the listeners open (listen()).
      connectionsPerIpOverrides: new Map(),
      quotaWindow,
    });
    this.quotas = new ClientQuotas({
      window: quotaWindow,
      clock: this.clock,
      onIpQuota: (ip, rate) => this.applyIpConnectionRate(ip, rate),
      ...(this.authorizer === null
        ? {}
        : {
            fromBroker: (context: RequestContext) => this.authorizer?.allowsClusterAction(context) === true,
          }),
    });
    const handlers = fields.handlers(this.handlerContext);
    this.dispatcher = new RequestDispatcher(handlers, this.log.child("requests"), {
      heldUntilOpen: true,
      throttling: this.quotas,
    });
    this.startedAtMs = this.clock.nowMs();
  }

  static async start(options: BrokerOptions): Promise<Broker> {
    const config = options.config;
    const clock = options.clock ?? systemClock;
    const env = options.env ?? systemEnv(clock);
    const log = options.log ?? createLogger();
    for (const w of config.warnings) log.warn(w);
    const reserved = config.listeners.find((l) => isServiceListenerName(l.name));
    if (reserved !== undefined)
      throw new ConfigError(`Invalid listeners: the listener name ${reserved.name} is reserved`);
    // Key stores are read before anything else starts: a listener that cannot be served is a config error.
    // SCRAM users come from the metadata image, which exists once the broker does.
    let self: Broker | null = null;
    const security = listenerSecurity(config, (mechanism, user) => {
      const credential = self?.image.scramCredentials.get(user)?.get(scramMechanismType(mechanism));
      return credential ?? null;
    });
    const logDirs = config.logDirs.map((d) => resolve(d));
    // A cluster's id lives with its metadata: a node joining through a shared store (etcd) takes
    // the store's, and refuses a store of another cluster than its data directories'.
    const shared = options.metadataStore ?? (await connectEtcd(config, log));
    let kv: KvMetadataQuorum | null = null;
    let clusterIdWanted: string | undefined;
    if (shared !== null) {
      kv = new KvMetadataQuorum({
        store: shared.store,
        prefix: shared.prefix,
        env,
        sessionTimeoutMs: config.int("etcd.session.timeout.ms"),
        log: log.child("quorum"),
      });
      const formatted = formattedClusterId(logDirs);
      const stored = await kv.clusterId(formatted ?? randomUuid(() => env.randomBytes16()));
      if (formatted !== null && stored !== formatted) {
        await shared.store.close();
        throw new ConfigError(
          `the data directory belongs to cluster ${formatted}, but the metadata store at ${shared.prefix} holds cluster ${stored}`,
        );
      }
      clusterIdWanted = stored;
    }
    const metas = loadOrFormatLogDirs(logDirs, config.nodeId, clusterIdWanted);
    const defaults = topicDefaults(config);
    const logManager = await LogManager.open({
      logDirs,
      defaults,
      clock,
      limits: { tailCacheBytesMax: config.int("log.tail.cache.bytes") },
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
    const clusterId = metas[0]?.clusterId ?? randomUuid();
    let quorum: MetadataQuorum;
    if (kv !== null) {
      quorum = kv;
    } else {
      const metadataLogConfig = parseLogConfig(METADATA_LOG_PROPERTIES, validateLogConfig(defaults));
      quorum = new EmbeddedMetadataQuorum(
        logManager.getOrCreateLog({ topic: METADATA_TOPIC, partition: 0 }, metadataLogConfig),
      );
    }
    const broker = new Broker({
      config,
      clock,
      env,
      log,
      clusterId,
      logManager,
      quorum,
      handlers: options.handlers,
      serviceEndPoints: options.serviceEndPoints ?? [],
      security,
    });
    self = broker;

    broker.metadata.startLoading();
    if (shared !== null) await broker.metadata.loader.catchUp();
    broker.metadata.loader.onPublish((image, changes, previous) =>
      broker.onMetadataChange(image, changes, previous),
    );
    // Before the first request: the partitions this broker hosts exist and the group coordinator
    // is on, so no request finds a partition or a group missing that is only not set up yet.
    broker.onMetadataChange(broker.image, FULL_RELOAD, broker.image);
    for (const failure of logManager.offlineLogDirs()) {
      broker.replicaManager.handleLogDirFailure(failure.partitions);
      log.error(logDirFailureMessage(failure, config.nodeId));
    }
    broker.groupCoordinator.startup();
    broker.transactionCoordinator.startup();
    try {
      await broker.listen();
    } catch (error) {
      await broker.stop();
      throw error;
    }
    broker.startProducerExpiry();
    broker.isrChanges.start();
    broker.metadata.join(broker.endPoints());
    // Requests are served once this broker is unfenced (Kafka enables request processing then).
    await broker.metadata.lifecycle?.whenActive();
    broker.dispatcher.open();
    log.info(
      `started node ${config.nodeId} of cluster ${broker.clusterId} (metadata: ${quorum.kind}): ${startupSummary(logManager.startupStats, logDirs.length)}`,
    );
    return broker;
  }

  get image(): MetadataImage {
    return this.metadata.image;
  }

  /** The active controller's node id, or -1 during an election (Metadata's controllerId). */
  get activeControllerId(): number {
    return this.metadata.activeController?.nodeId ?? -1;
  }

  get listeners(): readonly BoundListener[] {
    return this.socketServer?.bound ?? [];
  }

  get advertisedListeners(): readonly ListenerConfig[] {
    return this.advertised;
  }

  /** Long-poll fetches waiting for data now. */
  get parkedFetches(): number {
    return this.handlerContext.parkedFetches;
  }

  get connectionCount(): number {
    return this.socketServer?.connectionCount ?? 0;
  }

  /** Connection and byte counters of the Kafka listeners (the console's metrics). */
  networkStats(): NetworkStats {
    return (
      this.socketServer?.stats() ?? {
        connectionCount: 0,
        connectionsHandshaking: 0,
        connectionsReadPaused: 0,
        connectionBufferedBytes: 0,
        connectionsAcceptedTotal: 0,
        connectionsRefusedTotal: 0,
        connectionsRefusedByReason: {},
        connectionsIdleClosedTotal: 0,
        requestsQueued: 0,
        requestQueueFullTotal: 0,
        bytesInTotal: 0,
        bytesOutTotal: 0,
        requestsTotal: 0,
        tlsHandshakesTotal: 0,
        tlsHandshakeFailuresByReason: {},
        saslAuthenticationsTotal: 0,
        saslAuthenticationFailuresByMechanism: {},
        frameBuffersReusedTotal: 0,
        frameBuffersAllocatedTotal: 0,
      }
    );
  }

  /** Where clients reach this broker on a listener: the advertised endpoint with the bound port. */
  private async listen(): Promise<void> {
    this.connectionQuotas.updateLimits({
      connectionsPerIpOverrides: await resolveOverrides(
        parseConnectionOverrides(this.config.string("max.connections.per.ip.overrides") ?? ""),
      ),
    });
    const server = new SocketServer({
      listeners: this.config.listeners.map((l) => {
        const tls = this.security.get(l.name)?.server ?? null;
        const sasl = this.security.get(l.name)?.sasl ?? null;
        return {
          name: l.name,
          host: l.host,
          port: l.port,
          ...(tls === null ? {} : { tls }),
          ...(sasl === null ? {} : { sasl }),
        };
      }),
      handler: this.dispatcher,
      limits: {
        requestBytesMax: this.config.int("socket.request.max.bytes"),
        inFlightRequestsMax: this.config.int("queued.max.requests"),
        bufferedBytesMax: this.config.int("socket.connection.buffer.max.bytes"),
      },
      idleMsMax: this.config.int("connections.max.idle.ms"),
      connectionQuotas: this.connectionQuotas,
      requestsQueuedMax: this.config.int("queued.max.requests"),
      log: (level, message) => this.log.child("network")[level](message),
    });
    // Set first: a listener that fails to bind leaves the others bound, and stop() closes them.
    this.socketServer = server;
    const bound = await server.start();
    for (const s of this.security.values()) {
      if (s.certificate !== null && s.server !== null) {
        this.log.info(
          `listener ${s.name} serves TLS as ${s.certificate} (ssl.client.auth=${s.server.clientAuth})`,
        );
      }
    }
    this.advertised = this.config.advertisedListeners.map((a) => {
      const local = bound.find((b) => b.name === a.name);
      const port = a.port === 0 && local !== undefined ? local.boundPort : a.port;
      const host = a.host === "" || a.host === "0.0.0.0" ? hostname() : a.host;
      return { name: a.name, host, port };
    });
  }

  /**
   * A connection_creation_rate quota of an IP entity: an address, a host name (its addresses, as
   * Kafka resolves it when the quota arrives) or the default (null).
   */
  private applyIpConnectionRate(ip: string | null, rate: number | null): void {
    if (ip === null || isIP(ip) !== 0) {
      this.connectionQuotas.updateIpConnectionRate(ip, rate);
      return;
    }
    lookup(ip, { all: true }).then(
      (addresses) => {
        for (const a of addresses) this.connectionQuotas.updateIpConnectionRate(a.address, rate);
      },
      (error: unknown) =>
        this.log.warn(`connection_creation_rate quota of ${ip} not applied: ${describeError(error)}`),
    );
  }

  /**
   * Where this broker reaches another for replication, transaction markers and verification: its
   * endpoint on the inter-broker listener, with TLS when that listener is SSL.
   */
  private interBrokerEndpoint(brokerId: number): ClientEndpoint | null {
    const registration = this.image.brokers.get(brokerId);
    if (registration === undefined) return null;
    const name = this.config.interBrokerListenerName;
    const endpoint = registration.endPoints.find((e) => e.name === name) ?? kafkaEndPoints(registration)[0];
    if (endpoint === undefined) return null;
    const ssl = this.clientTlsOf(endpoint);
    const sasl = this.clientSaslOf(endpoint);
    return {
      host: endpoint.host,
      port: endpoint.port,
      ...(ssl === undefined ? {} : { ssl }),
      ...(sasl === undefined ? {} : { sasl }),
    };
  }

  /**
   * TLS for Brook's own connection to another node's endpoint: that listener's settings here
   * (Kafka's inter-broker and controller channels use the listener's ssl.* keys), or the global
   * ones for a listener this node does not have; none for a PLAINTEXT endpoint.
   */
  private clientTlsOf(endpoint: BrokerEndpoint): ClientTls | undefined {
    if (!isTlsProtocolId(endpoint.securityProtocol)) return undefined;
    const own = this.security.get(endpoint.name)?.client;
    if (own != null) return own;
    if (this.fallbackClientTls === undefined) this.fallbackClientTls = defaultClientTls(this.config);
    return this.fallbackClientTls ?? {};
  }

  /**
   * SASL for Brook's own connection to another node's SASL endpoint: the credentials this node's
   * listener of that name logs in with (sasl.mechanism.inter.broker.protocol and its JAAS entry).
   * Without them the connection goes unauthenticated, and the other broker refuses it.
   */
  private clientSaslOf(endpoint: BrokerEndpoint): ClientSasl | undefined {
    if (
      endpoint.securityProtocol !== securityProtocolId("SASL_PLAINTEXT") &&
      endpoint.securityProtocol !== securityProtocolId("SASL_SSL")
    )
      return undefined;
    return this.security.get(endpoint.name)?.clientSasl ?? undefined;
  }

  /** The Kafka listeners first (the first is the controller's), then the service endpoints. */
  private endPoints(): BrokerEndpoint[] {
    return [
      ...this.advertised.map((a) => ({
        name: a.name,
        host: a.host,
        port: a.port,
        securityProtocol: securityProtocolId(
          this.config.listenerSecurityProtocols.get(a.name) ?? "PLAINTEXT",
        ),
      })),
      ...this.serviceEndPoints.map((e) => ({ ...e })),
    ];
  }

  /**
   * Decides a change to the cluster as the active controller (see NodeMetadata.decide): NOT_CONTROLLER
   * when this node is not it.
   */
  decide<T>(
    name: string,
    decide: (image: MetadataImage) => { records: MetadataRecord[]; result: T },
  ): Promise<T> {
    return this.metadata.decide(name, decide);
  }

  controllerDefaults(): ControllerDefaults {
    return {
      numPartitions: this.config.int("num.partitions"),
      defaultReplicationFactor: this.config.int("default.replication.factor"),
      partitionsPerRequestMax: PARTITIONS_PER_REQUEST_MAX,
    };
  }

  /** The topic configs the controller's partition decisions read (min ISR, unclean election). */
  readonly partitionRules: PartitionRules = {
    minInsyncReplicas: (topic, image) => this.topicConfig(topic, image).minInsyncReplicas,
    uncleanLeaderElection: (topic, image) => this.topicConfig(topic, image).uncleanLeaderElectionEnable,
  };

  /** The effective log config of a topic: broker defaults plus the topic's overrides. */
  topicConfig(topic: string, image: MetadataImage = this.image): LogConfig {
    return topicLogConfig(this.topicDefaults, image.topicConfig(topic));
  }

  isInternalTopic(topic: string): boolean {
    return INTERNAL_TOPICS.has(topic);
  }

  private onMetadataChange(image: MetadataImage, changes: MetadataChanges, previous: MetadataImage): void {
    this.quotas.apply(image.clientQuotas);
    this.replicaManager.applyChanges(replicaChanges(image, changes, previous), (topic) =>
      this.topicConfig(topic, image),
    );
    const configChanged = (topic: string) =>
      changes.snapshot
        ? !sameEntries(image.topicConfig(topic), previous.topicConfig(topic))
        : changes.configs.has(`2:${topic}`);
    for (const topic of image.topicsByName.keys()) {
      if (configChanged(topic)) this.replicaManager.updateConfig(topic, this.topicConfig(topic, image));
    }
    if (!this.stopped) syncGroupCoordinatorPartitions(this.handlerContext, image);
    if (!this.stopped) syncTransactionCoordinatorPartitions(this.handlerContext, image);
  }

  /**
   * A log dir failed (Kafka's ReplicaManager.handleLogDirFailure): its partitions stop being
   * served (KAFKA_STORAGE_ERROR), the controller hears of their replicas through the broker's
   * session and moves their leaderships where it can, and the operator reads why in the log.
   */
  private onLogDirFailure(failure: LogDirFailure): void {
    this.replicaManager.handleLogDirFailure(failure.partitions);
    this.log.error(logDirFailureMessage(failure, this.nodeId));
    this.metadata.lifecycle?.reportOfflineStorage();
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

  /**
   * Leaves the cluster (a controlled shutdown: the controller first moves this broker's
   * leaderships), stops listening, then writes checkpoints so that the next start skips recovery.
   */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    // With the embedded metadata log offline (its log dir failed) the controller can commit
    // nothing: a controlled shutdown would only wait for its timeout.
    const metadataLog = this.logManager.getLog({ topic: METADATA_TOPIC, partition: 0 });
    const controlled = this.config.bool("controlled.shutdown.enable") && !(metadataLog?.isOffline === true);
    await this.metadata.leave(controlled, CONTROLLED_SHUTDOWN_WAIT_MS);
    this.isrChanges.stop();
    this.replicaFetchers.stop();
    this.forwarder.close();
    await this.socketServer?.stop();
    if (this.producerExpiryTimer !== null) clearInterval(this.producerExpiryTimer);
    // Before the logs close: parked group requests are answered and no coordinator timer appends.
    this.groupCoordinator.close();
    this.transactionCoordinator.close();
    this.txnMarkers.close();
    this.transactionVerifier.close();
    this.replicaManager.takeProducerSnapshots();
    // The clean-shutdown marker names the registration this broker had: the next start tells the
    // controller nothing was lost since (KIP-966's PreviousBrokerEpoch), so it stays eligible.
    await this.logManager.shutdown(this.metadata.lifecycle?.registeredEpoch ?? -1n);
    this.log.info(`node ${this.nodeId} stopped`);
  }

  /** Stops as a crash would for the cluster: no controlled shutdown; the session expires in the store. */
  async kill(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    await this.socketServer?.stop();
    if (this.producerExpiryTimer !== null) clearInterval(this.producerExpiryTimer);
    this.groupCoordinator.close();
    this.transactionCoordinator.close();
    this.txnMarkers.close();
    this.transactionVerifier.close();
    this.timers.kill();
    this.isrChanges.stop();
    this.replicaFetchers.stop();
    this.forwarder.close();
    await this.metadata.abandon();
    await this.logManager.shutdown();
  }
}

/**
 * The broker as its handlers see it (see handler-context.ts). Every member reads through to the
 * broker's parts, so it is current whenever read and may be built before those parts are.
 */
function handlerContextOf(broker: Broker): HandlerContext {
  const context: HandlerContext = {
    get image() {
      return broker.image;
    },
    clusterId: broker.clusterId,
    nodeId: broker.nodeId,
    get activeControllerId() {
      return broker.activeControllerId;
    },
    get listeners() {
      return broker.listeners;
    },
    isInternalTopic: (topic) => broker.isInternalTopic(topic),
    isLocalReplicaOffline: (topic, partition) => broker.replicaManager.isOffline(topic, partition),
    get isActiveController() {
      return broker.metadata.isActiveController;
    },
    decide: (name, decide) => broker.decide(name, decide),
    get controller() {
      return broker.controller;
    },
    partitionRules: broker.partitionRules,
    controllerDefaults: () => broker.controllerDefaults(),
    get forwarder() {
      return broker.forwarder;
    },
    get replicaManager() {
      return broker.replicaManager;
    },
    get isrChanges() {
      return broker.isrChanges;
    },
    get fetchSessions() {
      return broker.fetchSessions;
    },
    parkedFetches: 0,
    get groupCoordinator() {
      return broker.groupCoordinator;
    },
    ensureOffsetsTopic: () => ensureOffsetsTopic(context),
    get transactionCoordinator() {
      return broker.transactionCoordinator;
    },
    ensureTransactionStateTopic: () => ensureTransactionStateTopic(context),
    get transactionVerifier() {
      return broker.transactionVerifier;
    },
    mayAutoCreate: (topic) => mayAutoCreate(context, topic),
    autoCreateTopics: (names) => autoCreateTopics(context, names),
    get producerIds() {
      return broker.producerIds;
    },
    get quotas() {
      return broker.quotas;
    },
    authorizer: broker.authorizer,
    config: broker.config,
    topicDefaults: broker.topicDefaults,
    log: broker.log,
    clock: broker.clock,
    advertisedVersions: () => broker.dispatcher.advertisedVersions(),
  };
  return context;
}

/** max.connections.per.ip.overrides by address: host names resolved to all their addresses. */
async function resolveOverrides(overrides: ReadonlyMap<string, number>): Promise<Map<string, number>> {
  const resolved = new Map<string, number>();
  for (const [host, count] of overrides) {
    if (isIP(host) !== 0) {
      resolved.set(host, count);
      continue;
    }
    try {
      for (const a of await lookup(host, { all: true })) resolved.set(a.address, count);
    } catch (error) {
      throw new ConfigError(
        `max.connections.per.ip.overrides: ${host} does not resolve (${describeError(error)})`,
      );
    }
  }
  return resolved;
}

/** The metadata changes in the replica manager's terms. */
function replicaChanges(
  image: MetadataImage,
  changes: MetadataChanges,
  previous: MetadataImage,
): ReplicaChanges {
  if (changes.snapshot) {
    // Topics the previous committed image had and this one lacks were deleted in between.
    const removedTopics = new Map<string, string>();
    for (const t of previous.topicsById.values())
      if (!image.topicsById.has(t.id)) removedTopics.set(t.id, t.name);
    return { full: true, removedTopics, changed: allAssignments(image) };
  }
  const changed: ReplicaAssignment[] = [];
  for (const [topicId, partitionIds] of changes.topics) {
    const topic = image.topicsById.get(topicId);
    if (topic === undefined) continue;
    for (const id of partitionIds) {
      const p = topic.partitions[id];
      if (p !== undefined) changed.push({ topic: topic.name, topicId, partitionIndex: id, state: p });
    }
  }
  return { full: false, removedTopics: changes.removedTopics, changed };
}

function* allAssignments(image: MetadataImage): Generator<ReplicaAssignment> {
  for (const topic of image.topicsById.values()) {
    for (const p of topic.partitions)
      yield { topic: topic.name, topicId: topic.id, partitionIndex: p.partitionId, state: p };
  }
}

/** Applies a whole image: at start, nothing is known to be unchanged. */
const FULL_RELOAD: MetadataChanges = {
  snapshot: true,
  topics: new Map(),
  removedTopics: new Map(),
  brokers: new Set(),
  configs: new Set(),
};

/** PARTITIONS_NAMED_MAX partitions are named in the log line; the rest are counted. */
const PARTITIONS_NAMED_MAX = 20;

/** One line that says what failed, what it costs, and what to do. */
function logDirFailureMessage(failure: LogDirFailure, nodeId: number): string {
  const names = failure.partitions.map((tp) => `${tp.topic}-${tp.partition}`);
  const named =
    names.length <= PARTITIONS_NAMED_MAX
      ? names.join(", ")
      : `${names.slice(0, PARTITIONS_NAMED_MAX).join(", ")} and ${names.length - PARTITIONS_NAMED_MAX} more`;
  const metadataLog = names.includes(`${METADATA_TOPIC}-0`)
    ? " It held the metadata log: no metadata change (topic creation, leadership, configs) can be committed until the restart; the metadata already committed is still served."
    : "";
  const next =
    failure.onlineDirs === 0
      ? `No log dir is online: node ${nodeId} accepts no more writes; it keeps running and serving metadata. Free space or repair the disk, then restart the broker: recovery truncates each log to its last valid batch.`
      : `${failure.onlineDirs} log dir(s) remain online and are served as before. Restart the broker once the disk is repaired.`;
  return (
    `log dir ${failure.dir} is offline: ${failure.context} failed: ${describeError(failure.cause)}. ` +
    `Its ${names.length} log(s) are offline until restart (produce and fetch get KAFKA_STORAGE_ERROR)${names.length > 0 ? `: ${named}` : ""}.${metadataLog} ${next}`
  );
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
