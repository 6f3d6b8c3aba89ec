import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import type { SchemaLogBackend } from "../log/schema-log-backend.js";
import { normalizeSubject } from "../qualified-subject.js";
import { RegistryError, registryErrors } from "../registry-error.js";
import { SchemaRegistry } from "../schema-registry.js";
import type { CompatibilityLevel } from "../schema-types.js";
import { ClusterRouting, type RegistryLeadership, SOLE_REGISTRY } from "./cluster-routing.js";
import { isAcceptedRequestType, negotiateResponseType } from "./content-type.js";
import { rewriteContextPath } from "./context-path.js";
import {
  FORWARDED_BY_HEADER,
  type HttpAnswer,
  LeaderForwarder,
  SCHEMAS_OFFSET_HEADER,
} from "./leader-forwarding.js";
import { registryRoutes } from "./registry-routes.js";
import type { RestRoute } from "./rest-types.js";
import type { Router } from "./router.js";
import { splitPath } from "./router.js";

/** Largest request body accepted; Confluent's schemas are far smaller. */
export const REGISTRY_REQUEST_BYTES_MAX = 8 * 1024 * 1024;
/** Simultaneous HTTP connections; more are refused by the socket layer. */
export const REGISTRY_CONNECTIONS_MAX = 1024;

/** Where and how the REST API listens. */
export interface SchemaRegistryListenOptions {
  /** Default 127.0.0.1 ("localhost" from `schema.registry.listeners` works too). */
  host?: string;
  /** Default 8081; 0 picks a free port. */
  port?: number;
  requestBytesMax?: number;
  /** How long a request that arrives before the registry serves waits for it (then 50002). */
  startWaitMs?: number;
  /** Called with errors that are Brook's fault (500 answers), for logging. */
  onInternalError?: (error: unknown) => void;
}

/** What the REST API serves. */
export interface SchemaRegistryServeOptions {
  /** Where the registry's records live: the `_schemas` partition, or a memory/file log. */
  store: SchemaLogBackend;
  defaultCompatibility?: CompatibilityLevel;
  modeMutability?: boolean;
  /** Reported by `/v1/metadata/id`. */
  clusterId?: string;
  /**
   * The registries this one shares its store with (see ClusterRouting): who takes writes, who
   * serves reads. Absent: this registry serves everything itself.
   */
  leadership?: RegistryLeadership;
  /** Names this registry in the requests it forwards (`X-Brook-Forwarded-By`). */
  instanceName?: string;
  /** How long a request waits for a leader; default REGISTRY_LEADER_WAIT_MS. */
  leaderWaitMs?: number;
  /** How long a forwarded request waits for the leader's answer; default REGISTRY_FORWARD_TIMEOUT_MS. */
  forwardTimeoutMs?: number;
  /** How long reads wait for this node's replica to reach a write forwarded from here; default REGISTRY_REPLAY_WAIT_MS. */
  replayWaitMs?: number;
}

export interface SchemaRegistryServerOptions
  extends SchemaRegistryListenOptions,
    SchemaRegistryServeOptions {}

/** Request waits for a leader: an election plus a new leader's replay fit in it. */
export const REGISTRY_LEADER_WAIT_MS = 10_000;
/** A forwarded request's wait for the leader's answer (which may itself wait for a leader). */
export const REGISTRY_FORWARD_TIMEOUT_MS = 30_000;
/** Read-your-writes: how long a node's replica may take to replay a write forwarded from it. */
export const REGISTRY_REPLAY_WAIT_MS = 10_000;
/** How long requests that arrive before the registry serves wait for it. */
const REGISTRY_START_WAIT_MS = 30_000;

export interface RunningSchemaRegistry {
  url: string;
  port: number;
  registry: SchemaRegistry;
  close(): Promise<void>;
}

/**
 * The REST API's socket, bound before anything is served, so that its port is known early (the
 * broker registers it, see the server layer): requests that arrive before `serve` completes wait
 * for it, up to `startWaitMs`.
 */
export interface SchemaRegistryListener {
  url: string;
  port: number;
  /** Replays the store and serves from it; the listener then closes with the returned registry. */
  serve(options: SchemaRegistryServeOptions): Promise<RunningSchemaRegistry>;
  close(): Promise<void>;
}

