import { createServer, type Server, type Socket } from "node:net";
import { Connection, type ConnectionLimits, type RequestHandler } from "./connection.js";
import { FrameBufferPool } from "./frame-buffer-pool.js";

export interface ListenerSpec {
  /** Kafka's listener name (PLAINTEXT, CONTROLLER, ...). */
  name: string;
  host: string;
  /** 0 picks a free port; `boundPort` tells which. */
  port: number;
}

export interface BoundListener extends ListenerSpec {
  boundPort: number;
}

/** Totals since start, all listeners together (the console's network metrics). */
export interface NetworkStats {
  /** Connections open now. */
  connectionCount: number;
  /** Open connections whose reading is paused now (flow control: their client does not keep up). */
  connectionsReadPaused: number;
  /** Bytes the open connections hold now: requests in flight and responses not yet sent. */
  connectionBufferedBytes: number;
  connectionsAcceptedTotal: number;
  /** Connections refused because max.connections was reached. */
  connectionsRefusedTotal: number;
  /** Socket bytes read from and written to clients, frames and size prefixes included. */
  bytesInTotal: number;
  bytesOutTotal: number;
  requestsTotal: number;
  /** Request frames assembled in a pooled buffer: a reused one, or a new one the pool then keeps. */
  frameBuffersReusedTotal: number;
  frameBuffersAllocatedTotal: number;
}

export interface SocketServerOptions {
  listeners: readonly ListenerSpec[];
  handler: RequestHandler;
  limits: ConnectionLimits;
  /** connections.max.idle.ms: connections with nothing in flight for this long are closed. */
  idleMsMax: number;
  /** Connections accepted at once, all listeners together (max.connections). */
  connectionsMax: number;
  log: (level: "info" | "warn" | "error", message: string) => void;
  /** Recycled buffers for request frames, all connections together; default a FrameBufferPool(). */
  framePool?: FrameBufferPool;
}

/**
 * Lines about single connections (closed for a bad frame, refused, reaped idle) logged per
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
 */
export class SocketServer {
  private readonly options: SocketServerOptions;
  private readonly servers: Server[] = [];
  private readonly connections = new Set<Connection>();
  private reaper: NodeJS.Timeout | null = null;
  private nextConnectionId = 0;
  // Counters of closed connections; open ones are summed when stats are read.
  private closedTotals = { bytesIn: 0, bytesOut: 0, requests: 0 };
  private refusedTotal = 0;
  /** Connection log lines in the current window, and those left out since the last one logged. */
  private connectionLog = { windowStartMs: 0, lines: 0, suppressed: 0, byReason: new Map<string, number>() };
  readonly bound: BoundListener[] = [];
  /** Request frames assembled from several socket reads, for the APIs whose handler allows it. */
  readonly framePool: FrameBufferPool;

  constructor(options: SocketServerOptions) {
    this.options = options;
    this.framePool = options.framePool ?? new FrameBufferPool();
  }

  get connectionCount(): number {
    return this.connections.size;
  }

  stats(): NetworkStats {
    let bytesIn = this.closedTotals.bytesIn;
    let bytesOut = this.closedTotals.bytesOut;
    let requests = this.closedTotals.requests;
    let paused = 0;
    let buffered = 0;
    for (const c of this.connections) {
      bytesIn += c.bytesIn;
      bytesOut += c.bytesOut;
      requests += c.requestCount;
      if (c.isReadPaused) paused++;
      buffered += c.bufferedBytes;
    }
    return {
      connectionCount: this.connections.size,
      connectionsReadPaused: paused,
      connectionBufferedBytes: buffered,
      connectionsAcceptedTotal: this.nextConnectionId,
      connectionsRefusedTotal: this.refusedTotal,
      bytesInTotal: bytesIn,
      bytesOutTotal: bytesOut,
      requestsTotal: requests,
      frameBuffersReusedTotal: this.framePool.reusedCount,
      frameBuffersAllocatedTotal: this.framePool.allocatedCount,
    };
  }

  async start(): Promise<BoundListener[]> {
    for (const spec of this.options.listeners) {
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
    const sweepMs = Math.max(10, Math.min(this.options.idleMsMax / 4, 30_000));
    this.reaper = setInterval(() => this.reapIdle(), sweepMs);
    this.reaper.unref();
    return this.bound;
  }

  private accept(socket: Socket, listenerName: string): void {
    if (this.connections.size >= this.options.connectionsMax) {
      this.refusedTotal++;
      this.logConnection(
        "warn",
        "max.connections reached",
        `refusing connection from ${socket.remoteAddress}: max.connections reached`,
      );
      socket.destroy();
      return;
    }
    const connection = new Connection({
      id: `${listenerName}-${this.nextConnectionId++}`,
      socket,
      listenerName,
      handler: this.options.handler,
      limits: this.options.limits,
      framePool: this.framePool,
      nowMs: performance.now(),
      events: {
        onClose: (c) => this.forget(c),
        onError: (c, error) =>
          this.logConnection(
            "warn",
            describe(error),
            `closing connection ${c.id} from ${c.remoteAddress}: ${describe(error)}`,
          ),
      },
    });
    this.connections.add(connection);
  }

  /** Logs a line about one connection, unless its reason's or the window's share is used up (then counts it). */
  private logConnection(level: "info" | "warn", reason: string, message: string): void {
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
      left === 0 ? message : `${message} (and ${left} more connection messages not logged)`,
    );
  }

  private forget(connection: Connection): void {
    // stop() clears the set before sockets report their close: count each connection once.
    if (!this.connections.delete(connection)) return;
    this.closedTotals.bytesIn += connection.bytesIn;
    this.closedTotals.bytesOut += connection.bytesOut;
    this.closedTotals.requests += connection.requestCount;
  }

  private reapIdle(): void {
    const now = performance.now();
    for (const connection of this.connections) {
      if (connection.inFlightCount === 0 && now - connection.lastActiveMs > this.options.idleMsMax) {
        this.logConnection(
          "info",
          "idle",
          `closing idle connection ${connection.id} from ${connection.remoteAddress}`,
        );
        connection.close();
      }
    }
  }

  /** Stops accepting, closes every connection, and waits for the listeners to close. */
  async stop(): Promise<void> {
    if (this.reaper !== null) clearInterval(this.reaper);
    this.reaper = null;
    const closing = this.servers.map(
      (server) => new Promise<void>((resolve) => server.close(() => resolve())),
    );
    for (const connection of this.connections) connection.close();
    this.connections.clear();
    await Promise.all(closing);
    this.servers.length = 0;
  }
}

function describe(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}
