import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import type { SchemaLogBackend } from "../log/schema-log-backend.js";
import { RegistryError, registryErrors } from "../registry-error.js";
import { SchemaRegistry } from "../schema-registry.js";
import type { CompatibilityLevel } from "../schema-types.js";
import { isAcceptedRequestType, negotiateResponseType } from "./content-type.js";
import { registryRoutes } from "./registry-routes.js";
import type { RestHandler, RestResponse } from "./rest-types.js";
import type { Router } from "./router.js";
import { splitPath } from "./router.js";

/** Largest request body accepted; Confluent's schemas are far smaller. */
export const REGISTRY_REQUEST_BYTES_MAX = 8 * 1024 * 1024;
/** Simultaneous HTTP connections; more are refused by the socket layer. */
export const REGISTRY_CONNECTIONS_MAX = 1024;

export interface SchemaRegistryServerOptions {
  /** Where the registry's records live: the `_schemas` partition, or a memory/file log. */
  store: SchemaLogBackend;
  /** Default 127.0.0.1 ("localhost" from `schema.registry.listeners` works too). */
  host?: string;
  /** Default 8081; 0 picks a free port. */
  port?: number;
  defaultCompatibility?: CompatibilityLevel;
  modeMutability?: boolean;
  requestBytesMax?: number;
  /** Reported by `/v1/metadata/id`. */
  clusterId?: string;
  /** Called with errors that are Brook's fault (500 answers), for logging. */
  onInternalError?: (error: unknown) => void;
}

export interface RunningSchemaRegistry {
  url: string;
  port: number;
  registry: SchemaRegistry;
  close(): Promise<void>;
}

/**
 * Starts the Schema Registry REST API on node:http: replays the store, then listens. The
 * answer to each request is JSON in the negotiated content type; every error is Confluent's
 * `{"error_code", "message"}` body with the matching HTTP status.
 */
export async function startSchemaRegistry(
  options: SchemaRegistryServerOptions,
): Promise<RunningSchemaRegistry> {
  const registry = await SchemaRegistry.open({
    backend: options.store,
    ...(options.defaultCompatibility ? { defaultCompatibility: options.defaultCompatibility } : {}),
    ...(options.modeMutability !== undefined ? { modeMutability: options.modeMutability } : {}),
  });
  const routes = registryRoutes(options.clusterId ?? "brook");
  const context: HandlerContext = {
    registry,
    routes,
    requestBytesMax: options.requestBytesMax ?? REGISTRY_REQUEST_BYTES_MAX,
    onInternalError: options.onInternalError ?? (() => {}),
  };
  const server = createServer((request, response) => {
    handle(context, request, response).catch((error: unknown) => {
      context.onInternalError(error);
      response.destroy();
    });
  });
  server.maxConnections = REGISTRY_CONNECTIONS_MAX;
  const host = options.host ?? "127.0.0.1";
  await listen(server, host, options.port ?? 8081);
  const port = (server.address() as AddressInfo).port;
  const urlHost = host.includes(":") ? `[${host}]` : host === "0.0.0.0" ? "127.0.0.1" : host;
  return {
    url: `http://${urlHost}:${port}`,
    port,
    registry,
    close: () => closeServer(server),
  };
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
  routes: Router<RestHandler>;
  requestBytesMax: number;
  onInternalError: (error: unknown) => void;
}

async function handle(
  context: HandlerContext,
  request: IncomingMessage,
  response: ServerResponse,
): Promise<void> {
  const responseType = negotiateResponseType(request.headers.accept) ?? "application/json";
  try {
    const body = await readBody(request, context.requestBytesMax);
    const result = await dispatch(context.registry, context.routes, request, body);
    send(
      response,
      result.status ?? 200,
      responseType,
      "json" in result ? JSON.stringify(result.json) : result.text,
    );
  } catch (error) {
    if (!(error instanceof RegistryError)) context.onInternalError(error);
    const registryError =
      error instanceof RegistryError
        ? error
        : registryErrors.internal(`Internal error: ${(error as Error)?.message ?? String(error)}`);
    if (registryError.httpStatus === 413) response.setHeader("Connection", "close");
    const body = { error_code: registryError.errorCode, message: registryError.message };
    send(response, registryError.httpStatus, responseType, JSON.stringify(body));
  }
}

async function dispatch(
  registry: SchemaRegistry,
  routes: Router<RestHandler>,
  request: IncomingMessage,
  body: Buffer,
): Promise<RestResponse> {
  const url = new URL(request.url ?? "/", "http://registry");
  let segments: string[];
  try {
    segments = splitPath(url.pathname).map((segment) => decodeURIComponent(segment));
  } catch {
    throw registryErrors.routeNotFound();
  }
  const method = request.method ?? "GET";
  const route = routes.resolve(method, segments);
  if (route.kind === "no-path") throw registryErrors.routeNotFound();
  if (route.kind === "no-method") throw registryErrors.methodNotAllowed();
  if (negotiateResponseType(request.headers.accept) === undefined) throw registryErrors.notAcceptable();
  const hasBody = method === "POST" || method === "PUT";
  if (hasBody && !isAcceptedRequestType(request.headers["content-type"]))
    throw registryErrors.unsupportedMediaType();
  return route.match.handler(registry, {
    params: route.match.params,
    query: url.searchParams,
    body: hasBody ? parseJsonBody(body) : undefined,
    headers: request.headers,
  });
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

function send(response: ServerResponse, status: number, contentType: string, text: string): void {
  const bytes = Buffer.from(text, "utf8");
  response.writeHead(status, { "Content-Type": contentType, "Content-Length": bytes.length });
  response.end(bytes);
}