/** Binds the REST API's socket (see SchemaRegistryListener). */
export async function listenSchemaRegistry(
  options: SchemaRegistryListenOptions = {},
): Promise<SchemaRegistryListener> {
  const onInternalError = options.onInternalError ?? (() => {});
  const requestBytesMax = options.requestBytesMax ?? REGISTRY_REQUEST_BYTES_MAX;
  const startWaitMs = options.startWaitMs ?? REGISTRY_START_WAIT_MS;
  let context: HandlerContext | null = null;
  let closed = false;
  const waiting = new Set<() => void>();
  const serving = async (): Promise<HandlerContext> => {
    if (context === null && !closed) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(done, startWaitMs);
        function done() {
          clearTimeout(timer);
          waiting.delete(done);
          resolve();
        }
        waiting.add(done);
      });
    }
    if (context !== null) return context;
    throw registryErrors.storeTimeout("The Schema Registry on this node is not serving yet");
  };
  const server = createServer((request, response) => {
    handle(serving, requestBytesMax, onInternalError, request, response).catch((error: unknown) => {
      onInternalError(error);
      response.destroy();
    });
  });
  server.maxConnections = REGISTRY_CONNECTIONS_MAX;
  const host = options.host ?? "127.0.0.1";
  await listen(server, host, options.port ?? 8081);
  const port = (server.address() as AddressInfo).port;
  const urlHost = host.includes(":") ? `[${host}]` : host === "0.0.0.0" ? "127.0.0.1" : host;
  const url = `http://${urlHost}:${port}`;
  const close = async () => {
    closed = true;
    for (const wake of [...waiting]) wake();
    context?.routing.close();
    await closeServer(server);
  };
  return {
    url,
    port,
    close,
    serve: async (serveOptions) => {
      const opened = await openContext(serveOptions, url);
      if (closed) {
        opened.routing.close();
        throw registryErrors.storeError("The Schema Registry listener was closed while it started");
      }
      context = opened;
      for (const wake of [...waiting]) wake();
      return { url, port, registry: opened.registry, close };
    },
  };
}

/** Replays the store and builds what requests are served with. */
async function openContext(options: SchemaRegistryServeOptions, url: string): Promise<HandlerContext> {
  const registry = await SchemaRegistry.open({
    backend: options.store,
    ...(options.defaultCompatibility ? { defaultCompatibility: options.defaultCompatibility } : {}),
    ...(options.modeMutability !== undefined ? { modeMutability: options.modeMutability } : {}),
  });
  const leadership = options.leadership;
  const forwarder =
    leadership === undefined
      ? null
      : new LeaderForwarder({
          forwarderName: options.instanceName ?? url,
          timeoutMs: options.forwardTimeoutMs ?? REGISTRY_FORWARD_TIMEOUT_MS,
        });
  return {
    registry,
    routes: registryRoutes(options.clusterId ?? "brook"),
    routing: new ClusterRouting({
      registry,
      leadership: leadership ?? SOLE_REGISTRY,
      forwarder,
      leaderWaitMs: options.leaderWaitMs ?? REGISTRY_LEADER_WAIT_MS,
      replayWaitMs: options.replayWaitMs ?? REGISTRY_REPLAY_WAIT_MS,
    }),
  };
}

/**
 * Starts the Schema Registry REST API on node:http: binds, replays the store, then serves. The
 * answer to each request is JSON in the negotiated content type; every error is Confluent's
 * `{"error_code", "message"}` body with the matching HTTP status.
 */
export async function startSchemaRegistry(
  options: SchemaRegistryServerOptions,
): Promise<RunningSchemaRegistry> {
  const listener = await listenSchemaRegistry(options);
  try {
    return await listener.serve(options);
  } catch (error) {
    await listener.close();
    throw error;
  }
}

function listen(server: Server, host: string, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => {
      server.off("error", reject);
      resolve();
    });
  });
}

function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });
}

interface HandlerContext {
  registry: SchemaRegistry;
  routes: Router<RestRoute>;
  routing: ClusterRouting;
}

