import type { Clock, SampledStatConfig } from "../base/index.js";
import {
  ClientQuotaEntityType,
  type ClientQuotaEntry,
  type ClientQuotas as ImageQuotas,
} from "../metadata/index.js";
import { ANONYMOUS_PRINCIPAL } from "../network/index.js";
import { ApiKey } from "../protocol/index.js";
import type { RequestContext } from "./api-handler.js";
import type { EntityPart } from "./client-quota-callback.js";
import { ClientQuotaManager, QuotaType } from "./client-quota-manager.js";

/**
 * The client quotas this broker enforces (Kafka's QuotaManagers): producer_byte_rate on the bytes
 * of Produce requests, consumer_byte_rate on the bytes of Fetch responses, request_percentage on
 * the time handlers take, each per user and client id with Kafka's precedence. The quotas come
 * from the cluster's metadata (ClientQuota records) and are applied by every broker; the IP
 * entities' connection_creation_rate goes to the socket server.
 *
 * The user is the connection's principal: a TLS client certificate's subject (mutual TLS), else
 * ANONYMOUS (SASL will be the other way to name it). Requests between Brook's own nodes
 * (forwarded requests, replica fetchers, brokers' requests to the controller) are never
 * throttled, as Kafka exempts forwarded requests, cluster actions and follower fetches.
 * controller_mutation_rate is stored and described but not enforced.
 */
export const ANONYMOUS_USER = ANONYMOUS_PRINCIPAL;

/** Client ids of Brook's inter-broker clients: their requests are exempt from client quotas. */
const EXEMPT_CLIENT_ID_PREFIXES = ["brook-broker-", "brook-replica-fetcher-"];

/** Quota key -> the kind of quota it sets. */
const QUOTA_KEY_TYPES: ReadonlyMap<string, QuotaType> = new Map([
  ["producer_byte_rate", QuotaType.produce],
  ["consumer_byte_rate", QuotaType.fetch],
  ["request_percentage", QuotaType.request],
]);
const CONNECTION_CREATION_RATE = "connection_creation_rate";

export class ClientQuotas {
  readonly produce: ClientQuotaManager;
  readonly fetch: ClientQuotaManager;
  readonly request: ClientQuotaManager;
  private readonly clock: Clock;
  private readonly onIpQuota: (ip: string | null, rate: number | null) => void;
  private readonly fromBroker: ((context: RequestContext) => boolean) | null;
  /** The image's quotas last applied. */
  private applied: ImageQuotas = new Map();

  constructor(options: {
    window: SampledStatConfig;
    clock: Clock;
    /** A connection_creation_rate quota of an address (null: the default) was set or removed (null). */
    onIpQuota?: (ip: string | null, rate: number | null) => void;
    /**
     * With an authorizer: whether the request's connection is a broker's (CLUSTER_ACTION on the
     * cluster). Only then does an inter-broker client id exempt it; without an authorizer, as in
     * Kafka, nothing tells a broker from a client that names itself one.
     */
    fromBroker?: (context: RequestContext) => boolean;
  }) {
    this.produce = new ClientQuotaManager(QuotaType.produce, options.window);
    this.fetch = new ClientQuotaManager(QuotaType.fetch, options.window);
    // Kafka caps request-quota throttles at one window (ClientRequestQuotaManager.maxThrottleTimeMs).
    this.request = new ClientQuotaManager(QuotaType.request, options.window, {
      throttleMsMax: options.window.windowMs,
    });
    this.clock = options.clock;
    this.onIpQuota = options.onIpQuota ?? (() => {});
    this.fromBroker = options.fromBroker ?? null;
  }

  get managers(): readonly ClientQuotaManager[] {
    return [this.produce, this.fetch, this.request];
  }

  /** Applies the quotas of a new metadata image: what changed since the last one applied. */
  apply(quotas: ImageQuotas): void {
    if (quotas === this.applied) return;
    const keys = new Set([...this.applied.keys(), ...quotas.keys()]);
    for (const key of keys) {
      const before = this.applied.get(key);
      const after = quotas.get(key);
      if (before !== after) this.applyEntity(before, after);
    }
    this.applied = quotas;
  }

