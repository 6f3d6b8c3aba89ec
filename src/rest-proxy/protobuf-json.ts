import type protobuf from "protobufjs";
import { restErrors } from "./rest-error.js";

/**
 * Protobuf's JSON mapping, as kafka-rest reads and writes it (protobuf-java's JsonFormat): fields
 * by their JSON name (lowerCamelCase unless `json_name` says otherwise; the proto name is read
 * too), 64-bit integers and enums as strings, bytes as base64, default values written. Brook
 * parses schemas keeping the proto names, which protobufjs' own conversion uses; these functions
 * rename between the two and leave the value conversions to protobufjs.
 */

const PROTOBUF_DEPTH_MAX = 64;

/** The JSON name protobuf gives a field: its `json_name`, else the name in lowerCamelCase. */
function jsonName(field: protobuf.Field): string {
  const declared = field.options?.["json_name"];
  if (typeof declared === "string") return declared;
  return field.name.replace(/_([a-z0-9])/g, (_m, c: string) => c.toUpperCase());
}

function messageType(field: protobuf.Field): protobuf.Type | null {
  const resolved = field.resolvedType;
  return resolved !== null && "fieldsArray" in resolved ? (resolved as protobuf.Type) : null;
}

/** A decoded message as protobuf JSON. */
export function protobufToJson(type: protobuf.Type, message: protobuf.Message): unknown {
  const plain = type.toObject(message, {
    longs: String,
    enums: String,
    bytes: String,
    defaults: true,
    json: true,
  });
  return renameOut(type, plain, 0);
}

function renameOut(
  type: protobuf.Type,
  plain: Record<string, unknown>,
  depth: number,
): Record<string, unknown> {
  if (depth > PROTOBUF_DEPTH_MAX) throw new Error("Protobuf value nested too deeply");
  const out: Record<string, unknown> = {};
  for (const field of type.fieldsArray) {
    const value = plain[field.name];
    // JsonFormat leaves out message fields that are not set, defaults or not.
    if (value === undefined || value === null) continue;
    out[jsonName(field)] = mapFieldValue(field, value, (t, v) => renameOut(t, v, depth + 1));
  }
  return out;
}

/** A JSON object in protobuf's JSON mapping as the message it describes; 400 for a field the message lacks. */
export function protobufFromJson(type: protobuf.Type, json: unknown): protobuf.Message {
  if (typeof json !== "object" || json === null || Array.isArray(json))
    throw restErrors.badRequest(`Expect message object but got: ${JSON.stringify(json)}`);
  return type.fromObject(renameIn(type, json as Record<string, unknown>, 0));
}

function renameIn(
  type: protobuf.Type,
  json: Record<string, unknown>,
  depth: number,
): Record<string, unknown> {
  if (depth > PROTOBUF_DEPTH_MAX) throw restErrors.badRequest("Protobuf value nested too deeply");
  const out: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(json)) {
    const field = type.fieldsArray.find((f) => f.name === name || jsonName(f) === name);
    if (field === undefined)
      throw restErrors.badRequest(
        `Cannot find field: ${name} in message ${type.fullName.replace(/^\./, "")}`,
      );
    if (value === null) continue;
    out[field.name] = mapFieldValue(field, value, (t, v) => renameIn(t, v, depth + 1));
  }
  return out;
}

/** Applies `nested` to the message values of a field (singular, repeated or map values). */
function mapFieldValue(
  field: protobuf.Field,
  value: unknown,
  nested: (type: protobuf.Type, value: Record<string, unknown>) => Record<string, unknown>,
): unknown {
  const type = messageType(field);
  if (type === null) return value;
  const one = (v: unknown) =>
    typeof v === "object" && v !== null && !Array.isArray(v) ? nested(type, v as Record<string, unknown>) : v;
  if ((field as unknown as protobuf.MapField).map === true && typeof value === "object" && value !== null)
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, one(v)]));
  if (field.repeated && Array.isArray(value)) return value.map(one);
  return one(value);
}
