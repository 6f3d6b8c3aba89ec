import { javaDoubleText } from "../../base/index.js";

/**
 * JSON input files as Kafka's tools read them (its server-common Json, JsonValue and DecodeJson
 * over Jackson's tree): numbers keep Jackson's kinds (an int, a long, a bigger integer, a double),
 * since `"partition": 1.0` or `3000000000` is refused where an Integer is expected; content after
 * the first value is ignored, as Jackson's readTree ignores it; and a node prints as Jackson
 * prints it, which Kafka's messages show ("Expected `Integer` value, received 1.0").
 */

export type JsonNode =
  | { kind: "object"; fields: Map<string, JsonNode> }
  | { kind: "array"; items: JsonNode[] }
  | { kind: "string"; value: string }
  /** An integer: "int" within 32 bits, "long" within 64, "bigint" beyond. */
  | { kind: "int" | "long" | "bigint"; value: bigint }
  | { kind: "double"; value: number }
  | { kind: "boolean"; value: boolean }
  | { kind: "null" }
  /** Jackson's MissingNode: a text of whitespace only. */
  | { kind: "missing" };

/** Jackson's JsonMappingException: the JSON parsed but is not what was expected. */
export class JsonMappingError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "JsonMappingError";
  }
}

/** Jackson's default nesting limit (StreamReadConstraints). */
const DEPTH_MAX = 1000;

class NotJson extends Error {}

/** Kafka's Json.parseFull: the first JSON value of `text`, or null where Jackson would fail (or for ""). */
export function parseJson(text: string): JsonNode | null {
  if (text === "") return null;
  const reader = new JsonReader(text);
  try {
    reader.skipSpace();
    if (reader.atEnd()) return { kind: "missing" };
    const node = reader.value(0);
    // A number at the root must be followed by a space (Jackson's _verifyRootSpace).
    if (isNumber(node) && !reader.atEnd() && !reader.atSpace()) throw new NotJson();
    return node;
  } catch (error) {
    if (error instanceof NotJson) return null;
    throw error;
  }
}

function isNumber(node: JsonNode): boolean {
  return node.kind === "int" || node.kind === "long" || node.kind === "bigint" || node.kind === "double";
}

