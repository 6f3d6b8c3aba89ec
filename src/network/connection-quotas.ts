import { assert, QuotaRate, type SampledStatConfig } from "../base/index.js";

/**
 * Who may connect (Kafka's ConnectionQuotas, for the limits Brook applies): `max.connections`
 * across the listeners, `max.connections.per.ip` with its per-address overrides, and the per-IP
 * `connection_creation_rate` quotas of the cluster's client quotas (entity type `ip`, a null
 * name being the default for every address). Pure bookkeeping over an injected time: the socket
 * server asks `admit()` for each accepted socket and `release()`s it when it closes.
 *
 * Differences from Kafka: past `max.connections` a new connection is refused (closed), where
 * Kafka's acceptor stops accepting until one closes; Kafka's per-listener limits and
 * `max.connection.creation.rate` are not implemented.
 *
 * Invariant: `counts` holds, per address, the connections admitted and not released (no zeros),
 * and `total` is their sum.
 */
export const ConnectionRefusalReason = {
  maxConnections: "max.connections",
  maxConnectionsPerIp: "max.connections.per.ip",
  connectionCreationRate: "connection_creation_rate",
} as const;
export type ConnectionRefusalReason = (typeof ConnectionRefusalReason)[keyof typeof ConnectionRefusalReason];

export interface ConnectionQuotasConfig {
  /** max.connections, all listeners together. */
  connectionsMax: number;
  /** max.connections.per.ip. */
  connectionsPerIpMax: number;
  /** max.connections.per.ip.overrides, by address (host names resolved). */
  connectionsPerIpOverrides: ReadonlyMap<string, number>;
  /** The client quota windows (quota.window.num, quota.window.size.seconds). */
  quotaWindow: SampledStatConfig;
}

export type Admission =
  | { kind: "accepted" }
  /** Closed at once. */
  | { kind: "refused"; reason: ConnectionRefusalReason; message: string }
  /** Over its address's connection rate: closed after `delayMs` (Kafka delays the close so the client backs off). */
  | { kind: "throttled"; reason: ConnectionRefusalReason; delayMs: number; message: string };

/** Kafka's QuotaConfig.IP_CONNECTION_RATE_DEFAULT: no rate quota. */
const IP_CONNECTION_RATE_UNLIMITED = 2 ** 31 - 1;
/** Rate sensors kept for addresses: idle ones are dropped first, then the oldest. */
export const IP_RATE_SENSORS_MAX = 100_000;

export class ConnectionQuotas {
  private config: ConnectionQuotasConfig;
  private readonly counts = new Map<string, number>();
  private total = 0;
  private defaultRate = IP_CONNECTION_RATE_UNLIMITED;
  private readonly ratePerIp = new Map<string, number>();
  private readonly rateSensors = new Map<string, QuotaRate>();
  /** Refusals since start, by reason (metrics). */
  readonly refusedTotals = new Map<ConnectionRefusalReason, number>();

  constructor(config: ConnectionQuotasConfig) {
    this.config = config;
  }

  get connectionCount(): number {
    return this.total;
  }

  /** Connections open from `ip` now. */
  countOf(ip: string): number {
    return this.counts.get(normalizeAddress(ip)) ?? 0;
  }

  /** The per-address limit of `ip`: its override, else max.connections.per.ip. */
  connectionsMaxOf(ip: string): number {
    return this.config.connectionsPerIpOverrides.get(normalizeAddress(ip)) ?? this.config.connectionsPerIpMax;
  }

  /** The connection rate quota of `ip` (Kafka's connectionRateForIp); 2^31-1 is none. */
  connectionRateOf(ip: string): number {
    return this.ratePerIp.get(normalizeAddress(ip)) ?? this.defaultRate;
  }

  /** Replaces the per-address limits (the overrides' host names are resolved by the caller). */
  updateLimits(limits: Partial<Omit<ConnectionQuotasConfig, "quotaWindow">>): void {
    this.config = { ...this.config, ...limits };
  }

