import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { describeError, type Logger } from "../base/index.js";
import type { Broker } from "../broker/index.js";
import { type ConsoleListener, listenerUrl } from "./console-listeners.js";
import { type ConsoleContext, matchRoute } from "./console-routes.js";
import type { GroupsView } from "./groups-view.js";
import { errorReply, type Reply } from "./http-reply.js";
import { RequestGate } from "./request-gate.js";
import { SchemaLookup, type SchemaRegistryView } from "./schema-lookup.js";
import { findStaticDir, loadStaticAssets, type StaticAsset } from "./static-assets.js";

/** Longest request target answered; longer ones get 414 (no route needs more). */
export const URL_LENGTH_MAX = 2048;
/** Request header bytes Node accepts before answering 431 itself. */
export const HEADER_BYTES_MAX = 16 * 1024;
/** Connections open at once on each console listener. */
export const CONSOLE_CONNECTIONS_MAX = 256;
const HEADERS_TIMEOUT_MS = 10_000;
const REQUEST_TIMEOUT_MS = 30_000;
const KEEP_ALIVE_TIMEOUT_MS = 5_000;
/** Message browsing requests queued behind the running one; more get 503 (see RequestGate). */
const BROWSE_WAITING_MAX = 8;

export interface ConsoleServerOptions {
  broker: Broker;
  listeners: readonly ConsoleListener[];
  log: Logger;
  /** The group coordinator's read side; null or absent: the group endpoints are empty. */
  groups?: GroupsView | null;
  /** This node's Schema Registry, to decode Confluent-framed keys and values; null or absent: none. */
  schemas?: SchemaRegistryView | null;
  /** Where index.html, app.js and style.css are; default `findStaticDir()`. */
  staticDir?: string | null;
}

/**
 * The web console and metrics face of a Brook process: an HTTP/1.1 server (node:http) answering
 * GET and HEAD with JSON (`/api/...`), Prometheus text (`/metrics`) and the single-page UI (`/`).
 * It only reads the broker. Whatever a client sends is answered with a status (404, 405, 414,
 * 400, 500 for a bug) and never reaches the process; every request, header and connection is
 * bounded.
 */
export class ConsoleServer {
  private readonly servers: Server[] = [];
  private readonly log: Logger;
  private readonly context: ConsoleContext;
  private boundUrls: string[] = [];

  private constructor(options: ConsoleServerOptions, assets: ReadonlyMap<string, StaticAsset> | null) {
    this.log = options.log;
    this.context = {
      broker: options.broker,
      groups: options.groups ?? null,
      schemas: new SchemaLookup(options.schemas ?? null),
      browsing: new RequestGate("browsing messages", BROWSE_WAITING_MAX),
      assets,
      urls: [],
    };
  }

  /** Binds every listener (port 0: a free port) or none: a failed bind closes those already bound. */
  static async start(options: ConsoleServerOptions): Promise<ConsoleServer> {
    const dir = options.staticDir === undefined ? findStaticDir() : options.staticDir;
    if (dir === null) options.log.warn("console page files not found: serving the API and /metrics only");
    const consoleServer = new ConsoleServer(options, dir === null ? null : loadStaticAssets(dir));
    try {
      for (const listener of options.listeners) await consoleServer.listen(listener);
    } catch (error) {
      await consoleServer.stop();
      throw error;
    }
    consoleServer.context.urls = consoleServer.boundUrls;
    options.log.info(`console listening on ${consoleServer.boundUrls.join(", ")}`);
    return consoleServer;
  }

  /** The console's URLs, with the ports actually bound. */
  get urls(): readonly string[] {
    return this.boundUrls;
  }

  /** The group coordinator's read side, when it starts after the console (or changes). */
  set groups(view: GroupsView | null) {
    this.context.groups = view;
  }

  private async listen(listener: ConsoleListener): Promise<void> {
    const server = createServer(
      {
        maxHeaderSize: HEADER_BYTES_MAX,
        requestTimeout: REQUEST_TIMEOUT_MS,
        headersTimeout: HEADERS_TIMEOUT_MS,
      },
      (req, res) => this.onRequest(req, res),
    );
    server.keepAliveTimeout = KEEP_ALIVE_TIMEOUT_MS;
    server.maxConnections = CONSOLE_CONNECTIONS_MAX;
    this.servers.push(server);
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen({ host: listener.host === "" ? undefined : listener.host, port: listener.port }, () => {
        server.off("error", reject);
        resolve();
      });
    });
    server.on("error", (error) => this.log.error(`console listener: ${describeError(error)}`));
    const port = (server.address() as AddressInfo).port;
    this.boundUrls.push(listenerUrl(listener.host, port));
  }

  private onRequest(req: IncomingMessage, res: ServerResponse): void {
    // The console reads no bodies: drain any so the connection stays usable (requestTimeout bounds it).
    req.resume();
    const head = req.method === "HEAD";
    const rawUrl = req.url ?? "/";
    if (rawUrl.length > URL_LENGTH_MAX) {
      this.send(res, errorReply(414, `request target longer than ${URL_LENGTH_MAX} characters`), head);
      return;
    }
    const query = rawUrl.indexOf("?");
    const route = matchRoute(query < 0 ? rawUrl : rawUrl.slice(0, query));
    const params = new URLSearchParams(query < 0 ? "" : rawUrl.slice(query + 1));
    if (route === null) {
      this.send(res, errorReply(404, "Not found"), head);
      return;
    }
    if (req.method !== "GET" && !head) {
      this.send(res, errorReply(405, `method ${req.method} not allowed`, { allow: "GET, HEAD" }), false);
      return;
    }
    let reply: Reply | Promise<Reply>;
    try {
      reply = route.handle(this.context, route.param, params);
    } catch (error) {
      reply = Promise.reject(error);
    }
    Promise.resolve(reply).then(
      (r) => this.send(res, r, head),
      (error: unknown) => {
        this.log.error(`console ${req.method} ${rawUrl} failed: ${describeError(error)}`);
        this.send(res, errorReply(500, "internal error (see the broker log)"), head);
      },
    );
  }

  private send(res: ServerResponse, reply: Reply, head: boolean): void {
    if (res.headersSent || res.destroyed) return;
    const body = typeof reply.body === "string" ? Buffer.from(reply.body, "utf8") : reply.body;
    res.writeHead(reply.status, {
      "content-type": reply.contentType,
      "content-length": body.length,
      "x-content-type-options": "nosniff",
      "cache-control": "no-store",
      ...reply.headers,
    });
    res.end(head ? undefined : body);
  }

  /** Closes the listeners and every open connection (keep-alive ones too). */
  async stop(): Promise<void> {
    const closing = this.servers.map(
      (server) =>
        new Promise<void>((resolve) => {
          if (!server.listening) return resolve();
          server.close(() => resolve());
          server.closeAllConnections();
        }),
    );
    this.servers.length = 0;
    await Promise.all(closing);
  }
}