const SPACE = /[ \t\r\n]*/y;
const STRING = /"(?:[^"\\\u0000-\u001f]|\\(?:["\\/bfnrt]|u[0-9a-fA-F]{4}))*"/y;
const NUMBER = /-?(?:0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?/y;
const WORD = /(true|false|null)(?![\w$])/y;

class JsonReader {
  private at = 0;
  private readonly text: string;

  constructor(text: string) {
    this.text = text;
  }

  atEnd(): boolean {
    return this.at >= this.text.length;
  }

  atSpace(): boolean {
    return " \t\r\n".includes(this.text[this.at] ?? "x");
  }

  skipSpace(): void {
    this.match(SPACE);
  }

  value(depth: number): JsonNode {
    if (depth > DEPTH_MAX) throw new NotJson();
    this.skipSpace();
    const c = this.text[this.at];
    if (c === "{") return this.object(depth);
    if (c === "[") return this.array(depth);
    if (c === '"') return { kind: "string", value: this.string() };
    const word = this.match(WORD);
    if (word !== null) {
      return word[1] === "null" ? { kind: "null" } : { kind: "boolean", value: word[1] === "true" };
    }
    return this.number();
  }

  /** The next character after spaces, consumed. */
  private next(): string {
    this.skipSpace();
    return this.text[this.at++] ?? "";
  }

  private match(pattern: RegExp): RegExpExecArray | null {
    pattern.lastIndex = this.at;
    const m = pattern.exec(this.text);
    if (m !== null) this.at += m[0].length;
    return m;
  }

  private object(depth: number): JsonNode {
    this.at++;
    const fields = new Map<string, JsonNode>();
    this.skipSpace();
    if (this.text[this.at] === "}") {
      this.at++;
      return { kind: "object", fields };
    }
    for (;;) {
      this.skipSpace();
      const name = this.string();
      if (this.next() !== ":") throw new NotJson();
      // A repeated name keeps its first place and takes the last value, as in Jackson's ObjectNode.
      fields.set(name, this.value(depth + 1));
      const after = this.next();
      if (after === "}") return { kind: "object", fields };
      if (after !== ",") throw new NotJson();
    }
  }

  private array(depth: number): JsonNode {
    this.at++;
    const items: JsonNode[] = [];
    this.skipSpace();
    if (this.text[this.at] === "]") {
      this.at++;
      return { kind: "array", items };
    }
    for (;;) {
      items.push(this.value(depth + 1));
      const after = this.next();
      if (after === "]") return { kind: "array", items };
      if (after !== ",") throw new NotJson();
    }
  }

  private string(): string {
    const m = this.match(STRING);
    if (m === null) throw new NotJson();
    return JSON.parse(m[0]) as string;
  }

  private number(): JsonNode {
    const m = this.match(NUMBER);
    if (m === null) throw new NotJson();
    if (m[1] !== undefined || m[2] !== undefined) return { kind: "double", value: Number(m[0]) };
    const value = BigInt(m[0]);
    const kind =
      BigInt.asIntN(32, value) === value ? "int" : BigInt.asIntN(64, value) === value ? "long" : "bigint";
    return { kind, value };
  }
}

/** The node as Jackson's toString prints it: compact JSON, doubles as Java prints them. */
export function jsonText(node: JsonNode): string {
  switch (node.kind) {
    case "object":
      return `{${[...node.fields].map(([k, v]) => `${stringText(k)}:${jsonText(v)}`).join(",")}}`;
    case "array":
      return `[${node.items.map(jsonText).join(",")}]`;
    case "string":
      return stringText(node.value);
    case "int":
    case "long":
    case "bigint":
      return String(node.value);
    case "double":
      // Jackson quotes what JSON has no number for (QUOTE_NON_NUMERIC_NUMBERS).
      return Number.isFinite(node.value) ? javaDoubleText(node.value) : `"${javaDoubleText(node.value)}"`;
    case "boolean":
      return String(node.value);
    case "null":
      return "null";
    case "missing":
      return "";
  }
}

/** A string as Jackson writes it, which escapes control characters with upper-case hex digits. */
export function stringText(value: string): string {
  return JSON.stringify(value).replace(
    /\\u00([0-9a-f]{2})/g,
    (_, hex: string) => `\\u00${hex.toUpperCase()}`,
  );
}

// ---- Kafka's JsonValue and DecodeJson, with their messages --------------------------------------

export function asObject(node: JsonNode): Map<string, JsonNode> {
  if (node.kind === "object") return node.fields;
  throw new JsonMappingError(`Expected JSON object, received ${jsonText(node)}`);
}

export function asArray(node: JsonNode): JsonNode[] {
  if (node.kind === "array") return node.items;
  throw new JsonMappingError(`Expected JSON array, received ${jsonText(node)}`);
}

/** JsonObject.apply: a field that must be there (JSON null counts as there). */
export function field(object: Map<string, JsonNode>, name: string): JsonNode {
  const node = object.get(name);
  if (node === undefined) throw new JsonMappingError(`No such field exists: \`${name}\``);
  return node;
}

function expected(type: string, node: JsonNode): JsonMappingError {
  return new JsonMappingError(`Expected \`${type}\` value, received ${jsonText(node)}`);
}

export function toInt(node: JsonNode): number {
  if (node.kind === "int") return Number(node.value);
  throw expected("Integer", node);
}

export function toLong(node: JsonNode): bigint {
  if (node.kind === "int" || node.kind === "long") return node.value;
  throw expected("Long", node);
}

export function toText(node: JsonNode): string {
  if (node.kind === "string") return node.value;
  throw expected("String", node);
}
