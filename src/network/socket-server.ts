import { createServer, type Server, type Socket } from "node:net";
import type { TLSSocket } from "node:tls";
import { Connection, type ConnectionLimits, type RequestHandler } from "./connection.js";
import { ConnectionQuotas, normalizeAddress } from "./connection-quotas.js";
import { FrameBufferPool } from "./frame-buffer-pool.js";
import { RequestQueue } from "./request-queue.js";
import { type ListenerSasl, SaslAuthenticator } from "./sasl/sasl-authenticator.js";
import { type ListenerTls, TlsAcceptor, type TlsFailureReason } from "./tls-acceptor.js";

export interface ListenerSpec {
  /** Kafka's listener name (PLAINTEXT, CONTROLLER, ...). */
  name: string;
  host: string;
  /** 0 picks a free port; `boundPort` tells which. */
  port: number;
  /** Present on an SSL or SASL_SSL listener: its connections are TLS. */
  tls?: ListenerTls;
  /** Present on a SASL_PLAINTEXT or SASL_SSL listener: its clients authenticate before anything else. */
  sasl?: ListenerSasl;
}

export interface BoundListener extends ListenerSpec {
  boundPort: number;
}

/** Totals since start, all listeners together (the console's network metrics). */
export interface NetworkStats {
  /** Connections open now (TLS ones in their handshake included). */
  connectionCount: number;
  /** TLS connections whose handshake is under way. */
  connectionsHandshaking: number;
  /** Open connections whose reading is paused now (flow control: their client does not keep up). */
  connectionsReadPaused: number;
  /** Bytes the open connections hold now: requests in flight and responses not yet sent. */
  connectionBufferedBytes: number;
  connectionsAcceptedTotal: number;
  /** Connections refused or closed by a limit, all reasons together. */
  connectionsRefusedTotal: number;
  /** The same by reason: max.connections, max.connections.per.ip, connection_creation_rate. */
  connectionsRefusedByReason: Readonly<Record<string, number>>;
  /** Connections closed because they were idle for connections.max.idle.ms. */
  connectionsIdleClosedTotal: number;
  /** Requests in the broker's queue now (read, not answered, not parked). */
  requestsQueued: number;
  /** Times the queue reached queued.max.requests and the broker stopped reading. */
  requestQueueFullTotal: number;
  /** Socket bytes read from and written to clients, frames and size prefixes included. */
  bytesInTotal: number;
  bytesOutTotal: number;
  requestsTotal: number;
  /** TLS handshakes completed (the client accepted), and those that failed by reason (TlsFailureReason). */
  tlsHandshakesTotal: number;
  tlsHandshakeFailuresByReason: Readonly<Record<string, number>>;
  /** SASL authentications that succeeded, and those refused, by mechanism ("none" before one was chosen). */
  saslAuthenticationsTotal: number;
  saslAuthenticationFailuresByMechanism: Readonly<Record<string, number>>;
  /** Request frames assembled in a pooled buffer: a reused one, or a new one the pool then keeps. */
  frameBuffersReusedTotal: number;
  frameBuffersAllocatedTotal: number;
}

export interface SocketServerOptions {
  listeners: readonly ListenerSpec[];
  handler: RequestHandler;
  limits: ConnectionLimits;
  /** connections.max.idle.ms: connections with nothing in flight for this long are closed; negative: never. */
  idleMsMax: number;
  /** Who may connect: max.connections, max.connections.per.ip (and overrides), per-IP connection rates; default no limit. */
  connectionQuotas?: ConnectionQuotas;
  /** queued.max.requests: requests queued in the broker, all connections together, before reading stops; default no limit. */
  requestsQueuedMax?: number;
  log: (level: "info" | "warn" | "error", message: string) => void;
  /** Recycled buffers for request frames, all connections together; default a FrameBufferPool(). */
  framePool?: FrameBufferPool;
  /** How long a TLS handshake may take; default TLS_HANDSHAKE_TIMEOUT_MS. */
  tlsHandshakeTimeoutMs?: number;
}

