import type { OffsetResetStrategy } from "../client/index.js";
import {
  arrayField,
  bodyObject,
  integerField,
  type JsonObject,
  objectItems,
  stringField,
  topicPartitions,
} from "./body-fields.js";
import type { ConsumerInstance, ConsumerInstanceConfig } from "./consumer-instance.js";
import { ConsumerInstances } from "./consumer-instances.js";
import { isEmbeddedFormat, recordsResponse } from "./media-types.js";
import {
  NO_CONTENT,
  ok,
  type ProxyReply,
  type ProxyRequest,
  type ProxyRoute,
  type ProxyServices,
} from "./proxy-route.js";
import { RestProxyError, restErrors } from "./rest-error.js";

/**
 * API v2's consumer instances (kafka-rest's ConsumersResource): create one in a group (its
 * format, auto.offset.reset, auto.commit.enable, fetch.min.bytes, consumer.request.timeout.ms),
 * subscribe it (topics or a pattern) or assign it partitions, move its positions, commit and read
 * its committed offsets, read records in its format, delete it.
 */

function instance(request: ProxyRequest, services: ProxyServices): ConsumerInstance {
  return services.consumers.get(request.params["group"] as string, request.params["instance"] as string);
}

/** A required body (kafka-rest's @NotNull entities): 422 without one. */
function requiredBody(request: ProxyRequest): JsonObject {
  const body = bodyObject(request.body);
  if (body === undefined) throw restErrors.constraintViolation("The request entity must not be null");
  return body;
}

/** Kafka's ConfigException text, for a value its ConfigDef refuses. */
function invalidConfig(name: string, value: string, why: string): RestProxyError {
  return restErrors.invalidConsumerConfig(`Invalid value ${value} for configuration ${name}: ${why}`);
}

function instanceConfig(group: string, body: JsonObject | undefined): ConsumerInstanceConfig {
  const text = (name: string) => (body === undefined ? undefined : stringField(body, name));
  const number = (name: string, alias: string) =>
    body === undefined ? undefined : (integerField(body, name) ?? integerField(body, alias));
  const formatName = (text("format") ?? "binary").toLowerCase();
  if (!isEmbeddedFormat(formatName)) throw restErrors.constraintViolation("Invalid format type.");
  const reset = text("auto.offset.reset") ?? "latest";
  if (!["latest", "earliest", "none"].includes(reset))
    throw invalidConfig("auto.offset.reset", reset, "String must be one of: latest, earliest, none");
  if (reset === "none")
    throw invalidConfig(
      "auto.offset.reset",
      reset,
      "Brook's consumer instances reset to earliest or latest only",
    );
  const commit = (text("auto.commit.enable") ?? "true").toLowerCase();
  if (commit !== "true" && commit !== "false")
    throw invalidConfig("enable.auto.commit", commit, "Expected value to be either true or false");
  const fetchMinBytes = number("fetch.min.bytes", "responseMinBytes") ?? null;
  if (fetchMinBytes !== null && fetchMinBytes < -1)
    throw new RestProxyError(
      422,
      40001,
      `Invalid consumer configuration. It does not abide by the constraints: Invalid value ${fetchMinBytes} for configuration fetch.min.bytes: Value must be at least -1`,
    );
  return {
    group,
    name: text("id") ?? text("name") ?? ConsumerInstances.defaultName(),
    format: formatName,
    autoOffsetReset: reset as OffsetResetStrategy,
    autoCommit: commit === "true",
    fetchMinBytes,
    requestTimeoutMs: number("consumer.request.timeout.ms", "requestWaitMs") ?? null,
  };
}

async function create(request: ProxyRequest, services: ProxyServices): Promise<ProxyReply> {
  const group = request.params["group"] as string;
  const created = services.consumers.create(instanceConfig(group, bodyObject(request.body)));
  const name = created.config.name;
  return ok({
    instance_id: name,
    base_uri: `${request.baseUrl}/consumers/${encodeURIComponent(group)}/instances/${encodeURIComponent(name)}`,
  });
}

async function remove(request: ProxyRequest, services: ProxyServices): Promise<ProxyReply> {
  await services.consumers.delete(request.params["group"] as string, request.params["instance"] as string);
  return NO_CONTENT;
}

async function subscribe(request: ProxyRequest, services: ProxyServices): Promise<ProxyReply> {
  const target = instance(request, services);
  const body = requiredBody(request);
  const topics = arrayField(body, "topics");
  const pattern = stringField(body, "topic_pattern");
  if (topics !== undefined) {
    const names = topics.map((t) => {
      if (typeof t !== "string") throw restErrors.malformedJson("topics must be strings");
      return t;
    });
    target.subscribe({ topics: names });
  } else if (pattern !== undefined) {
    let regex: RegExp;
    try {
      regex = new RegExp(pattern);
    } catch (error) {
      throw restErrors.badRequest(`Invalid topic_pattern: ${(error as Error).message}`);
    }
    target.subscribe({ pattern: regex });
  }
  return NO_CONTENT;
}

async function subscription(request: ProxyRequest, services: ProxyServices): Promise<ProxyReply> {
  return ok({ topics: instance(request, services).subscribedTopics() });
}

