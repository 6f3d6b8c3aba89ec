import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from "node:http";
import type { AdminClient } from "../client/index.js";
import type { ConsumerInstances } from "./consumer-instances.js";
import type { ProxyProducer } from "./proxy-producer.js";
import { restErrors } from "./rest-error.js";
import type { RestProxySettings } from "./rest-proxy-settings.js";
import type { SchemaManager } from "./schema-manager.js";

/** Which API a route belongs to: it decides the content types and the shape of error bodies. */
export type Api = "v2" | "v3";

/** A request as a route handler sees it: routed, negotiated, its JSON body parsed. */
export interface ProxyRequest {
  readonly api: Api;
  readonly method: string;
  readonly params: Readonly<Record<string, string>>;
  readonly query: URLSearchParams;
  readonly headers: IncomingHttpHeaders;
  /** The parsed JSON body; undefined when the request has none. */
  readonly body: unknown;
  /** `scheme://authority` of the links an answer carries (an advertised listener, or the request's Host). */
  readonly baseUrl: string;
  /** The Content-Type of the answer, as negotiated from Accept. */
  readonly responseType: string;
}

/** A handler's answer: a status (200 by default) and a JSON body (none for 204). */
export interface ProxyReply {
  status?: number;
  body?: unknown;
  headers?: Record<string, string>;
}

/** What handlers use: the proxy's shared clients and state. */
export interface ProxyServices {
  readonly settings: RestProxySettings;
  readonly admin: AdminClient;
  readonly producer: ProxyProducer;
  readonly schemas: SchemaManager;
  readonly consumers: ConsumerInstances;
}

/** The raw exchange, for the handlers that stream (a v3 produce reads and answers record by record). */
export interface HttpExchange {
  readonly request: IncomingMessage;
  readonly response: ServerResponse;
}

export interface ProxyRoute {
  readonly method: string;
  /** `/literal/:param/...`, matched against the URL-decoded path. */
  readonly path: string;
  readonly api: Api;
  /** Whether a request body's Content-Type is one the resource consumes (415 otherwise); default per API. */
  readonly consumes?: (contentType: string | undefined) => boolean;
  /** The answer's Content-Type for an Accept header, undefined for 406; default per API. */
  readonly produces?: (accept: string | undefined) => string | undefined;
  readonly handle?: (request: ProxyRequest, services: ProxyServices) => Promise<ProxyReply>;
  /** Instead of `handle`: reads the body itself and writes the answer. */
  readonly stream?: (request: ProxyRequest, services: ProxyServices, exchange: HttpExchange) => Promise<void>;
}

export const NO_CONTENT: ProxyReply = { status: 204 };

export function ok(body: unknown): ProxyReply {
  return { status: 200, body };
}

/** A path parameter that must be a Java int (Jersey answers 404 when it does not parse). */
export function intParam(request: ProxyRequest, name: string): number {
  const text = request.params[name] ?? "";
  if (!/^-?\d{1,10}$/.test(text) || Math.abs(Number(text)) >= 2 ** 31) throw restErrors.notFound();
  return Number(text);
}
