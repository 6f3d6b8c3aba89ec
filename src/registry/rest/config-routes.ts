import { registryErrors } from "../registry-error.js";
import type { Mode, RegistryConfig } from "../schema-types.js";
import { isCompatibilityLevel, isMode } from "../schema-types.js";
import { bodyObject, flag } from "./request-parsing.js";
import type { RestHandler, RestRequest } from "./rest-types.js";

/** Handlers under `/config` and `/mode`; a missing `subject` param means the global setting. */

function subjectParam(request: RestRequest): string | null {
  return request.params["subject"] ?? null;
}

/** GET answers use `compatibilityLevel`; PUT answers echo the request's `compatibility`. */
function configBody(
  config: RegistryConfig,
  key: "compatibilityLevel" | "compatibility",
): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  if (config.compatibilityLevel !== undefined) out[key] = config.compatibilityLevel;
  if (config.normalize !== undefined) out["normalize"] = config.normalize;
  return { ...out, ...config.extra };
}

export const getConfig: RestHandler = (registry, request) => {
  const subject = subjectParam(request);
  const config =
    subject === null
      ? registry.globalConfig()
      : registry.subjectConfig(subject, flag(request.query, "defaultToGlobal"));
  return { json: configBody(config, "compatibilityLevel") };
};

function parseConfigUpdate(body: unknown): RegistryConfig {
  const json = bodyObject(body);
  const update: RegistryConfig = {};
  const level = json["compatibility"] ?? json["compatibilityLevel"];
  if (level !== undefined && level !== null) {
    const upper = typeof level === "string" ? level.toUpperCase() : "";
    if (!isCompatibilityLevel(upper)) throw registryErrors.invalidCompatibilityLevel(String(level));
    update.compatibilityLevel = upper;
  }
  if (typeof json["normalize"] === "boolean") update.normalize = json["normalize"];
  const extra: Record<string, unknown> = {};
  for (const key of [
    "compatibilityGroup",
    "compatibilityPolicy",
    "alias",
    "validateFields",
    "defaultMetadata",
    "overrideMetadata",
    "defaultRuleSet",
    "overrideRuleSet",
  ]) {
    if (json[key] !== undefined && json[key] !== null) extra[key] = json[key];
  }
  if (Object.keys(extra).length > 0) update.extra = extra;
  if (update.compatibilityLevel === undefined && update.normalize === undefined && !update.extra) {
    throw registryErrors.invalidCompatibilityLevel(String(level));
  }
  return update;
}

export const putConfig: RestHandler = async (registry, request) => {
  const update = parseConfigUpdate(request.body);
  await registry.setConfig(subjectParam(request), update);
  return { json: configBody(update, "compatibility") };
};

export const deleteConfig: RestHandler = async (registry, request) => ({
  json: configBody(await registry.deleteConfig(subjectParam(request)), "compatibilityLevel"),
});

export const getMode: RestHandler = (registry, request) => {
  const subject = subjectParam(request);
  const mode =
    subject === null
      ? registry.globalMode()
      : registry.subjectMode(subject, flag(request.query, "defaultToGlobal"));
  return { json: { mode } };
};

export const putMode: RestHandler = async (registry, request) => {
  const requested = bodyObject(request.body)["mode"];
  const mode = typeof requested === "string" ? requested.toUpperCase() : "";
  if (!isMode(mode)) throw registryErrors.invalidMode(String(requested));
  await registry.setMode(subjectParam(request), mode as Mode, flag(request.query, "force"));
  return { json: { mode } };
};

export const deleteMode: RestHandler = async (registry, request) => ({
  json: { mode: await registry.deleteMode(subjectParam(request)) },
});
