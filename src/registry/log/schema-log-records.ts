import { parseMetadata, parseRuleSet } from "../data-contract.js";
import type { Mode, RegistryConfig, SchemaReference, SchemaType, SchemaVersion } from "../schema-types.js";
import { isCompatibilityLevel, isMode, isSchemaType } from "../schema-types.js";

/**
 * The records of the `_schemas` topic, byte-compatible with Confluent's registry: keys and
 * values are UTF-8 JSON. Keys are written in Confluent's field order (keytype, subject, version,
 * magic) without whitespace, so that compaction, which keys on exact bytes, keeps only the latest
 * record of each logical key. Reading accepts any field order, unknown fields, both spellings of
 * the global CONFIG/MODE key (`subject` omitted or null) and legacy magic 0 SCHEMA keys.
 */

export type SchemaLogKey =
  | { keytype: "SCHEMA"; subject: string; version: number }
  | { keytype: "CONFIG"; subject: string | null }
  | { keytype: "MODE"; subject: string | null }
  | { keytype: "DELETE_SUBJECT"; subject: string }
  | { keytype: "CLEAR_SUBJECT"; subject: string }
  | { keytype: "NOOP" }
  | { keytype: "CONTEXT"; tenant: string; context: string };

export interface DeleteSubjectValue {
  subject: string;
  version: number;
}

export function encodeKey(key: SchemaLogKey): Buffer {
  let json: string;
  switch (key.keytype) {
    case "SCHEMA":
      json = JSON.stringify({ keytype: key.keytype, subject: key.subject, version: key.version, magic: 1 });
      break;
    case "CONFIG":
    case "MODE":
      json =
        key.subject === null
          ? JSON.stringify({ keytype: key.keytype, magic: 0 })
          : JSON.stringify({ keytype: key.keytype, subject: key.subject, magic: 0 });
      break;
    case "DELETE_SUBJECT":
    case "CLEAR_SUBJECT":
      json = JSON.stringify({ keytype: key.keytype, subject: key.subject, magic: 0 });
      break;
    case "NOOP":
      json = JSON.stringify({ keytype: key.keytype, magic: 0 });
      break;
    case "CONTEXT":
      json = JSON.stringify({ keytype: key.keytype, tenant: key.tenant, context: key.context, magic: 0 });
      break;
  }
  return Buffer.from(json, "utf8");
}

export function encodeSchemaValue(value: SchemaVersion): Buffer {
  const out: Record<string, unknown> = { subject: value.subject, version: value.version, id: value.id };
  // Releases up to 7.9 omit schemaType for Avro; every release reads its absence as AVRO.
  if (value.schemaType !== "AVRO") out["schemaType"] = value.schemaType;
  if (value.references.length > 0) out["references"] = value.references;
  out["schema"] = value.schema;
  if (value.metadata !== undefined) out["metadata"] = value.metadata;
  if (value.ruleSet !== undefined) out["ruleSet"] = value.ruleSet;
  out["deleted"] = value.deleted;
  return Buffer.from(JSON.stringify(out), "utf8");
}

export function encodeConfigValue(subject: string | null, config: RegistryConfig): Buffer {
  const out: Record<string, unknown> = {};
  if (subject !== null) out["subject"] = subject;
  if (config.compatibilityLevel !== undefined) out["compatibilityLevel"] = config.compatibilityLevel;
  if (config.normalize !== undefined) out["normalize"] = config.normalize;
  Object.assign(out, config.extra);
  return Buffer.from(JSON.stringify(out), "utf8");
}

export function encodeModeValue(subject: string | null, mode: Mode): Buffer {
  const out = subject === null ? { mode } : { subject, mode };
  return Buffer.from(JSON.stringify(out), "utf8");
}

/** A named context's record, written on its first registration (Confluent's ContextValue). */
export function encodeContextValue(tenant: string, context: string): Buffer {
  return Buffer.from(JSON.stringify({ tenant, context }), "utf8");
}

export function encodeDeleteSubjectValue(value: DeleteSubjectValue): Buffer {
  return Buffer.from(JSON.stringify({ subject: value.subject, version: value.version }), "utf8");
}

