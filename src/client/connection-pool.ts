import { assert } from "../base/index.js";
import { ClientError, ClientErrorCode } from "./client-error.js";
import type { ClientSasl } from "./client-sasl.js";
import type { ClientTls } from "./client-tls.js";
import { KafkaConnection, type RequestOptions } from "./kafka-connection.js";

export interface BrokerEndpoint {
  readonly host: string;
  readonly port: number;
  /** TLS for this endpoint (its listener is SSL); default the pool's `ssl`. */
  readonly ssl?: ClientTls;
  /** SASL for this endpoint (its listener is SASL_*); default the pool's `sasl`. */
  readonly sasl?: ClientSasl;
}

export interface BrokerConnectionsOptions {
  clientId: string;
  /** TLS for every connection whose endpoint names none (Kafka's security.protocol=SSL); default plaintext. */
  ssl?: ClientTls;
  /** SASL for every connection whose endpoint names none (security.protocol=SASL_*); default none. */
  sasl?: ClientSasl;
  connectTimeoutMs?: number;
  requestTimeoutMs?: number;
  responseBytesMax?: number;
  /** The wait before reconnecting after one failed attempt; doubled per failure up to the max. */
  reconnectBackoffMs?: number;
  reconnectBackoffMaxMs?: number;
  clientSoftwareVersion?: string;
  /** Purposes whose callers finish with each response before the next (KafkaConnection's reuseResponseBuffer). */
  reuseResponseBufferFor?: readonly string[];
}

export interface PoolRequestOptions extends RequestOptions {
  /** Connections are per purpose, so that a long poll does not hold up other requests behind it. */
  purpose?: string;
}

export const CONNECT_TIMEOUT_MS_DEFAULT = 10_000;
export const RECONNECT_BACKOFF_MS_DEFAULT = 50;
export const RECONNECT_BACKOFF_MS_MAX_DEFAULT = 1000;
/** Backoffs vary by ±20 % so that many clients of a restarted broker do not come back in step. */
const BACKOFF_JITTER = 0.2;

interface Entry {
  connection: KafkaConnection | null;
  connecting: Promise<KafkaConnection> | null;
  /** Failed connection attempts since the last success. */
  failures: number;
  retryAtMs: number;
}

/**
 * Connections to brokers, one per (host, port, purpose), opened on first use and reopened on
 * demand after they close. After a failed attempt the next one waits a backoff that doubles per
 * failure (reconnect.backoff.ms and reconnect.backoff.max.ms in Kafka's clients); concurrent
 * callers share one attempt.
 */
export class BrokerConnections {
  private readonly options: BrokerConnectionsOptions;
  private readonly entries = new Map<string, Entry>();
  private closed = false;

  constructor(options: BrokerConnectionsOptions) {
    this.options = options;
  }

  /** The open connection to the endpoint for this purpose, connecting (after any backoff) if needed. */
  connection(endpoint: BrokerEndpoint, purpose = "default"): Promise<KafkaConnection> {
    if (this.closed) return Promise.reject(poolClosed());
    const ssl = endpoint.ssl ?? this.options.ssl;
    const sasl = endpoint.sasl ?? this.options.sasl;
    const key = `${ssl === undefined ? "" : "tls:"}${sasl === undefined ? "" : "sasl:"}${endpoint.host}:${endpoint.port}/${purpose}`;
    let entry = this.entries.get(key);
    if (entry === undefined) {
      entry = { connection: null, connecting: null, failures: 0, retryAtMs: 0 };
      this.entries.set(key, entry);
    }
    if (entry.connection !== null && !entry.connection.isClosed) return Promise.resolve(entry.connection);
    entry.connecting ??= this.connect(endpoint, ssl, sasl, entry, purpose);
    return entry.connecting;
  }

  request<Res>(
    endpoint: BrokerEndpoint,
    apiKey: number,
    apiVersion: number,
    body: object,
    options: PoolRequestOptions = {},
  ): Promise<Res> {
    const { purpose, ...requestOptions } = options;
    return this.connection(endpoint, purpose).then((connection) =>
      connection.request<Res>(apiKey, apiVersion, body, requestOptions),
    );
  }

  /** Closes every connection; pending and later requests fail with BRK_ERR_CLIENT_DISCONNECTED. */
  close(): void {
    this.closed = true;
    for (const entry of this.entries.values()) entry.connection?.close();
    this.entries.clear();
  }

  private async connect(
    endpoint: BrokerEndpoint,
    ssl: ClientTls | undefined,
    sasl: ClientSasl | undefined,
    entry: Entry,
    purpose: string,
  ): Promise<KafkaConnection> {
    try {
      const waitMs = entry.retryAtMs - performance.now();
      if (waitMs > 0) await sleep(waitMs);
      if (this.closed) throw poolClosed();
      const connection = await KafkaConnection.connect({
        host: endpoint.host,
        port: endpoint.port,
        clientId: this.options.clientId,
        ...optional("ssl", ssl),
        ...optional("sasl", sasl),
        connectTimeoutMs: this.options.connectTimeoutMs ?? CONNECT_TIMEOUT_MS_DEFAULT,
        ...optional("requestTimeoutMs", this.options.requestTimeoutMs),
        ...optional("responseBytesMax", this.options.responseBytesMax),
        ...optional("clientSoftwareVersion", this.options.clientSoftwareVersion),
        reuseResponseBuffer: this.options.reuseResponseBufferFor?.includes(purpose) === true,
      });
      if (this.closed) {
        connection.close();
        throw poolClosed();
      }
      entry.failures = 0;
      entry.connection = connection;
      connection.onClose(() => {
        if (entry.connection === connection) entry.connection = null;
      });
      return connection;
    } catch (error) {
      entry.failures++;
      entry.retryAtMs = performance.now() + this.backoffMs(entry.failures);
      throw error;
    } finally {
      entry.connecting = null;
    }
  }

  private backoffMs(failures: number): number {
    assert(failures >= 1, "a backoff follows a failure");
    const base = this.options.reconnectBackoffMs ?? RECONNECT_BACKOFF_MS_DEFAULT;
    const max = this.options.reconnectBackoffMaxMs ?? RECONNECT_BACKOFF_MS_MAX_DEFAULT;
    const backoff = Math.min(max, base * 2 ** Math.min(failures - 1, 30));
    return backoff * (1 - BACKOFF_JITTER + 2 * BACKOFF_JITTER * Math.random());
  }
}

function poolClosed(): ClientError {
  return new ClientError(ClientErrorCode.disconnected, "the connection pool is closed");
}

/** `exactOptionalPropertyTypes` forbids passing `undefined` for an absent option. */
function optional<K extends string, V>(key: K, value: V | undefined): { [P in K]?: V } {
  return (value === undefined ? {} : { [key]: value }) as { [P in K]?: V };
}

// Not unref'd: a command-line tool waiting only for a reconnection would otherwise exit with the
// request unanswered. The wait is bounded by reconnectBackoffMaxMs.
function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
