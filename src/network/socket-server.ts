import { createServer, type Server, type Socket } from "node:net";
import { Connection, type ConnectionLimits, type RequestHandler } from "./connection.js";

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

export interface SocketServerOptions {
  listeners: readonly ListenerSpec[];
  handler: RequestHandler;
  limits: ConnectionLimits;
  /** connections.max.idle.ms: connections with nothing in flight for this long are closed. */
  idleMsMax: number;
  /** Connections accepted at once, all listeners together (max.connections). */
  connectionsMax: number;
  log: (level: "info" | "warn" | "error", message: string) => void;
}

/**
 * Accepts TCP connections on Kafka listeners and hands their frames to the request handler.
 * Everything a client sends is contained here: a bad frame or a handler failure closes that one
 * connection with a log line and never reaches the process.
 */
export class SocketServer {
  private readonly options: SocketServerOptions;
  private readonly servers: Server[] = [];
  private readonly connections = new Set<Connection>();
  private reaper: NodeJS.Timeout | null = null;
  private nextConnectionId = 0;
  readonly bound: BoundListener[] = [];

  constructor(options: SocketServerOptions) {
    this.options = options;
  }

  get connectionCount(): number {
    return this.connections.size;
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
      this.options.log("warn", `refusing connection from ${socket.remoteAddress}: max.connections reached`);
      socket.destroy();
      return;
    }
    const connection = new Connection({
      id: `${listenerName}-${this.nextConnectionId++}`,
      socket,
      listenerName,
      handler: this.options.handler,
      limits: this.options.limits,
      nowMs: performance.now(),
      events: {
        onClose: (c) => this.connections.delete(c),
        onError: (c, error) =>
          this.options.log("warn", `closing connection ${c.id} from ${c.remoteAddress}: ${describe(error)}`),
      },
    });
    this.connections.add(connection);
  }

  private reapIdle(): void {
    const now = performance.now();
    for (const connection of this.connections) {
      if (connection.inFlightCount === 0 && now - connection.lastActiveMs > this.options.idleMsMax) {
        this.options.log("info", `closing idle connection ${connection.id} from ${connection.remoteAddress}`);
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
