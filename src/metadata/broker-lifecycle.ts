import { describeError, type Env, type Logger } from "../base/index.js";
import { randomUuid } from "../protocol/index.js";
import type { MetadataImage } from "./metadata-image.js";
import type { MetadataLoader } from "./metadata-loader.js";
import type { BrokerEndpoint } from "./metadata-records.js";
import type { BrokerSession, BrokerSessionInfo, MetadataQuorum, OfflineReplicaRef } from "./store/index.js";

export type BrokerLifecycleState = "starting" | "fenced" | "active" | "expired" | "shutting-down" | "stopped";

export interface BrokerLifecycleOptions {
  brokerId: number;
  quorum: MetadataQuorum;
  loader: MetadataLoader;
  env: Env;
  log: Logger;
  endPoints: () => BrokerEndpoint[];
  rack: string | null;
  onStateChange?: (state: BrokerLifecycleState) => void;
  /** The broker's failed log dirs and its replicas in them, reported in its session. */
  offlineStorage?: () => { logDirs: readonly string[]; replicas: readonly OfflineReplicaRef[] };
  /** The broker epoch its logs were cleanly shut down with (LogManager.previousBrokerEpoch); -1: none. */
  previousBrokerEpoch?: bigint;
}

const RETRY_BACKOFF_MS = 200;

/**
 * A broker's membership of the cluster, as KRaft's BrokerLifecycleManager keeps it: it opens a
 * session (a new incarnation each time), waits for the controller to register it, reports when
 * it has applied the metadata log up to its registration (then the controller unfences it), and
 * counts as active only while unfenced in the image and its session is alive. When the session
 * expires (cut off from the store for the session timeout) it stops being active at once and
 * registers again. A controlled shutdown asks the controller to move its leaderships away first.
 */
export class BrokerLifecycle {
  private readonly options: BrokerLifecycleOptions;
  private readonly log: Logger;
  private stateValue: BrokerLifecycleState = "starting";
  private session: BrokerSession | null = null;
  private incarnationId = "";
  private reportedOffset = -1n;
  private reporting = false;
  private unsubscribe: (() => void) | null = null;
  private waiters: { ready: (state: BrokerLifecycleState) => boolean; resolve: () => void }[] = [];
  private generation = 0;
  /**
   * The epoch of this broker's latest registration that this process saw (at first, the one its
   * logs were cleanly shut down with): nothing of the logs was lost since, so a new session names
   * it as its PreviousBrokerEpoch (KIP-966).
   */
  private lastEpoch: bigint;
  private sessionPreviousEpoch = -1n;

  constructor(options: BrokerLifecycleOptions) {
    this.options = options;
    this.log = options.log;
    this.lastEpoch = options.previousBrokerEpoch ?? -1n;
  }

  /** For the clean-shutdown marker: the epoch of this broker's latest registration it saw; -1 none. */
  get registeredEpoch(): bigint {
    return this.lastEpoch;
  }

  get state(): BrokerLifecycleState {
    return this.stateValue;
  }

  /** Unfenced with a live session: the broker may act as leader. */
  get isActive(): boolean {
    return this.stateValue === "active";
  }

  get incarnation(): string {
    return this.incarnationId;
  }

  start(): void {
    this.unsubscribe = this.options.loader.onPublish((image) => this.onImage(image));
    void this.register();
  }

  /** Resolves once the broker is active (unfenced). */
  whenActive(): Promise<void> {
    return this.when((s) => s === "active");
  }

  /**
   * Asks the controller to move this broker's leaderships away and fence it, waits for that (or
   * `timeoutMs`), then ends the session.
   */
  async controlledShutdown(timeoutMs: number): Promise<void> {
    if (this.stateValue === "stopped") return;
    const session = this.session;
    const wasActive = this.stateValue === "active";
    this.setState("shutting-down");
    if (session !== null && wasActive) {
      try {
        await session.update(this.info(true));
        await Promise.race([
          this.whenFencedInImage(),
          new Promise<void>((resolve) => this.options.env.timers.after(timeoutMs, resolve)),
        ]);
      } catch (error) {
        this.log.warn(`controlled shutdown: ${describeError(error)}`);
      }
    }
    await this.stop();
  }

  async stop(): Promise<void> {
    this.generation++;
    this.unsubscribe?.();
    this.unsubscribe = null;
    const session = this.session;
    this.session = null;
    this.setState("stopped");
    await session?.close().catch(() => {});
  }