  /**
   * Sets (`rate` a number) or removes (`rate` null) the connection_creation_rate quota of an
   * address, or of every address without one of its own (`ip` null).
   */
  updateIpConnectionRate(ip: string | null, rate: number | null): void {
    if (ip === null) {
      this.defaultRate = rate ?? IP_CONNECTION_RATE_UNLIMITED;
      return;
    }
    const address = normalizeAddress(ip);
    if (rate === null) this.ratePerIp.delete(address);
    else this.ratePerIp.set(address, rate);
  }

  /**
   * Decides on a new connection from `ip`, in Kafka's order: the broker-wide limit, the address's
   * connection rate, its connection count. An accepted connection is counted until `release()`.
   */
  admit(ip: string, nowMs: number): Admission {
    const address = normalizeAddress(ip);
    if (this.total >= this.config.connectionsMax) {
      return this.refuse(
        ConnectionRefusalReason.maxConnections,
        `the broker already has the configured maximum of ${this.config.connectionsMax} connections (max.connections)`,
      );
    }
    const delayMs = this.recordConnectionRate(address, nowMs);
    if (delayMs > 0) {
      this.count(ConnectionRefusalReason.connectionCreationRate);
      return {
        kind: "throttled",
        reason: ConnectionRefusalReason.connectionCreationRate,
        delayMs,
        message: `address is over its connection_creation_rate of ${this.connectionRateOf(address)}/s; closing it in ${delayMs} ms`,
      };
    }
    const count = this.counts.get(address) ?? 0;
    const max = this.connectionsMaxOf(address);
    if (count >= max) {
      return this.refuse(
        ConnectionRefusalReason.maxConnectionsPerIp,
        `address already has the configured maximum of ${max} connections (max.connections.per.ip)`,
      );
    }
    this.counts.set(address, count + 1);
    this.total++;
    return { kind: "accepted" };
  }

  /** A connection `admit()` accepted has closed. */
  release(ip: string): void {
    const address = normalizeAddress(ip);
    const count = this.counts.get(address) ?? 0;
    assert(count > 0 && this.total > 0, () => `releasing a connection from ${address} that was not counted`);
    if (count === 1) this.counts.delete(address);
    else this.counts.set(address, count - 1);
    this.total--;
  }

  /** Records the connection in its address's rate; the delay before closing it when over, else 0. */
  private recordConnectionRate(address: string, nowMs: number): number {
    const quota = this.connectionRateOf(address);
    if (quota === IP_CONNECTION_RATE_UNLIMITED) return 0;
    let sensor = this.rateSensors.get(address);
    if (sensor === undefined) {
      this.dropIdleSensors(nowMs);
      sensor = new QuotaRate(this.config.quotaWindow);
      this.rateSensors.set(address, sensor);
    }
    const window = this.config.quotaWindow;
    const delayMs = sensor.recordAndThrottleMs(1, quota, nowMs, window.windowMs);
    // The connection is not accepted: it does not count against the address's rate.
    if (delayMs > 0) sensor.stat.record(-1, nowMs);
    return delayMs;
  }

  /** Sensors idle for the whole quota span measure as fresh ones would: they can go. */
  private dropIdleSensors(nowMs: number): void {
    if (this.rateSensors.size < IP_RATE_SENSORS_MAX) return;
    const spanMs = this.config.quotaWindow.samples * this.config.quotaWindow.windowMs;
    for (const [address, sensor] of this.rateSensors) {
      if (nowMs - sensor.stat.lastRecordMs() >= spanMs) this.rateSensors.delete(address);
    }
    while (this.rateSensors.size >= IP_RATE_SENSORS_MAX) {
      const oldest = this.rateSensors.keys().next().value as string;
      this.rateSensors.delete(oldest);
    }
  }

  private refuse(reason: ConnectionRefusalReason, message: string): Admission {
    this.count(reason);
    return { kind: "refused", reason, message };
  }

  private count(reason: ConnectionRefusalReason): void {
    this.refusedTotals.set(reason, (this.refusedTotals.get(reason) ?? 0) + 1);
  }
}

/** IPv4 clients of a dual-stack listener show as `::ffff:a.b.c.d`: one address either way. */
export function normalizeAddress(ip: string): string {
  return ip.startsWith("::ffff:") && ip.includes(".") ? ip.slice("::ffff:".length) : ip;
}