/**
 * Lines about single connections (closed for a bad frame, reaped idle; refusals have RefusalLog) logged per
 * CONNECTION_LOG_WINDOW_MS at most: CONNECTION_LOG_LINES_PER_REASON for each reason (the message
 * with its numbers left out) and CONNECTION_LOG_LINES_PER_WINDOW in all; the rest are counted and
 * the count logged with the next line. A client that opens connections only to send garbage would
 * otherwise make the broker spend its time writing log lines (stderr writes are synchronous):
 * measured, a hostile client closing a thousand connections a second cost the broker's event loop
 * a fifth of its time in log writes alone. A new reason is still logged when it first happens.
 */
export const CONNECTION_LOG_LINES_PER_WINDOW = 50;
export const CONNECTION_LOG_LINES_PER_REASON = 5;
const CONNECTION_LOG_WINDOW_MS = 10_000;

/**
 * Accepts TCP connections on Kafka listeners and hands their frames to the request handler.
 * Everything a client sends is contained here: a bad frame or a handler failure closes that one
 * connection with a log line (rate-limited) and never reaches the process.
 *
 * SSL listeners accept TCP the same way (the same connection quotas, before any handshake, as
 * Kafka's acceptor); a TlsAcceptor then does the handshake, and the TLSSocket becomes a Connection
 * like any other, reading its decrypted 'data' instead of the shared read buffer. A TLS
 * connection's admission is released when its TCP socket closes, whether or not its handshake
 * finished. A failed handshake is counted by reason and logged as refusals are: once per
 * listener and reason per interval, with the count since.
 */
export class SocketServer {
  private readonly options: SocketServerOptions;
  private readonly servers: Server[] = [];
  /**
   * Open connections and the address each was admitted for; null for TLS connections, whose TCP
   * socket holds the admission (`tlsSockets`).
   */
  private readonly connections = new Map<Connection, string | null>();
  /** The TCP sockets of TLS connections, handshaking or not, and the address each was admitted for. */
  private readonly tlsSockets = new Map<Socket, string>();
  /** TLS connections among `connections`. */
  private tlsConnectionCount = 0;
  private readonly tlsAcceptors = new Map<string, TlsAcceptor>();
  private tlsHandshakesTotal = 0;
  private readonly tlsFailures = new Map<TlsFailureReason, number>();
  private saslAuthenticationsTotal = 0;
  private readonly saslFailures = new Map<string, number>();
  /** Listeners' SASL settings by listener name. */
  private readonly saslListeners = new Map<string, ListenerSasl>();
  private stopped = false;
  private reaper: NodeJS.Timeout | null = null;
  private nextConnectionId = 0;
  // Counters of closed connections; open ones are summed when stats are read.
  private closedTotals = { bytesIn: 0, bytesOut: 0, requests: 0 };
  private idleClosedTotal = 0;
  /** Sockets over their address's connection rate, closed when their delay ends. */
  private readonly delayedCloses = new Map<Socket, NodeJS.Timeout>();
  private readonly refusalLog: RefusalLog;
  /** Failed TLS handshakes and SASL authentications: logged at info, as Kafka logs failed authentications. */
  private readonly tlsFailureLog: RefusalLog;
  /** Connection log lines in the current window, and those left out since the last one logged. */
  private connectionLog = { windowStartMs: 0, lines: 0, suppressed: 0, byReason: new Map<string, number>() };
  readonly bound: BoundListener[] = [];
  /** Request frames assembled from several socket reads, for the APIs whose handler allows it. */
  readonly framePool: FrameBufferPool;
  readonly connectionQuotas: ConnectionQuotas;
  /** The broker's request queue (queued.max.requests), shared by the connections. */
  readonly requestQueue: RequestQueue;

  constructor(options: SocketServerOptions) {
    this.options = options;
    this.framePool = options.framePool ?? new FrameBufferPool();
    this.connectionQuotas =
      options.connectionQuotas ??
      new ConnectionQuotas({
        connectionsMax: Number.POSITIVE_INFINITY,
        connectionsPerIpMax: Number.POSITIVE_INFINITY,
        connectionsPerIpOverrides: new Map(),
        quotaWindow: { samples: 11, windowMs: 1000 },
      });
    this.refusalLog = new RefusalLog((message) => options.log("warn", message));
    this.tlsFailureLog = new RefusalLog((message) => options.log("info", message));
    const queuedMax = options.requestsQueuedMax ?? Number.POSITIVE_INFINITY;
    this.requestQueue = new RequestQueue(queuedMax, (queued) =>
      this.refusalLog.note(
        "queued.max.requests",
        `${queued} requests are queued (queued.max.requests=${queuedMax}): reading from clients pauses until they are answered`,
      ),
    );
  }