async function handle(
  serving: () => Promise<HandlerContext>,
  requestBytesMax: number,
  onInternalError: (error: unknown) => void,
  request: IncomingMessage,
  response: ServerResponse,
): Promise<void> {
  const responseType = negotiateResponseType(request.headers.accept) ?? "application/json";
  const forwarded = request.headers[FORWARDED_BY_HEADER] !== undefined;
  let context: HandlerContext | null = null;
  let answer: HttpAnswer;
  try {
    const body = await readBody(request, requestBytesMax);
    context = await serving();
    answer = await routeRequest(context, request, body, responseType);
  } catch (error) {
    answer = errorAnswer(error, responseType, onInternalError);
  }
  // The leader tells a forwarding registry how far its answer reflects the log (read-your-writes).
  if (forwarded && context !== null)
    answer.headers[SCHEMAS_OFFSET_HEADER] = String(context.registry.replayedOffset);
  send(response, answer);
}

/** Resolves the route here (unknown paths and methods are answered here), then routes it. */
function routeRequest(
  context: HandlerContext,
  request: IncomingMessage,
  body: Buffer,
  responseType: string,
): Promise<HttpAnswer> {
  const url = new URL(request.url ?? "/", "http://registry");
  let segments: string[];
  try {
    segments = splitPath(url.pathname).map((segment) => decodeURIComponent(segment));
  } catch {
    throw registryErrors.routeNotFound();
  }
  segments = rewriteContextPath(segments, url.searchParams);
  const method = request.method ?? "GET";
  const route = context.routes.resolve(method, segments);
  if (route.kind === "no-path") throw registryErrors.routeNotFound();
  if (route.kind === "no-method") throw registryErrors.methodNotAllowed();
  const { handler, writes } = route.match.handler;
  const params = { ...route.match.params };
  // `:.:orders` is `orders`, wherever a subject is named (Confluent normalizes in every resource).
  if (params["subject"] !== undefined) params["subject"] = normalizeSubject(params["subject"]);
  const runLocal = async (): Promise<HttpAnswer> => {
    if (negotiateResponseType(request.headers.accept) === undefined) throw registryErrors.notAcceptable();
    const hasBody = method === "POST" || method === "PUT";
    if (hasBody && !isAcceptedRequestType(request.headers["content-type"]))
      throw registryErrors.unsupportedMediaType();
    const result = await handler(context.registry, {
      params,
      query: url.searchParams,
      body: hasBody ? parseJsonBody(body) : undefined,
      headers: request.headers,
    });
    const text = "json" in result ? JSON.stringify(result.json) : result.text;
    return jsonAnswer(result.status ?? 200, responseType, text);
  };
  return context.routing.route(
    writes ? "write" : "read",
    { method, path: request.url ?? "/", headers: request.headers, body },
    runLocal,
  );
}

function errorAnswer(
  error: unknown,
  responseType: string,
  onInternalError: (error: unknown) => void,
): HttpAnswer {
  if (!(error instanceof RegistryError)) onInternalError(error);
  const registryError =
    error instanceof RegistryError
      ? error
      : registryErrors.internal(`Internal error: ${(error as Error)?.message ?? String(error)}`);
  const body = { error_code: registryError.errorCode, message: registryError.message };
  const answer = jsonAnswer(registryError.httpStatus, responseType, JSON.stringify(body));
  if (registryError.httpStatus === 413) answer.headers["connection"] = "close";
  return answer;
}

function jsonAnswer(status: number, contentType: string, text: string): HttpAnswer {
  return { status, headers: { "content-type": contentType }, body: Buffer.from(text, "utf8") };
}

function parseJsonBody(body: Buffer): unknown {
  if (body.length === 0) return undefined;
  try {
    return JSON.parse(body.toString("utf8"));
  } catch (error) {
    throw registryErrors.badRequest(`Unexpected character in the request body: ${(error as Error).message}`);
  }
}

function readBody(request: IncomingMessage, bytesMax: number): Promise<Buffer> {
  const declared = Number(request.headers["content-length"] ?? 0);
  if (declared > bytesMax) {
    request.resume();
    return Promise.reject(registryErrors.bodyTooLarge(bytesMax));
  }
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let received = 0;
    request.on("data", (chunk: Buffer) => {
      received += chunk.length;
      if (received > bytesMax) {
        request.removeAllListeners("data");
        request.resume();
        reject(registryErrors.bodyTooLarge(bytesMax));
        return;
      }
      chunks.push(chunk);
    });
    request.on("end", () => resolve(Buffer.concat(chunks)));
    request.on("error", reject);
  });
}

function send(response: ServerResponse, answer: HttpAnswer): void {
  response.writeHead(answer.status, { ...answer.headers, "content-length": answer.body.length });
  response.end(answer.body);
}
