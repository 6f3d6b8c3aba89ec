import { AlterConfigOp, ConfigResourceType } from "../client/index.js";
import { ErrorCode } from "../protocol/index.js";
import { arrayField, bodyObject, booleanField, objectItems, stringField } from "./body-fields.js";
import {
  NO_CONTENT,
  type ProxyReply,
  type ProxyRequest,
  type ProxyRoute,
  type ProxyServices,
} from "./proxy-route.js";
import { clusterCall, kafkaErrorAnswer, restErrors } from "./rest-error.js";
import { configEntries, configReply, configsReply, type OwnedConfigs, ownedConfigs } from "./v3-configs.js";
import { describeV3Topic } from "./v3-topics.js";

/**
 * API v3's topic configs (kafka-rest's TopicConfigsResource and AlterTopicConfigBatchAction):
 * list and get them as DescribeConfigs answers (with synonyms), set one (PUT), reset one to its
 * default (DELETE), or set and reset several at once (`configs:alter`, optionally validate_only),
 * all through IncrementalAlterConfigs.
 */

async function topicConfigs(request: ProxyRequest, services: ProxyServices): Promise<OwnedConfigs> {
  const [links, topic] = await describeV3Topic(request, services);
  const name = topic.name;
  const entries = await configEntries(services, {
    resourceType: ConfigResourceType.topic,
    resourceName: name,
  });
  const at = { segments: ["topics", name, "configs"], names: ["topic", name] };
  return ownedConfigs(links, "KafkaTopicConfig", at, entries, { topic_name: name });
}

async function listConfigs(request: ProxyRequest, services: ProxyServices): Promise<ProxyReply> {
  return configsReply(await topicConfigs(request, services));
}

async function getConfig(request: ProxyRequest, services: ProxyServices): Promise<ProxyReply> {
  return configReply(await topicConfigs(request, services), request.params["name"]);
}

async function alter(
  request: ProxyRequest,
  services: ProxyServices,
  configs: { name: string; configOperation: AlterConfigOp; value: string | null }[],
  validateOnly: boolean,
): Promise<ProxyReply> {
  const [, topic] = await describeV3Topic(request, services);
  const [result] = await clusterCall(() =>
    services.admin.incrementalAlterConfigs(
      [{ resourceType: ConfigResourceType.topic, resourceName: topic.name, configs }],
      { validateOnly },
    ),
  );
  if (result !== undefined && result.errorCode !== ErrorCode.NONE)
    throw kafkaErrorAnswer(result.errorCode, result.errorMessage);
  return NO_CONTENT;
}

async function updateConfig(request: ProxyRequest, services: ProxyServices): Promise<ProxyReply> {
  const body = bodyObject(request.body);
  const value = body === undefined ? null : (stringField(body, "value") ?? null);
  const name = request.params["name"] as string;
  return alter(request, services, [{ name, configOperation: AlterConfigOp.set, value }], false);
}

async function resetConfig(request: ProxyRequest, services: ProxyServices): Promise<ProxyReply> {
  const name = request.params["name"] as string;
  return alter(request, services, [{ name, configOperation: AlterConfigOp.delete, value: null }], false);
}

async function alterBatch(request: ProxyRequest, services: ProxyServices): Promise<ProxyReply> {
  const body = bodyObject(request.body);
  if (body === undefined) throw restErrors.invalidPayload("Null input provided. Data is required.");
  const configs = objectItems(arrayField(body, "data") ?? []).map((item) => {
    const name = stringField(item, "name");
    if (name === undefined) throw restErrors.constraintViolation("name must not be null");
    const operation = (stringField(item, "operation") ?? "SET").toUpperCase();
    if (operation !== "SET" && operation !== "DELETE")
      throw restErrors.malformedJson(
        `Cannot deserialize value of type \`AlterConfigCommand.Operation\` from String ${JSON.stringify(operation)}`,
      );
    return {
      name,
      configOperation: operation === "SET" ? AlterConfigOp.set : AlterConfigOp.delete,
      value: operation === "SET" ? (stringField(item, "value") ?? null) : null,
    };
  });
  return alter(request, services, configs, booleanField(body, "validate_only") ?? false);
}

const configs = "/v3/clusters/:cluster/topics/:topic/configs";

export const v3TopicConfigRoutes: readonly ProxyRoute[] = [
  { method: "GET", path: configs, api: "v3", handle: listConfigs },
  { method: "POST", path: `${configs}:alter`, api: "v3", handle: alterBatch },
  { method: "GET", path: `${configs}/:name`, api: "v3", handle: getConfig },
  { method: "PUT", path: `${configs}/:name`, api: "v3", handle: updateConfig },
  { method: "DELETE", path: `${configs}/:name`, api: "v3", handle: resetConfig },
];