  get connectionCount(): number {
    return this.connections.size + this.handshakingCount;
  }

  private get handshakingCount(): number {
    // A TLS connection's TCP socket may report its close before the connection does.
    return Math.max(0, this.tlsSockets.size - this.tlsConnectionCount);
  }

  stats(): NetworkStats {
    let bytesIn = this.closedTotals.bytesIn;
    let bytesOut = this.closedTotals.bytesOut;
    let requests = this.closedTotals.requests;
    let paused = 0;
    let buffered = 0;
    for (const c of this.connections.keys()) {
      bytesIn += c.bytesIn;
      bytesOut += c.bytesOut;
      requests += c.requestCount;
      if (c.isReadPaused) paused++;
      buffered += c.bufferedBytes;
    }
    return {
      connectionCount: this.connectionCount,
      connectionsHandshaking: this.handshakingCount,
      connectionsReadPaused: paused,
      connectionBufferedBytes: buffered,
      connectionsAcceptedTotal: this.nextConnectionId,
      connectionsRefusedTotal: [...this.connectionQuotas.refusedTotals.values()].reduce((a, b) => a + b, 0),
      connectionsRefusedByReason: Object.fromEntries(this.connectionQuotas.refusedTotals),
      connectionsIdleClosedTotal: this.idleClosedTotal,
      requestsQueued: this.requestQueue.queued,
      requestQueueFullTotal: this.requestQueue.fullTotal,
      bytesInTotal: bytesIn,
      bytesOutTotal: bytesOut,
      requestsTotal: requests,
      tlsHandshakesTotal: this.tlsHandshakesTotal,
      tlsHandshakeFailuresByReason: Object.fromEntries(this.tlsFailures),
      saslAuthenticationsTotal: this.saslAuthenticationsTotal,
      saslAuthenticationFailuresByMechanism: Object.fromEntries(this.saslFailures),
      frameBuffersReusedTotal: this.framePool.reusedCount,
      frameBuffersAllocatedTotal: this.framePool.allocatedCount,
    };
  }

  async start(): Promise<BoundListener[]> {
    this.stopped = false;
    for (const spec of this.options.listeners) {
      if (spec.tls !== undefined) this.tlsAcceptors.set(spec.name, this.tlsAcceptor(spec.name, spec.tls));
      if (spec.sasl !== undefined) this.saslListeners.set(spec.name, spec.sasl);
      const server = createServer({ noDelay: true }, (socket) => this.accept(socket, spec.name));
      server.on("error", (error) => this.options.log("error", `listener ${spec.name}: ${error.message}`));
      await new Promise<void>((resolve, reject) => {
        server.once("error", reject);
        server.listen({ host: spec.host === "" ? undefined : spec.host, port: spec.port }, () => {
          server.off("error", reject);
          resolve();
        });
      });
      const address = server.address();
      const boundPort = typeof address === "object" && address !== null ? address.port : spec.port;
      this.servers.push(server);
      this.bound.push({ ...spec, boundPort });
    }
    // As Kafka's Selector: a negative connections.max.idle.ms keeps idle connections open.
    if (this.options.idleMsMax >= 0) {
      const sweepMs = Math.max(10, Math.min(this.options.idleMsMax / 4, 30_000));
      this.reaper = setInterval(() => this.reapIdle(), sweepMs);
      this.reaper.unref();
    }
    return this.bound;
  }

