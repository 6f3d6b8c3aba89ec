import type { IncomingMessage, ServerResponse } from "node:http";
import { describeError, type Logger } from "../base/index.js";
import { AdminClient, clientSecurityOptions } from "../client/index.js";
import { Router, splitPath } from "../registry/index.js";
import { ConsumerInstances } from "./consumer-instances.js";
import { isV3RequestType, JSON_TYPE, requestFormat, v2ResponseType, v3ResponseType } from "./media-types.js";
import { ProxyProducer } from "./proxy-producer.js";
import type { Api, ProxyReply, ProxyRequest, ProxyRoute, ProxyServices } from "./proxy-route.js";
import { RestProxyError, restErrors } from "./rest-error.js";
import type { RestProxySettings } from "./rest-proxy-settings.js";
import { restProxyRoutes } from "./rest-routes.js";
import { SchemaManager } from "./schema-manager.js";

/** Longest request target answered; longer ones get 414 (no route needs more). */
const URL_LENGTH_MAX = 8192;

/**
 * Confluent's REST Proxy API over this node's cluster: routes each HTTP request (API v2's paths,
 * API v3's under /v3) after Jersey's content negotiation (415, 406), reads and parses its JSON
 * body within `requestBytesMax` (413), runs the route and writes its JSON answer, or the error as
 * Confluent's `{"error_code", "message"}`. The clients it shares are made on first use: an admin
 * client, one producer, the Schema Registry client; consumer instances each have their own
 * consumer. `close()` closes the instances (they leave their groups), flushes the producer and
 * closes the clients.
 */
export class RestProxy {
  private readonly settings: RestProxySettings;
  private readonly log: Logger;
  private readonly router = new Router<ProxyRoute>();
  private readonly services: ProxyServices;

  constructor(settings: RestProxySettings, log: Logger) {
    this.settings = settings;
    this.log = log;
    for (const route of restProxyRoutes) this.router.add(route.method, route.path, route);
    const admin = new AdminClient({
      bootstrap: settings.bootstrap,
      clientId: "rest-proxy-admin",
      ...clientSecurityOptions(settings.security),
    });
    this.services = {
      settings,
      admin,
      producer: new ProxyProducer(settings.producer, settings.bootstrap, admin, settings.security),
      schemas: new SchemaManager(settings.schemaRegistryUrl),
      consumers: new ConsumerInstances(settings, admin, (i) =>
        log.info(`consumer instance ${i.config.name} of group ${i.config.group} expired`),
      ),
    };
  }

  /** Answers one request; never throws (a bug is logged and answered 500). */
  handle(request: IncomingMessage, response: ServerResponse): void {
    this.dispatch(request, response).catch((error: unknown) => {
      this.log.error(`REST Proxy ${request.method} ${request.url} failed: ${describeError(error)}`);
      if (!response.headersSent) writeJson(response, 500, JSON_TYPE, restErrors.internal().body("v2"));
      else response.destroy();
    });
  }

  private async dispatch(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const rawUrl = request.url ?? "/";
    const url = parseTarget(rawUrl);
    const path = url?.pathname ?? "/";
    const guessedApi: Api = path.startsWith("/v3/") || path === "/v3" ? "v3" : "v2";
    let contentType = JSON_TYPE;
    let api = guessedApi;
    try {
      if (rawUrl.length > URL_LENGTH_MAX) throw new RestProxyError(414, 414, "URI Too Long");
      if (url === null) throw restErrors.notFound();
      const route = this.route(request.method ?? "GET", url.pathname);
      api = route.route.api;
      const produced = (route.route.produces ?? (api === "v3" ? v3ResponseType : v2ResponseType))(
        request.headers.accept,
      );
      if (produced === undefined) throw restErrors.notAcceptable();
      contentType = produced;
      checkRequestType(route.route, request);
      const proxyRequest: ProxyRequest = {
        api,
        method: request.method ?? "GET",
        params: route.params,
        query: url.searchParams,
        headers: request.headers,
        body:
          route.route.stream === undefined
            ? await readJsonBody(request, this.settings.requestBytesMax)
            : undefined,
        baseUrl: this.baseUrl(request),
        responseType: produced,
      };
      if (route.route.stream !== undefined) {
        await route.route.stream(proxyRequest, this.services, { request, response });
        return;
      }
      const reply = await (route.route.handle as NonNullable<ProxyRoute["handle"]>)(
        proxyRequest,
        this.services,
      );
      writeReply(response, reply, contentType);
    } catch (error) {
      if (!(error instanceof RestProxyError)) throw error;
      // A body left unread would be taken for the next request on a kept-alive connection.
      if (!request.complete) response.setHeader("connection", "close");
      for (const [name, value] of Object.entries(error.headers)) response.setHeader(name, value);
      writeJson(response, error.status, contentType, error.body(api));
    }
  }

