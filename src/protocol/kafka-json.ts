/**
 * Kafka's JSON rendering of protocol structs, as its generated `...JsonConverter.write` builds a
 * Jackson tree and its tools print that tree (kafka-dump-log.sh's decoders, for one). The
 * converters themselves are generated (`generated/json/`); this is the tree they build and its
 * text, written as Jackson writes it so that the output reads the same as Kafka's.
 *
 * Values: int8..int32 and uint16/uint32 as numbers, int64 as bigints, float64 wrapped in
 * JsonDouble (Java prints a double differently from an integer), UUIDs and strings as strings,
 * bytes as Buffers (base64 in the text), arrays and structs as arrays and objects.
 */
export type KafkaJson =
  | null
  | boolean
  | number
  | bigint
  | string
  | Buffer
  | JsonDouble
  | KafkaJson[]
  | KafkaJsonObject;

/** A struct: fields in the order of its spec (none of Kafka's field names looks like an index). */
export interface KafkaJsonObject {
  [field: string]: KafkaJson;
}

/** A float64 field, printed as Java's Double.toString prints it. */
export class JsonDouble {
  readonly value: number;

  constructor(value: number) {
    this.value = value;
  }
}

export function jsonDouble(value: number): JsonDouble {
  return new JsonDouble(value);
}

/** The compact text Jackson writes for a tree (ObjectNode.toString). */
export function kafkaJsonText(value: KafkaJson): string {
  if (value === null) return "null";
  switch (typeof value) {
    case "boolean":
    case "number":
    case "bigint":
      return String(value);
    case "string":
      return quote(value);
  }
  if (Buffer.isBuffer(value)) return quote(value.toString("base64"));
  if (value instanceof JsonDouble) return javaDouble(value.value);
  if (Array.isArray(value)) return `[${value.map(kafkaJsonText).join(",")}]`;
  const fields = Object.entries(value).map(([k, v]) => `${quote(k)}:${kafkaJsonText(v)}`);
  return `{${fields.join(",")}}`;
}

/** Jackson's escaping: quote, backslash, and control characters (the common five by letter, the rest as \\u00XX in upper case). */
function quote(text: string): string {
  let out = '"';
  for (const ch of text) {
    const code = ch.charCodeAt(0);
    if (ch === '"' || ch === "\\") out += `\\${ch}`;
    else if (code >= 0x20) out += ch;
    else out += SHORT_ESCAPES[ch] ?? `\\u${code.toString(16).toUpperCase().padStart(4, "0")}`;
  }
  return `${out}"`;
}

const SHORT_ESCAPES: Readonly<Record<string, string>> = {
  "\b": "\\b",
  "\t": "\\t",
  "\n": "\\n",
  "\f": "\\f",
  "\r": "\\r",
};

/**
 * Java's Double.toString: plain decimal with at least one fractional digit within [10^-3, 10^7),
 * else `d.dddE±n`; the shortest digits that read back as the same double, as JavaScript's.
 */
export function javaDouble(x: number): string {
  if (Number.isNaN(x)) return "NaN";
  if (!Number.isFinite(x)) return x > 0 ? "Infinity" : "-Infinity";
  if (x === 0) return Object.is(x, -0) ? "-0.0" : "0.0";
  const abs = Math.abs(x);
  if (abs >= 1e-3 && abs < 1e7) {
    const text = String(x);
    return text.includes(".") ? text : `${text}.0`;
  }
  const [mantissa, exponent] = x.toExponential().split("e") as [string, string];
  return `${mantissa.includes(".") ? mantissa : `${mantissa}.0`}E${Number(exponent)}`;
}