  private accept(socket: Socket, listenerName: string): void {
    const address = normalizeAddress(socket.remoteAddress ?? "");
    const admission = this.connectionQuotas.admit(address, performance.now());
    if (admission.kind !== "accepted") {
      this.refusalLog.note(
        `${admission.reason} ${address}`,
        `refusing connection from ${address} on ${listenerName}: ${admission.message}`,
      );
      socket.on("error", () => {});
      if (admission.kind === "refused") {
        socket.destroy();
        return;
      }
      // Kafka closes a connection over its address's rate only after the throttle time, so that
      // the client does not reconnect at once; nothing is read from it meanwhile.
      socket.pause();
      const timer = setTimeout(() => {
        this.delayedCloses.delete(socket);
        socket.destroy();
      }, admission.delayMs);
      timer.unref();
      this.delayedCloses.set(socket, timer);
      return;
    }
    const tls = this.tlsAcceptors.get(listenerName);
    if (tls !== undefined) {
      this.nextConnectionId++;
      this.tlsSockets.set(socket, address);
      // The TLSSocket above it reports what goes wrong; an error left unheard here would crash the process.
      socket.on("error", () => {});
      socket.once("close", () => {
        if (this.tlsSockets.delete(socket)) this.connectionQuotas.release(address);
      });
      tls.accept(socket);
      return;
    }
    this.connections.set(this.connection(socket, listenerName, this.nextConnectionId++), address);
  }

  private connection(
    socket: Socket,
    listenerName: string,
    id: number,
    tls?: { principal: string | null },
  ): Connection {
    const sasl = this.saslListeners.get(listenerName);
    return new Connection({
      id: `${listenerName}-${id}`,
      socket,
      listenerName,
      handler: sasl === undefined ? this.options.handler : this.authenticator(listenerName, sasl),
      limits: this.options.limits,
      framePool: this.framePool,
      requestQueue: this.requestQueue,
      nowMs: performance.now(),
      events: {
        onClose: (c) => this.forget(c),
        onError: (c, error) =>
          this.logConnection(
            "warn",
            describe(error),
            (reason) => `closing connection ${c.id} from ${c.remoteAddress}: ${reason}`,
          ),
      },
      ...(tls === undefined ? {} : { sharedReads: false }),
      ...(tls?.principal == null ? {} : { principal: tls.principal }),
      ...(sasl?.receiveBytesMax === undefined
        ? {}
        : { unauthenticatedRequestBytesMax: sasl.receiveBytesMax }),
    });
  }

  /** A connection's authenticator, which hands it to the broker's handler once authenticated. */
  private authenticator(listenerName: string, sasl: ListenerSasl): SaslAuthenticator {
    return new SaslAuthenticator(sasl, this.options.handler, {
      onSuccess: () => {
        this.saslAuthenticationsTotal++;
      },
      onFailure: (connection, mechanism, reason) => {
        if (this.stopped) return;
        const key = mechanism ?? "none";
        this.saslFailures.set(key, (this.saslFailures.get(key) ?? 0) + 1);
        // A client with a wrong password retries forever: one line per listener and mechanism per interval.
        this.tlsFailureLog.note(
          `${listenerName} sasl ${key}`,
          `SASL authentication of ${connection.remoteAddress} on ${listenerName} failed${mechanism === null ? "" : ` (${mechanism})`}: ${reason}`,
        );
      },
    });
  }

  private tlsAcceptor(listenerName: string, tls: ListenerTls): TlsAcceptor {
    // Connection ids count accepted TCP connections; a TLS one gets its id at the handshake's end.
    let handshakes = 0;
    return new TlsAcceptor(
      tls,
      {
        onSecure: (socket, principal) => this.onTlsSecure(socket, listenerName, principal, handshakes++),
        onFailure: (reason, detail, remote) => {
          if (this.stopped) return;
          this.tlsFailures.set(reason, (this.tlsFailures.get(reason) ?? 0) + 1);
          // A misconfigured client retries forever: one line per reason every interval, with the count.
          this.tlsFailureLog.note(
            `${listenerName} ${reason}`,
            `TLS handshake with ${remote} on ${listenerName} failed: ${detail}`,
          );
        },
      },
      this.options.tlsHandshakeTimeoutMs,
    );
  }

  private onTlsSecure(socket: TLSSocket, listenerName: string, principal: string | null, n: number): void {
    if (this.stopped) {
      socket.destroy();
      return;
    }
    this.tlsHandshakesTotal++;
    this.tlsConnectionCount++;
    this.connections.set(this.connection(socket, listenerName, n, { principal }), null);
  }