  private route(method: string, pathname: string) {
    let segments: string[];
    try {
      segments = splitPath(pathname).map((s) => decodeURIComponent(s));
    } catch {
      throw restErrors.notFound();
    }
    const found = this.router.resolve(method, segments);
    if (found.kind === "no-path") throw restErrors.notFound();
    if (found.kind === "no-method") throw restErrors.methodNotAllowed();
    return { route: found.match.handler, params: found.match.params };
  }

  /** kafka-rest's UrlFactory: the advertised listener (of the request's scheme), else the request's own authority. */
  private baseUrl(request: IncomingMessage): string {
    const advertised = this.settings.advertisedListeners.find((u) => u.startsWith("http://"));
    if (advertised !== undefined) return advertised;
    const host = request.headers.host ?? `${request.socket.localAddress}:${request.socket.localPort}`;
    return `http://${host}`;
  }

  /** Closes the consumer instances, flushes the shared producer, closes the clients. */
  async close(): Promise<void> {
    await this.services.consumers.closeAll();
    await this.services.producer.close().catch(() => {});
    this.services.admin.close();
  }
}

/** The request target as a URL; null when it is too long or does not parse (answered 414 or 404). */
function parseTarget(rawUrl: string): URL | null {
  if (rawUrl.length > URL_LENGTH_MAX || !rawUrl.startsWith("/")) return null;
  try {
    return new URL(rawUrl, "http://proxy");
  } catch {
    return null;
  }
}

/** 415 for a body in a type the route does not consume (only requests that carry one are checked). */
function checkRequestType(route: ProxyRoute, request: IncomingMessage): void {
  const hasBody =
    request.headers["transfer-encoding"] !== undefined || Number(request.headers["content-length"] ?? 0) > 0;
  const bodyMethod = request.method === "POST" || request.method === "PUT" || request.method === "PATCH";
  if (!hasBody && !bodyMethod) return;
  const contentType = request.headers["content-type"];
  const accepted = route.consumes
    ? route.consumes(contentType)
    : route.api === "v3"
      ? isV3RequestType(contentType)
      : requestFormat(contentType) !== undefined;
  if (!accepted) throw restErrors.unsupportedMediaType();
}

/** The request's JSON body (undefined when empty), within `bytesMax` (413). */
async function readJsonBody(request: IncomingMessage, bytesMax: number): Promise<unknown> {
  if (Number(request.headers["content-length"] ?? 0) > bytesMax) throw restErrors.payloadTooLarge();
  const chunks: Buffer[] = [];
  let received = 0;
  // Events rather than async iteration: leaving an iteration early destroys the socket, and
  // with it the 413 answer.
  await new Promise<void>((resolve, reject) => {
    request.on("data", (chunk: Buffer) => {
      received += chunk.length;
      if (received > bytesMax) {
        request.removeAllListeners("data");
        request.resume();
        reject(restErrors.payloadTooLarge());
        return;
      }
      chunks.push(chunk);
    });
    request.once("end", resolve);
    request.once("error", () => reject(restErrors.badRequest("the request body could not be read")));
  });
  if (received === 0) return undefined;
  const text = Buffer.concat(chunks, received).toString("utf8");
  if (text.trim() === "") return undefined;
  try {
    return JSON.parse(text);
  } catch (error) {
    throw restErrors.malformedJson((error as Error).message);
  }
}

function writeReply(response: ServerResponse, reply: ProxyReply, contentType: string): void {
  for (const [name, value] of Object.entries(reply.headers ?? {})) response.setHeader(name, value);
  const status = reply.status ?? 200;
  if (status === 204) {
    response.writeHead(204);
    response.end();
    return;
  }
  writeJson(response, status, contentType, reply.body);
}

export function writeJson(
  response: ServerResponse,
  status: number,
  contentType: string,
  body: unknown,
): void {
  if (response.headersSent) return;
  const text = Buffer.from(JSON.stringify(body), "utf8");
  response.writeHead(status, { "content-type": contentType, "content-length": text.length });
  response.end(text);
}