async function unsubscribe(request: ProxyRequest, services: ProxyServices): Promise<ProxyReply> {
  await instance(request, services).unsubscribe();
  return NO_CONTENT;
}

async function assign(request: ProxyRequest, services: ProxyServices): Promise<ProxyReply> {
  const target = instance(request, services);
  target.assign(topicPartitions(arrayField(requiredBody(request), "partitions") ?? []));
  return NO_CONTENT;
}

async function assignments(request: ProxyRequest, services: ProxyServices): Promise<ProxyReply> {
  return ok({ partitions: instance(request, services).assignment() });
}

async function seek(request: ProxyRequest, services: ProxyServices): Promise<ProxyReply> {
  const target = instance(request, services);
  const body = requiredBody(request);
  const offsets = objectItems(arrayField(body, "offsets") ?? []).map((item) => {
    const [tp] = topicPartitions([item]) as [{ topic: string; partition: number }];
    return { ...tp, offset: BigInt(integerField(item, "offset", "long") ?? 0) };
  });
  target.seek(offsets);
  const timestamps = objectItems(arrayField(body, "timestamps") ?? []).map((item) => {
    const [tp] = topicPartitions([item]) as [{ topic: string; partition: number }];
    const text = stringField(item, "timestamp") ?? "";
    const ms = Date.parse(text);
    if (Number.isNaN(ms))
      throw restErrors.malformedJson(
        `Cannot deserialize value of type \`java.time.Instant\` from String ${JSON.stringify(text)}`,
      );
    return { ...tp, timestampMs: BigInt(ms) };
  });
  if (timestamps.length > 0) await target.seekToTimestamps(timestamps);
  return NO_CONTENT;
}

function seekToEnd(end: OffsetResetStrategy) {
  return async (request: ProxyRequest, services: ProxyServices): Promise<ProxyReply> => {
    const target = instance(request, services);
    const partitions = topicPartitions(arrayField(requiredBody(request), "partitions") ?? []);
    target.seek(partitions.map((tp) => ({ ...tp, offset: end })));
    return NO_CONTENT;
  };
}

async function commit(request: ProxyRequest, services: ProxyServices): Promise<ProxyReply> {
  const target = instance(request, services);
  const body = bodyObject(request.body);
  const items = body === undefined ? undefined : arrayField(body, "offsets");
  const offsets =
    items === undefined
      ? null
      : objectItems(items).map((item) => {
          const [tp] = topicPartitions([item]) as [{ topic: string; partition: number }];
          return {
            ...tp,
            offset: BigInt(integerField(item, "offset", "long") ?? 0),
            metadata: stringField(item, "metadata") ?? null,
          };
        });
  await target.commit(offsets);
  target.touch();
  // kafka-rest answers with the (always empty) list its commit returns.
  return ok([]);
}

async function committed(request: ProxyRequest, services: ProxyServices): Promise<ProxyReply> {
  const target = instance(request, services);
  const body = bodyObject(request.body);
  // kafka-rest answers a GET without the partitions it asks about with 40402.
  if (body === undefined) throw restErrors.partitionNotFound();
  return ok({ offsets: await target.committed(topicPartitions(arrayField(body, "partitions") ?? [])) });
}

async function records(request: ProxyRequest, services: ProxyServices): Promise<ProxyReply> {
  const target = instance(request, services);
  const wanted = recordsResponse(request.headers.accept);
  if (wanted === undefined) throw restErrors.notAcceptable();
  if (wanted.format !== target.config.format) throw restErrors.consumerFormatMismatch();
  const number = (name: string) => {
    const text = request.query.get(name);
    if (text === null || text === "") return -1;
    if (!/^-?\d+$/.test(text)) throw restErrors.notFound();
    return Number(text);
  };
  const read = await target.read(number("timeout"), number("max_bytes"), (id) =>
    services.schemas.parsedById(id),
  );
  return ok(read);
}

const base = "/consumers/:group/instances/:instance";

export const v2ConsumerRoutes: readonly ProxyRoute[] = [
  { method: "POST", path: "/consumers/:group", api: "v2", handle: create },
  { method: "DELETE", path: base, api: "v2", handle: remove },
  { method: "POST", path: `${base}/subscription`, api: "v2", handle: subscribe },
  { method: "GET", path: `${base}/subscription`, api: "v2", handle: subscription },
  { method: "DELETE", path: `${base}/subscription`, api: "v2", handle: unsubscribe },
  { method: "POST", path: `${base}/assignments`, api: "v2", handle: assign },
  { method: "GET", path: `${base}/assignments`, api: "v2", handle: assignments },
  { method: "POST", path: `${base}/positions`, api: "v2", handle: seek },
  { method: "POST", path: `${base}/positions/beginning`, api: "v2", handle: seekToEnd("earliest") },
  { method: "POST", path: `${base}/positions/end`, api: "v2", handle: seekToEnd("latest") },
  { method: "POST", path: `${base}/offsets`, api: "v2", handle: commit },
  { method: "GET", path: `${base}/offsets`, api: "v2", handle: committed },
  {
    method: "GET",
    path: `${base}/records`,
    api: "v2",
    produces: (accept) => recordsResponse(accept)?.contentType,
    handle: records,
  },
];
