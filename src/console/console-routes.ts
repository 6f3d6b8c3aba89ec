import type { Broker } from "../broker/index.js";
import { TOPIC_NAME_LENGTH_MAX } from "../metadata/index.js";
import { brokersInfo, clusterInfo } from "./cluster-api.js";
import { CoordinatorUnavailableError } from "./coordinator-unavailable.js";
import { groupDetail, groupsList } from "./groups-api.js";
import type { GroupsView } from "./groups-view.js";
import { errorReply, jsonReply, type Reply } from "./http-reply.js";
import { browseMessages } from "./messages-api.js";
import { parseMessagesQuery } from "./messages-query.js";
import { metricsSnapshot } from "./metrics-snapshot.js";
import { collectMetricFamilies } from "./prometheus-metrics.js";
import { formatPrometheusText } from "./prometheus-text.js";
import { ConsoleRequestError } from "./request-error.js";
import type { RequestGate } from "./request-gate.js";
import type { SchemaLookup } from "./schema-lookup.js";
import type { StaticAsset } from "./static-assets.js";
import { topicDetail, topicsList } from "./topics-api.js";
import { transactionsList } from "./transactions-api.js";

/** Kafka caps group ids only by the request size; the console caps the path segment instead. */
export const GROUP_ID_LENGTH_MAX = 1024;

export const PROMETHEUS_CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";

/**
 * What the routes read: the broker, the group coordinator if any, the Schema Registry's schemas,
 * the page, the console's own URLs; and the gate message browsing passes through.
 */
export interface ConsoleContext {
  broker: Broker;
  groups: GroupsView | null;
  schemas: SchemaLookup;
  browsing: RequestGate;
  assets: ReadonlyMap<string, StaticAsset> | null;
  urls: readonly string[];
}

type RouteHandler = (ctx: ConsoleContext, param: string, query: URLSearchParams) => Reply | Promise<Reply>;

interface Route {
  /** Matched against the raw (still percent-encoded) path; group 1 is the parameter. */
  pattern: RegExp;
  handle: RouteHandler;
}

const ENDPOINTS = [
  "/api/cluster",
  "/api/brokers",
  "/api/topics",
  "/api/topics/{name}",
  "/api/topics/{name}/messages",
  "/api/groups",
  "/api/groups/{groupId}",
  "/api/transactions",
  "/api/metrics",
  "/metrics",
];

const ROUTES: readonly Route[] = [
  { pattern: /^\/(index\.html|app\.js|style\.css)?$/, handle: (ctx, file) => asset(ctx, `/${file}`) },
  { pattern: /^\/api$/, handle: () => jsonReply({ endpoints: ENDPOINTS }) },
  {
    pattern: /^\/api\/cluster$/,
    handle: (ctx) => jsonReply(clusterInfo(ctx.broker, ctx.urls, ctx.groups !== null)),
  },
  { pattern: /^\/api\/brokers$/, handle: (ctx) => jsonReply(brokersInfo(ctx.broker)) },
  { pattern: /^\/api\/topics$/, handle: (ctx) => jsonReply(topicsList(ctx.broker)) },
  { pattern: /^\/api\/topics\/([^/]+)$/, handle: topic },
  { pattern: /^\/api\/topics\/([^/]+)\/messages$/, handle: messages },
  {
    pattern: /^\/api\/groups$/,
    handle: (ctx) => coordinatorReply(async () => jsonReply(await groupsList(ctx.broker, ctx.groups))),
  },
  { pattern: /^\/api\/groups\/([^/]+)$/, handle: group },
  { pattern: /^\/api\/transactions$/, handle: transactions },
  { pattern: /^\/api\/metrics$/, handle: (ctx) => jsonReply(metricsSnapshot(ctx.broker)) },
  { pattern: /^\/metrics$/, handle: prometheus },
];

/** The route for a path (without its query), and its decoded parameter; null: 404. */
export function matchRoute(path: string): { handle: RouteHandler; param: string } | null {
  const trimmed = path.length > 1 && path.endsWith("/") ? path.slice(0, -1) : path;
  for (const route of ROUTES) {
    const m = route.pattern.exec(trimmed);
    if (m === null) continue;
    try {
      return { handle: route.handle, param: decodeURIComponent(m[1] ?? "") };
    } catch {
      return { handle: () => errorReply(400, "malformed percent-encoding in the path"), param: "" };
    }
  }
  return null;
}

function asset(ctx: ConsoleContext, path: string): Reply {
  const found = ctx.assets?.get(path);
  if (found === undefined)
    return errorReply(503, "the console's page files were not found (see the broker log)");
  return {
    status: 200,
    contentType: found.contentType,
    body: found.body,
    headers: { "cache-control": "no-cache" },
  };
}

function topic(ctx: ConsoleContext, name: string): Reply {
  if (name.length > TOPIC_NAME_LENGTH_MAX) return errorReply(404, "Topic not found");
  const detail = topicDetail(ctx.broker, name);
  return detail === null ? errorReply(404, `Topic '${name}' not found`) : jsonReply(detail);
}

/** Message browsing, one request at a time (see RequestGate), its refusals as JSON errors. */
async function messages(ctx: ConsoleContext, name: string, params: URLSearchParams): Promise<Reply> {
  if (name.length > TOPIC_NAME_LENGTH_MAX) return errorReply(404, "Topic not found");
  try {
    const query = parseMessagesQuery(params);
    return jsonReply(await ctx.browsing.run(() => browseMessages(ctx.broker, ctx.schemas, name, query)));
  } catch (error) {
    if (!(error instanceof ConsoleRequestError)) throw error;
    const reply = jsonReply(
      { error_code: error.status, message: error.message, ...error.details },
      error.status,
    );
    if (error.headers !== undefined) reply.headers = { ...error.headers };
    return reply;
  }
}

async function group(ctx: ConsoleContext, groupId: string): Promise<Reply> {
  if (groupId.length > GROUP_ID_LENGTH_MAX) return errorReply(404, "Group not found");
  return coordinatorReply(async () => {
    const detail = await groupDetail(ctx.broker, ctx.groups, groupId);
    return detail === null ? errorReply(404, `Group '${groupId}' not found`) : jsonReply(detail);
  });
}

/** Group and transaction answers, with a coordinator that is loading (or elsewhere) turned into 503. */
async function coordinatorReply(read: () => Promise<Reply>): Promise<Reply> {
  try {
    return await read();
  } catch (error) {
    if (error instanceof CoordinatorUnavailableError)
      return errorReply(503, error.message, { "retry-after": "1" });
    throw error;
  }
}

function transactions(ctx: ConsoleContext): Promise<Reply> {
  return coordinatorReply(async () => jsonReply(transactionsList(ctx.broker)));
}

async function prometheus(ctx: ConsoleContext): Promise<Reply> {
  const families = await collectMetricFamilies(ctx.broker, ctx.groups);
  return { status: 200, contentType: PROMETHEUS_CONTENT_TYPE, body: formatPrometheusText(families) };
}