  private applyEntity(before: ClientQuotaEntry | undefined, after: ClientQuotaEntry | undefined): void {
    const entity = (after ?? before)?.entity;
    if (entity === undefined) return;
    const quotaKeys = new Set([...(before?.values.keys() ?? []), ...(after?.values.keys() ?? [])]);
    for (const quotaKey of quotaKeys) {
      const value = after?.values.get(quotaKey) ?? null;
      if (value === (before?.values.get(quotaKey) ?? null)) continue;
      if (entity.has(ClientQuotaEntityType.ip)) {
        if (quotaKey === CONNECTION_CREATION_RATE)
          this.onIpQuota(
            entity.get(ClientQuotaEntityType.ip) ?? null,
            value === null ? null : Math.floor(value),
          );
        continue;
      }
      const type = QUOTA_KEY_TYPES.get(quotaKey);
      if (type === undefined) continue;
      const part = (t: string): EntityPart => (entity.has(t) ? (entity.get(t) ?? null) : undefined);
      this.manager(type).updateQuota(
        part(ClientQuotaEntityType.user),
        part(ClientQuotaEntityType.clientId),
        value,
      );
    }
  }

  manager(type: QuotaType): ClientQuotaManager {
    return type === QuotaType.produce ? this.produce : type === QuotaType.fetch ? this.fetch : this.request;
  }

  /**
   * Whether client quotas leave this request alone: Brook's own inter-broker clients, proven by
   * CLUSTER_ACTION when there is an authorizer (a client cannot escape its quota by its client id).
   */
  exempt(context: RequestContext): boolean {
    const clientId = context.clientId ?? "";
    if (!EXEMPT_CLIENT_ID_PREFIXES.some((prefix) => clientId.startsWith(prefix))) return false;
    return this.fromBroker === null || this.fromBroker(context);
  }

  /** Produce: the request's bytes against producer_byte_rate; the throttle time is kept in the context. */
  recordProduce(context: RequestContext): void {
    if (!this.produce.quotasEnabled || this.exempt(context)) return;
    context.quota.bandwidthThrottleMs = this.produce.recordAndGetThrottleTimeMs(
      context.connection.principal,
      context.clientId ?? "",
      context.requestBytes,
      this.clock.monotonicMs(),
    );
  }

  /** The most a consumer's fetch may return without being throttled for sure (Infinity: no limit). */
  fetchBytesMax(context: RequestContext): number {
    if (!this.fetch.quotasEnabled || this.exempt(context)) return Number.POSITIVE_INFINITY;
    return this.fetch.maxValueInQuotaWindow(context.connection.principal, context.clientId ?? "");
  }

  /**
   * Fetch: the response's bytes against consumer_byte_rate. Returns whether the fetch is to be
   * throttled (by its bandwidth, or by the request quota it already exceeds): then it answers
   * with no records, and its bytes are taken back (Kafka's unrecordQuotaSensor).
   */
  recordFetch(context: RequestContext, responseBytes: number): boolean {
    if ((!this.fetch.quotasEnabled && !this.request.quotasEnabled) || this.exempt(context)) return false;
    const nowMs = this.clock.monotonicMs();
    const user = context.connection.principal;
    const clientId = context.clientId ?? "";
    const bandwidthMs = this.fetch.recordAndGetThrottleTimeMs(user, clientId, responseBytes, nowMs);
    const requestMs = this.request.throttleTimeNowMs(user, clientId, nowMs);
    if (bandwidthMs <= 0 && requestMs <= 0) return false;
    context.quota.bandwidthThrottleMs = bandwidthMs;
    this.fetch.unrecord(user, clientId, responseBytes, nowMs);
    return true;
  }

  /**
   * Once a request is handled: records the time its handler took against request_percentage
   * and returns the throttle time to answer with and mute the connection for, the longer of the
   * request quota's and the bandwidth quota's (Kafka counts it under the quota that set it).
   */
  throttleTimeMs(context: RequestContext, handlerMs: number): number {
    // The common case, checked first: no request quota was ever set and no bandwidth throttle.
    if (!this.request.quotasEnabled && context.quota.bandwidthThrottleMs <= 0) return 0;
    if (this.exempt(context)) return 0;
    const user = context.connection.principal;
    const clientId = context.clientId ?? "";
    const nowMs = this.clock.monotonicMs();
    const requestMs = context.quota.requestQuotaExempt
      ? 0
      : // Kafka's request-time unit: percent of one thread per second (nanos * 100 / 1e9).
        this.request.recordAndGetThrottleTimeMs(user, clientId, handlerMs / 10, nowMs);
    const bandwidthMs = context.quota.bandwidthThrottleMs;
    if (bandwidthMs <= 0 && requestMs <= 0) return 0;
    if (bandwidthMs > requestMs) {
      const bandwidth = context.apiKey === ApiKey.Produce ? this.produce : this.fetch;
      bandwidth.throttled(user, clientId, bandwidthMs, nowMs);
      return bandwidthMs;
    }
    this.request.throttled(user, clientId, requestMs, nowMs);
    return requestMs;
  }
}
