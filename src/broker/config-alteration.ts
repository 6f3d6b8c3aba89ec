import { formatConfigValue } from "../base/index.js";
import {
  ConfigResourceType,
  type MetadataImage,
  type MetadataRecord,
  topicNameProblem,
} from "../metadata/index.js";
import { AclOperation, ErrorCode, errorCodeInfo, KafkaError } from "../protocol/index.js";
import { LOG_CONFIG_KEYS, validateTopicConfigs } from "../storage/index.js";
import type { RequestContext } from "./api-handler.js";
import { brokerConfigKeys } from "./broker-config.js";
import { KAFKA_DYNAMIC_BROKER_CONFIGS } from "./broker-config-describe.js";
import {
  ConfigResourceKind,
  checkResourceNodeId,
  configResourceKindName,
  configResourceRefusal,
} from "./config-resource.js";
import type { AuthorizerAccess, BrokerSettings, ControllerAccess, MetadataView } from "./handler-context.js";

/** IncrementalAlterConfigs operations (Kafka's AlterConfigOp.OpType ids). */
export const AlterConfigOp = { SET: 0, DELETE: 1, APPEND: 2, SUBTRACT: 3 } as const;
const OP_NAMES = ["SET", "DELETE", "APPEND", "SUBTRACT"];

/** One requested change; the legacy AlterConfigs API is all SETs of the resource's whole set. */
export interface ConfigChange {
  name: string;
  op: number;
  value: string | null;
}

export interface ResourceToAlter {
  resourceType: number;
  resourceName: string;
  configs: readonly ConfigChange[];
}

export interface ResourceAlterResult {
  resourceType: number;
  resourceName: string;
  errorCode: number;
  errorMessage: string | null;
}

/** Every resource of a request failed with `errorCode` (an unsupported version, ...). */
export function everyResourceFailed(
  resources: readonly { resourceType: number; resourceName: string }[],
  errorCode: number,
): { throttleTimeMs: number; responses: ResourceAlterResult[] } {
  return {
    throttleTimeMs: 0,
    responses: resources.map((r) => ({
      errorCode,
      errorMessage: null,
      resourceType: r.resourceType,
      resourceName: r.resourceName,
    })),
  };
}

/**
 * AlterConfigs and IncrementalAlterConfigs, with Kafka's checks in Kafka's order (the broker's
 * ConfigAdminManager preprocessing, then the controller's validation and existence check). Every
 * resource succeeds or fails alone; the records of those that succeed are committed together,
 * unless `validateOnly`. `legacy`: AlterConfigs, where the given configs replace the resource's
 * whole set of overrides.
 *
 * Broker resources: Brook applies no dynamic broker config yet. Keys Kafka cannot change at runtime
 * get Kafka's INVALID_REQUEST ("Cannot update these configs dynamically"); keys Kafka could change
 * get POLICY_VIOLATION saying to set them in server.properties. Deleting (which changes nothing, as
 * nothing is set dynamically) succeeds.
 */
export async function alterConfigs(
  broker: MetadataView & ControllerAccess & BrokerSettings,
  resources: readonly ResourceToAlter[],
  options: { validateOnly: boolean; legacy: boolean },
): Promise<ResourceAlterResult[]> {
  // Topic configs are decided by the controller against its image; the rest is this broker's.
  const needsController =
    !options.validateOnly && resources.some((r) => r.resourceType === ConfigResourceKind.TOPIC);
  if (!needsController) return alterConfigsAgainst(broker, broker.image, resources, options).results;
  return broker.decide("alter configs", (image) => {
    const { results, records } = alterConfigsAgainst(broker, image, resources, options);
    return { records, result: results };
  });
}

/**
 * alterConfigs for a client's request: each resource first needs ALTER_CONFIGS (on the cluster for
 * brokers and loggers), as Kafka's controller checks; the refused ones answer their type's
 * authorization error with its message, after the others.
 */
export async function alterConfigsAuthorized(
  broker: MetadataView & ControllerAccess & BrokerSettings & AuthorizerAccess,
  context: RequestContext,
  resources: readonly ResourceToAlter[],
  options: { validateOnly: boolean; legacy: boolean },
): Promise<ResourceAlterResult[]> {
  const authorizer = broker.authorizer;
  if (authorizer === null) return alterConfigs(broker, resources, options);
  const refusals = resources.map((r) =>
    configResourceRefusal(authorizer, context, r, AclOperation.ALTER_CONFIGS),
  );
  const allowed = resources.filter((_, i) => refusals[i] === null);
  const results = allowed.length === 0 ? [] : await alterConfigs(broker, allowed, options);
  const refused = resources.flatMap((r, i) => {
    const errorCode = refusals[i] ?? null;
    if (errorCode === null) return [];
    const errorMessage = errorCodeInfo.get(errorCode)?.message ?? null;
    return [{ resourceType: r.resourceType, resourceName: r.resourceName, errorCode, errorMessage }];
  });
  return [...results, ...refused];
}