  /**
   * A log dir failed: the session says which replicas are offline, so that the controller moves
   * their leaderships and takes them out of their ISRs (KRaft's heartbeat with offlineLogDirs).
   * Retried until the session takes it; a new session (after expiry) carries it from the start.
   */
  reportOfflineStorage(): void {
    const generation = this.generation;
    const session = this.session;
    if (session === null || this.stateValue === "stopped" || this.stateValue === "shutting-down") return;
    session.update(this.info()).catch((error: unknown) => {
      this.log.warn(
        `broker ${this.options.brokerId}: reporting offline log dirs failed: ${describeError(error)}`,
      );
      this.options.env.timers.after(RETRY_BACKOFF_MS, () => {
        if (generation === this.generation) this.reportOfflineStorage();
      });
    });
  }

  private info(shuttingDown = false): BrokerSessionInfo {
    const offline = this.options.offlineStorage?.();
    return {
      brokerId: this.options.brokerId,
      incarnationId: this.incarnationId,
      endPoints: this.options.endPoints(),
      rack: this.options.rack,
      metadataOffset: this.options.loader.image.offset,
      shuttingDown,
      ...(this.sessionPreviousEpoch >= 0n ? { previousBrokerEpoch: this.sessionPreviousEpoch } : {}),
      ...(offline === undefined || offline.logDirs.length === 0
        ? {}
        : { offlineLogDirs: [...offline.logDirs], offlineReplicas: [...offline.replicas] }),
    };
  }

  private async register(): Promise<void> {
    const generation = ++this.generation;
    this.incarnationId = randomUuid(() => this.options.env.randomBytes16());
    this.reportedOffset = -1n;
    this.sessionPreviousEpoch = this.lastEpoch;
    try {
      const session = await this.options.quorum.openSession(this.info(), {
        expired: (reason) => this.onExpired(generation, reason),
      });
      if (generation !== this.generation) {
        await session.close();
        return;
      }
      this.session = session;
      if (this.stateValue === "starting" || this.stateValue === "expired") this.setState("fenced");
      this.onImage(this.options.loader.image);
    } catch (error) {
      if (generation !== this.generation) return;
      this.log.warn(`broker ${this.options.brokerId} cannot register yet: ${describeError(error)}`);
      this.options.env.timers.after(RETRY_BACKOFF_MS, () => {
        if (generation === this.generation) void this.register();
      });
    }
  }

  private onExpired(generation: number, reason: string): void {
    if (
      generation !== this.generation ||
      this.stateValue === "stopped" ||
      this.stateValue === "shutting-down"
    )
      return;
    this.log.warn(`broker ${this.options.brokerId} session expired (${reason}): no longer acting as leader`);
    this.session = null;
    this.setState("expired");
    void this.register();
  }

  private onImage(image: MetadataImage): void {
    const registration = image.brokers.get(this.options.brokerId);
    const mine = registration !== undefined && registration.incarnationId === this.incarnationId;
    if (mine) this.lastEpoch = registration.epoch;
    if (this.stateValue === "fenced" && mine && !registration.fenced) this.setState("active");
    else if (this.stateValue === "active" && (!mine || registration.fenced)) this.setState("fenced");
    if (mine && registration.fenced && this.stateValue === "fenced" && image.offset >= registration.epoch) {
      void this.reportCaughtUp(image.offset);
    }
  }

  /** Tells the controller (through the session) how far this broker has applied the log. */
  private async reportCaughtUp(offset: bigint): Promise<void> {
    if (this.reporting || offset <= this.reportedOffset || this.session === null) return;
    this.reporting = true;
    const generation = this.generation;
    try {
      await this.session.update(this.info());
      if (generation === this.generation) this.reportedOffset = offset;
    } catch (error) {
      this.log.warn(
        `broker ${this.options.brokerId}: reporting metadata offset failed: ${describeError(error)}`,
      );
      this.options.env.timers.after(RETRY_BACKOFF_MS, () => this.onImage(this.options.loader.image));
    } finally {
      this.reporting = false;
    }
  }

  private whenFencedInImage(): Promise<void> {
    return new Promise((resolve) => {
      const check = (image: MetadataImage) => {
        const r = image.brokers.get(this.options.brokerId);
        if (r === undefined || r.fenced || r.incarnationId !== this.incarnationId) {
          stop();
          resolve();
        }
      };
      const stop = this.options.loader.onPublish((image) => check(image));
      check(this.options.loader.image);
    });
  }

  private when(ready: (state: BrokerLifecycleState) => boolean): Promise<void> {
    if (ready(this.stateValue)) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push({ ready, resolve }));
  }

  private setState(state: BrokerLifecycleState): void {
    if (state === this.stateValue) return;
    this.stateValue = state;
    this.options.onStateChange?.(state);
    const ready = this.waiters.filter((w) => w.ready(state));
    this.waiters = this.waiters.filter((w) => !w.ready(state));
    for (const w of ready) w.resolve();
  }
}
