import { QuotaRate, SampledStat, type SampledStatConfig } from "../base/index.js";
import { ClientQuotaCallback, type EntityPart, type QuotaMetricTags } from "./client-quota-callback.js";

/**
 * The quota of one kind for every client (Kafka's ClientQuotaManager): the rate each client
 * (under its metric tags, see ClientQuotaCallback) consumes, measured over `quota.window.num`
 * windows of `quota.window.size.seconds`, and the throttle time when it exceeds its quota.
 * Rates are kept only once some quota of this kind was set (Kafka's quotasEnabled); a client
 * idle for an hour is forgotten.
 *
 * The caller mutes the client's connection for the throttle time (KIP-219); `throttled()` counts
 * it here for the metrics.
 */
export const QuotaType = { produce: "Produce", fetch: "Fetch", request: "Request" } as const;
export type QuotaType = (typeof QuotaType)[keyof typeof QuotaType];

/** Kafka's InactiveSensorExpirationTimeSeconds. */
const SENSOR_INACTIVE_EXPIRY_MS = 3_600_000;
/** How often inactive sensors are looked for. */
const SENSOR_SWEEP_INTERVAL_MS = 60_000;
/** Clients tracked at once; past it the longest-tracked are forgotten (a client id per request would grow it). */
export const QUOTA_SENSORS_MAX = 100_000;
/** The throttle-time average (Kafka's Avg under the default MetricConfig: 2 samples of 30 s). */
const THROTTLE_TIME_STAT: SampledStatConfig = { samples: 2, windowMs: 30_000 };

export interface ClientSensors {
  readonly tags: QuotaMetricTags;
  readonly rate: QuotaRate;
  readonly throttleTime: SampledStat;
  lastUsedMs: number;
}

export class ClientQuotaManager {
  readonly type: QuotaType;
  readonly callback = new ClientQuotaCallback();
  private readonly window: SampledStatConfig;
  /** Throttle times are capped here (the request quota: one window, as Kafka's). */
  private readonly throttleMsMax: number | undefined;
  private readonly sensors = new Map<string, ClientSensors>();
  private lastSweepMs = Number.NEGATIVE_INFINITY;
  /** Throttled responses and their throttle time since start (metrics). */
  throttledTotal = 0;
  throttleMsTotal = 0;

  constructor(type: QuotaType, window: SampledStatConfig, options: { throttleMsMax?: number } = {}) {
    this.type = type;
    this.window = window;
    this.throttleMsMax = options.throttleMsMax;
  }

  get quotasEnabled(): boolean {
    return this.callback.quotasEnabled;
  }

  /** Sets (a number) or removes (null) an entity's quota of this kind. */
  updateQuota(user: EntityPart, clientId: EntityPart, value: number | null): void {
    this.callback.update(user, clientId, value);
  }

  /** The quota of a client, or null (Kafka's quota(user, clientId), for tests and tools). */
  quota(user: string, clientId: string): number | null {
    return this.callback.quotaFor(user, clientId);
  }

  /**
   * Records that the client used `value` (bytes, or request-time percentage) and returns how long
   * to throttle it, 0 when it is within its quota or no quota of this kind exists.
   */
  recordAndGetThrottleTimeMs(user: string, clientId: string, value: number, nowMs: number): number {
    if (!this.quotasEnabled) return 0;
    const sensors = this.sensorsFor(user, clientId, nowMs);
    const bound = this.callback.quotaLimit(sensors.tags);
    sensors.rate.stat.record(value, nowMs);
    if (bound === null) return 0;
    return sensors.rate.throttleMs(bound, nowMs, this.throttleMsMax);
  }

  /** The throttle time the client's rate calls for now, recording nothing (0 without a quota). */
  throttleTimeNowMs(user: string, clientId: string, nowMs: number): number {
    if (!this.quotasEnabled) return 0;
    const sensors = this.sensorsFor(user, clientId, nowMs);
    const bound = this.callback.quotaLimit(sensors.tags);
    return bound === null ? 0 : sensors.rate.throttleMs(bound, nowMs, this.throttleMsMax);
  }

  /** Takes back a recorded value (a throttled fetch sends no records, Kafka's unrecordQuotaSensor). */
  unrecord(user: string, clientId: string, value: number, nowMs: number): void {
    if (!this.quotasEnabled) return;
    this.sensorsFor(user, clientId, nowMs).rate.stat.record(-value, nowMs);
  }

  /**
   * The most a client can use at once without being throttled for sure, had it used nothing in
   * the window: quota * (samples - 1) windows (Kafka's getMaxValueInQuotaWindow; caps fetch sizes).
   */
  maxValueInQuotaWindow(user: string, clientId: string): number {
    if (!this.quotasEnabled) return Number.POSITIVE_INFINITY;
    const bound = this.callback.quotaFor(user, clientId);
    if (bound === null) return Number.POSITIVE_INFINITY;
    return bound * (this.window.samples - 1) * (this.window.windowMs / 1000);
  }

  /** The client was throttled for `throttleMs` by this quota (Kafka's throttle(): its throttle-time sensor). */
  throttled(user: string, clientId: string, throttleMs: number, nowMs: number): void {
    if (throttleMs <= 0) return;
    this.throttledTotal++;
    this.throttleMsTotal += throttleMs;
    this.sensorsFor(user, clientId, nowMs).throttleTime.record(throttleMs, nowMs);
  }

  /** The clients tracked now: tags, rate, quota and average throttle time (metrics). */
  *clients(nowMs: number): Generator<{
    tags: QuotaMetricTags;
    rate: number;
    quota: number | null;
    throttleTimeMs: number;
  }> {
    for (const s of this.sensors.values()) {
      const average = s.throttleTime.average(nowMs);
      yield {
        tags: s.tags,
        rate: s.rate.measure(nowMs),
        quota: this.callback.quotaLimit(s.tags),
        throttleTimeMs: Number.isNaN(average) ? 0 : average,
      };
    }
  }

  get clientCount(): number {
    return this.sensors.size;
  }

  private sensorsFor(user: string, clientId: string, nowMs: number): ClientSensors {
    const tags = this.callback.metricTags(user, clientId);
    const key = `${tags.user}\u0000${tags.clientId}`;
    let sensors = this.sensors.get(key);
    if (sensors === undefined) {
      this.sweep(nowMs);
      sensors = {
        tags,
        rate: new QuotaRate(this.window),
        throttleTime: new SampledStat(THROTTLE_TIME_STAT),
        lastUsedMs: nowMs,
      };
      this.sensors.set(key, sensors);
    }
    sensors.lastUsedMs = nowMs;
    return sensors;
  }

  /** Forgets clients inactive for an hour; past QUOTA_SENSORS_MAX, the longest-tracked. */
  private sweep(nowMs: number): void {
    if (nowMs - this.lastSweepMs >= SENSOR_SWEEP_INTERVAL_MS) {
      this.lastSweepMs = nowMs;
      for (const [key, s] of this.sensors)
        if (nowMs - s.lastUsedMs >= SENSOR_INACTIVE_EXPIRY_MS) this.sensors.delete(key);
    }
    while (this.sensors.size >= QUOTA_SENSORS_MAX) {
      const oldest = this.sensors.keys().next().value as string;
      this.sensors.delete(oldest);
    }
  }
}
