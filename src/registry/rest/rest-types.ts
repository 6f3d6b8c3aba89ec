import type { IncomingHttpHeaders } from "node:http";
import type { SchemaRegistry } from "../schema-registry.js";

export interface RestRequest {
  params: Record<string, string>;
  query: URLSearchParams;
  /** The parsed JSON body; undefined when the request had none. */
  body: unknown;
  headers: IncomingHttpHeaders;
}

/** A handler's answer: a JSON value, or raw text (the `/schema` endpoints), with a status. */
export type RestResponse = { status?: number; json: unknown } | { status?: number; text: string };

export type RestHandler = (
  registry: SchemaRegistry,
  request: RestRequest,
) => RestResponse | Promise<RestResponse>;

/**
 * A route's handler, and whether it changes the registry (register, delete, config and mode
 * changes): in a cluster those go to the registry of the node that leads `_schemas`.
 */
export interface RestRoute {
  handler: RestHandler;
  writes: boolean;
}