function alterConfigsAgainst(
  broker: MetadataView & ControllerAccess & BrokerSettings,
  image: MetadataImage,
  resources: readonly ResourceToAlter[],
  options: { validateOnly: boolean; legacy: boolean },
): { results: ResourceAlterResult[]; records: MetadataRecord[] } {
  const counts = new Map<string, number>();
  const id = (r: ResourceToAlter) => `${r.resourceType}\u0000${r.resourceName}`;
  for (const r of resources) counts.set(id(r), (counts.get(id(r)) ?? 0) + 1);
  const records: MetadataRecord[] = [];
  const results = resources.map((resource): ResourceAlterResult => {
    const { resourceType, resourceName } = resource;
    if ((counts.get(id(resource)) ?? 0) > 1) {
      const errorMessage = "Each resource must appear at most once.";
      return { resourceType, resourceName, errorCode: ErrorCode.INVALID_REQUEST, errorMessage };
    }
    try {
      records.push(...alterResource(broker, image, resource, options.legacy));
      return { resourceType, resourceName, errorCode: ErrorCode.NONE, errorMessage: null };
    } catch (error) {
      if (!(error instanceof KafkaError)) throw error;
      return { resourceType, resourceName, errorCode: error.errorCode, errorMessage: error.message };
    }
  });
  return { results, records: options.validateOnly ? [] : records };
}

function alterResource(
  broker: MetadataView & ControllerAccess & BrokerSettings,
  image: MetadataImage,
  resource: ResourceToAlter,
  legacy: boolean,
): MetadataRecord[] {
  const names = resource.configs.map((c) => c.name);
  if (new Set(names).size !== names.length)
    throw new KafkaError(ErrorCode.INVALID_REQUEST, "Error due to duplicate config keys");
  const nullUpdates = resource.configs.filter((c) => c.value === null && c.op !== AlterConfigOp.DELETE);
  if (nullUpdates.length > 0) {
    throw new KafkaError(
      ErrorCode.INVALID_REQUEST,
      `Null value not supported for : ${nullUpdates.map((c) => c.name).join(", ")}`,
    );
  }
  switch (resource.resourceType) {
    case ConfigResourceKind.TOPIC:
      return alterTopic(broker, image, resource, legacy);
    case ConfigResourceKind.BROKER:
      alterBroker(broker, resource);
      return [];
    case ConfigResourceKind.BROKER_LOGGER:
      if (legacy) break;
      alterBrokerLoggers(broker, resource);
      return [];
    case ConfigResourceKind.GROUP:
    case ConfigResourceKind.CLIENT_METRICS:
      throw new KafkaError(
        ErrorCode.INVALID_REQUEST,
        `Brook keeps no ${configResourceKindName(resource.resourceType)} configs`,
      );
  }
  throw new KafkaError(ErrorCode.INVALID_REQUEST, `Unknown resource type ${resource.resourceType}`);
}

/** Validates the topic's new set of overrides as a whole, then lets the controller write the diff. */
function alterTopic(
  broker: ControllerAccess & BrokerSettings,
  image: MetadataImage,
  resource: ResourceToAlter,
  legacy: boolean,
): MetadataRecord[] {
  const topic = resource.resourceName;
  if (topic === "")
    throw new KafkaError(ErrorCode.INVALID_REQUEST, "Default topic resources are not allowed.");
  const problem = topicNameProblem(topic);
  if (problem !== null) throw new KafkaError(ErrorCode.INVALID_TOPIC_EXCEPTION, problem);
  const current = image.topicConfig(topic);
  const target = legacy
    ? new Map(resource.configs.map((c) => [c.name, c.value as string]))
    : applyIncremental(current, resource.configs);
  validateTopicConfigs(target, broker.topicDefaults);
  if (image.topic(topic) === undefined)
    throw new KafkaError(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `The topic '${topic}' does not exist.`);
  const changes = new Map<string, string | null>();
  for (const [name, value] of target) if (current.get(name) !== value) changes.set(name, value);
  for (const name of current.keys()) if (!target.has(name)) changes.set(name, null);
  const outcome = broker.controller.alterConfigs(image, ConfigResourceType.topic, topic, changes);
  if (outcome.errorCode !== ErrorCode.NONE)
    throw new KafkaError(outcome.errorCode, outcome.errorMessage ?? undefined);
  return outcome.records;
}