function parseObject(bytes: Buffer): Record<string, unknown> | undefined {
  try {
    const parsed: unknown = JSON.parse(bytes.toString("utf8"));
    return typeof parsed === "object" && parsed !== null && !Array.isArray(parsed)
      ? (parsed as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}

const isInt = (value: unknown): value is number => typeof value === "number" && Number.isInteger(value);

/** Decodes a key; undefined for keys this registry does not understand (they are skipped). */
export function decodeKey(bytes: Buffer): SchemaLogKey | undefined {
  const json = parseObject(bytes);
  if (!json) return undefined;
  const subject = json["subject"];
  switch (json["keytype"]) {
    case "SCHEMA": {
      const magic = json["magic"] ?? 0;
      if (typeof subject !== "string" || !isInt(json["version"]) || !isInt(magic) || magic > 1)
        return undefined;
      return { keytype: "SCHEMA", subject, version: json["version"] };
    }
    case "CONFIG":
    case "MODE":
      if (subject !== undefined && subject !== null && typeof subject !== "string") return undefined;
      return { keytype: json["keytype"], subject: subject ?? null };
    case "DELETE_SUBJECT":
    case "CLEAR_SUBJECT":
      return typeof subject === "string" ? { keytype: json["keytype"], subject } : undefined;
    case "NOOP":
      return { keytype: "NOOP" };
    case "CONTEXT":
      return {
        keytype: "CONTEXT",
        tenant: String(json["tenant"] ?? ""),
        context: String(json["context"] ?? ""),
      };
    default:
      return undefined;
  }
}

function decodeReferences(value: unknown): SchemaReference[] | undefined {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) return undefined;
  const out: SchemaReference[] = [];
  for (const item of value) {
    const ref = item as Record<string, unknown>;
    if (typeof ref?.["name"] !== "string" || typeof ref["subject"] !== "string" || !isInt(ref["version"])) {
      return undefined;
    }
    out.push({ name: ref["name"], subject: ref["subject"], version: ref["version"] });
  }
  return out;
}

export function decodeSchemaValue(bytes: Buffer): SchemaVersion | undefined {
  const json = parseObject(bytes);
  if (!json) return undefined;
  const { subject, version, id, schema } = json;
  const schemaType = json["schemaType"] ?? "AVRO";
  const references = decodeReferences(json["references"]);
  if (typeof subject !== "string" || !isInt(version) || !isInt(id) || typeof schema !== "string")
    return undefined;
  if (typeof schemaType !== "string" || !isSchemaType(schemaType) || !references) return undefined;
  const decoded: SchemaVersion = {
    subject,
    version,
    id,
    schemaType: schemaType as SchemaType,
    references,
    schema,
    deleted: json["deleted"] === true,
  };
  try {
    const metadata = parseMetadata(json["metadata"]);
    const ruleSet = parseRuleSet(json["ruleSet"]);
    if (metadata !== undefined) decoded.metadata = metadata;
    if (ruleSet !== undefined) decoded.ruleSet = ruleSet;
  } catch {
    return undefined;
  }
  return decoded;
}

export function decodeConfigValue(bytes: Buffer): RegistryConfig | undefined {
  const json = parseObject(bytes);
  if (!json) return undefined;
  const config: RegistryConfig = {};
  const extra: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(json)) {
    if (key === "compatibilityLevel") {
      if (typeof value === "string" && isCompatibilityLevel(value)) config.compatibilityLevel = value;
    } else if (key === "normalize") {
      if (typeof value === "boolean") config.normalize = value;
    } else if (key !== "subject" && value !== null) {
      extra[key] = value;
    }
  }
  if (Object.keys(extra).length > 0) config.extra = extra;
  return config;
}

export function decodeModeValue(bytes: Buffer): Mode | undefined {
  const mode = parseObject(bytes)?.["mode"];
  return typeof mode === "string" && isMode(mode) ? mode : undefined;
}

export function decodeDeleteSubjectValue(bytes: Buffer): DeleteSubjectValue | undefined {
  const json = parseObject(bytes);
  if (!json || typeof json["subject"] !== "string" || !isInt(json["version"])) return undefined;
  return { subject: json["subject"], version: json["version"] };
}
