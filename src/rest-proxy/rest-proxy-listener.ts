import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { describeError, type Logger } from "../base/index.js";
import { RestProxy } from "./rest-proxy.js";
import type { RestProxySettings } from "./rest-proxy-settings.js";

/** Request header bytes accepted; Node answers 431 past them. */
const HEADER_BYTES_MAX = 16 * 1024;
const HEADERS_TIMEOUT_MS = 10_000;
const KEEP_ALIVE_TIMEOUT_MS = 5_000;
/** Connections open at once on each listener; more wait in the kernel's backlog. */
export const REST_PROXY_CONNECTIONS_MAX = 1024;
/** How long a request that arrives before the proxy serves waits for it (then 503). */
const SERVE_WAIT_MS = 30_000;

export interface RestProxyListenerAddress {
  host: string;
  /** 0: a free port. */
  port: number;
}

/**
 * The proxy's sockets, bound by the process that hosts it before anything is served, so that its
 * URLs are known early: the proxy itself (its clients, its consumer instances' timer) is made only
 * by `serve()`, which the host calls after the node is ready, so a node's start does not wait for
 * it. Requests that arrive meanwhile wait for it.
 *
 * Its module is imported as any other: a dynamic import() in the single-file build (esbuild,
 * without code splitting) made esbuild wrap the 318 modules the proxy shares with the broker in
 * lazy initializers, 120 KB more bundle and no faster start; the module's own evaluation is route
 * tables and constants.
 */
export interface RestProxyListener {
  readonly urls: readonly string[];
  serve(settings: RestProxySettings): Promise<void>;
  close(): Promise<void>;
}

export async function listenRestProxy(
  addresses: readonly RestProxyListenerAddress[],
  log: Logger,
): Promise<RestProxyListener> {
  let proxy: RestProxy | null = null;
  let closed = false;
  const waiting = new Set<() => void>();
  const onRequest = (request: IncomingMessage, response: ServerResponse) => {
    if (proxy !== null) {
      proxy.handle(request, response);
      return;
    }
    const done = () => {
      clearTimeout(timer);
      waiting.delete(done);
      if (proxy !== null) proxy.handle(request, response);
      else unavailable(response);
    };
    const timer = setTimeout(done, SERVE_WAIT_MS);
    waiting.add(done);
  };
  const servers: Server[] = [];
  const urls: string[] = [];
  const close = async () => {
    closed = true;
    for (const wake of [...waiting]) wake();
    await Promise.all(servers.map(closeServer));
    await proxy?.close();
  };
  try {
    for (const address of addresses) {
      const server = createServer(
        { maxHeaderSize: HEADER_BYTES_MAX, headersTimeout: HEADERS_TIMEOUT_MS, requestTimeout: 0 },
        onRequest,
      );
      server.keepAliveTimeout = KEEP_ALIVE_TIMEOUT_MS;
      server.maxConnections = REST_PROXY_CONNECTIONS_MAX;
      servers.push(server);
      await listen(server, address.host, address.port);
      server.on("error", (error) => log.error(`REST Proxy listener: ${describeError(error)}`));
      urls.push(listenerUrl(address.host, (server.address() as AddressInfo).port));
    }
  } catch (error) {
    await close();
    throw error;
  }
  return {
    urls,
    close,
    serve: async (settings) => {
      if (closed) return;
      proxy = new RestProxy(settings, log);
      for (const wake of [...waiting]) wake();
    },
  };
}

function unavailable(response: ServerResponse): void {
  const body = JSON.stringify({ error_code: 503, message: "The REST Proxy on this node is not serving yet" });
  response.writeHead(503, { "content-type": "application/json", "content-length": Buffer.byteLength(body) });
  response.end(body);
}

/** The URL of a bound listener: a wildcard host is shown as localhost. */
function listenerUrl(host: string, port: number): string {
  const shown = host === "" || host === "0.0.0.0" || host === "::" ? "localhost" : host;
  return `http://${shown.includes(":") ? `[${shown}]` : shown}:${port}`;
}

function listen(server: Server, host: string, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen({ host: host === "" ? undefined : host, port }, () => {
      server.off("error", reject);
      resolve();
    });
  });
}

function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => {
    if (!server.listening) return resolve();
    server.close(() => resolve());
    server.closeAllConnections();
  });
}