  /** Logs a line about one connection, unless its reason's or the window's share is used up (then counts it). */
  private logConnection(level: "info" | "warn", reason: string, message: (reason: string) => string): void {
    const now = performance.now();
    const log = this.connectionLog;
    if (now - log.windowStartMs >= CONNECTION_LOG_WINDOW_MS) {
      log.windowStartMs = now;
      log.lines = 0;
      log.byReason.clear();
    }
    const key = reason.replace(/\d+/g, "#");
    const sameReason = log.byReason.get(key) ?? 0;
    if (log.lines >= CONNECTION_LOG_LINES_PER_WINDOW || sameReason >= CONNECTION_LOG_LINES_PER_REASON) {
      log.suppressed++;
      return;
    }
    log.lines++;
    log.byReason.set(key, sameReason + 1);
    const left = log.suppressed;
    log.suppressed = 0;
    this.options.log(
      level,
      left === 0 ? message(reason) : `${message(reason)} (and ${left} more connection messages not logged)`,
    );
  }

  private forget(connection: Connection): void {
    // stop() clears the map before sockets report their close: count each connection once.
    const address = this.connections.get(connection);
    if (address === undefined) return;
    this.connections.delete(connection);
    if (address === null) this.tlsConnectionCount--;
    else this.connectionQuotas.release(address);
    this.closedTotals.bytesIn += connection.bytesIn;
    this.closedTotals.bytesOut += connection.bytesOut;
    this.closedTotals.requests += connection.requestCount;
  }

  private reapIdle(): void {
    const now = performance.now();
    for (const connection of this.connections.keys()) {
      if (connection.inFlightCount === 0 && now - connection.lastActiveMs > this.options.idleMsMax) {
        this.logConnection(
          "info",
          "idle",
          () => `closing idle connection ${connection.id} from ${connection.remoteAddress}`,
        );
        this.idleClosedTotal++;
        connection.close();
      }
    }
  }

  /** Stops accepting, closes every connection, and waits for the listeners to close. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.reaper !== null) clearInterval(this.reaper);
    this.reaper = null;
    const closing = this.servers.map(
      (server) => new Promise<void>((resolve) => server.close(() => resolve())),
    );
    for (const [connection, address] of this.connections) {
      if (address !== null) this.connectionQuotas.release(address);
      connection.close();
    }
    for (const [socket, address] of this.tlsSockets) {
      this.connectionQuotas.release(address);
      socket.destroy();
    }
    this.tlsSockets.clear();
    this.tlsConnectionCount = 0;
    for (const [socket, timer] of this.delayedCloses) {
      clearTimeout(timer);
      socket.destroy();
    }
    this.delayedCloses.clear();
    this.connections.clear();
    await Promise.all(closing);
    this.servers.length = 0;
  }
}

function describe(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}

/** Kafka logs each refused connection; a client in a reconnect loop would flood the log. */
const REFUSAL_LOG_INTERVAL_MS = 10_000;
/** Distinct refusal keys (reason and address) remembered; past it the oldest are forgotten. */
const REFUSAL_LOG_KEYS_MAX = 1_000;

/**
 * Logs a line once per key (a refusal's reason and address, a TLS failure's listener and reason)
 * per interval: the first at once, later ones counted and reported with the next line logged for
 * that key.
 */
class RefusalLog {
  private readonly write: (message: string) => void;
  private readonly keys = new Map<string, { loggedAtMs: number; suppressed: number }>();

  constructor(write: (message: string) => void) {
    this.write = write;
  }

  note(key: string, message: string): void {
    const nowMs = performance.now();
    const entry = this.keys.get(key);
    if (entry !== undefined && nowMs - entry.loggedAtMs < REFUSAL_LOG_INTERVAL_MS) {
      entry.suppressed++;
      return;
    }
    const suppressed = entry?.suppressed ?? 0;
    this.keys.delete(key);
    if (this.keys.size >= REFUSAL_LOG_KEYS_MAX) this.keys.delete(this.keys.keys().next().value as string);
    this.keys.set(key, { loggedAtMs: nowMs, suppressed: 0 });
    this.write(suppressed > 0 ? `${message} (and ${suppressed} more times since the last report)` : message);
  }
}