/** The overrides after SET / DELETE / APPEND / SUBTRACT (the last two only on list configs). */
export function applyIncremental(
  current: ReadonlyMap<string, string>,
  changes: readonly ConfigChange[],
): Map<string, string> {
  const next = new Map(current);
  for (const change of changes) {
    switch (change.op) {
      case AlterConfigOp.SET:
        next.set(change.name, change.value as string);
        break;
      case AlterConfigOp.DELETE:
        next.delete(change.name);
        break;
      case AlterConfigOp.APPEND:
      case AlterConfigOp.SUBTRACT: {
        const key = LOG_CONFIG_KEYS.get(change.name);
        if (key?.type !== "list") {
          throw new KafkaError(
            ErrorCode.INVALID_CONFIG,
            `Can't ${OP_NAMES[change.op]} to key ${change.name} because its type is not LIST.`,
          );
        }
        // Like Kafka, an unset key starts from the topic config's own default.
        const parts = listParts(current.get(change.name) ?? formatConfigValue(key.default ?? null));
        for (const item of javaSplit(change.value as string)) {
          const at = parts.indexOf(item);
          if (change.op === AlterConfigOp.APPEND && at === -1) parts.push(item);
          if (change.op === AlterConfigOp.SUBTRACT && at !== -1) parts.splice(at, 1);
        }
        next.set(change.name, parts.join(","));
        break;
      }
      default:
        throw new KafkaError(ErrorCode.INVALID_REQUEST, `Unknown operations type ${change.op}`);
    }
  }
  return next;
}

function listParts(value: string | null): string[] {
  return value === null ? [] : value.split(",").filter((p) => p !== "");
}

/** Java's String.split(","): trailing empty strings are dropped. */
function javaSplit(value: string): string[] {
  const parts = value.split(",");
  while (parts.length > 0 && parts[parts.length - 1] === "") parts.pop();
  return parts;
}

function alterBroker(broker: MetadataView, resource: ResourceToAlter): void {
  const nodeId = broker.nodeId;
  if (resource.resourceName !== "") checkResourceNodeId(resource.resourceName, nodeId, "Node", `${nodeId},`);
  const unknownOp = resource.configs.find((c) => c.op < AlterConfigOp.SET || c.op > AlterConfigOp.SUBTRACT);
  if (unknownOp !== undefined)
    throw new KafkaError(ErrorCode.INVALID_REQUEST, `Unknown operations type ${unknownOp.op}`);
  const setting = resource.configs.filter((c) => c.op !== AlterConfigOp.DELETE).map((c) => c.name);
  if (setting.length === 0) return;
  const readOnly = setting.filter((k) => brokerConfigKeys.has(k) && !KAFKA_DYNAMIC_BROKER_CONFIGS.has(k));
  if (readOnly.length > 0) {
    throw new KafkaError(
      ErrorCode.INVALID_REQUEST,
      `Cannot update these configs dynamically: Set(${readOnly.join(", ")})`,
    );
  }
  throw new KafkaError(
    ErrorCode.POLICY_VIOLATION,
    `Brook does not support dynamic broker configs yet: set Set(${setting.join(", ")}) in server.properties and restart the broker`,
  );
}

/** Brook has no runtime-adjustable loggers: every logger name is unknown, as Kafka reports it. */
function alterBrokerLoggers(broker: MetadataView, resource: ResourceToAlter): void {
  checkResourceNodeId(resource.resourceName, broker.nodeId, "Node", String(broker.nodeId));
  for (const c of resource.configs) {
    if (c.op === AlterConfigOp.SET || c.op === AlterConfigOp.DELETE)
      throw new KafkaError(ErrorCode.INVALID_CONFIG, `Logger ${c.name} does not exist!`);
    const message =
      OP_NAMES[c.op] === undefined
        ? `Unknown operation type ${c.op} is not allowed for the BROKER_LOGGER resource`
        : `${OP_NAMES[c.op]} operation is not allowed for the BROKER_LOGGER resource`;
    throw new KafkaError(ErrorCode.INVALID_REQUEST, message);
  }
}
