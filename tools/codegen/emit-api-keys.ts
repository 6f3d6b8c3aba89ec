/** Emits api-keys.ts: ApiKey constants, the API table and the header version rules. */
import { indent } from "./conditions.js";
import { type GeneratedFile, header, type ModuleGroup } from "./emit-modules.js";
import type { MessageModel } from "./model.js";

export function importPath(path: string): string {
  return `./${path.replace(/\.ts$/, ".js")}`;
}

interface ApiPair {
  apiKey: number;
  name: string;
  request: MessageModel;
  response: MessageModel;
  module: string;
}

function apiPairs(groups: ModuleGroup[]): ApiPair[] {
  const pairs: ApiPair[] = [];
  for (const g of groups) {
    const request = g.messages.find((m) => m.spec.type === "request");
    const response = g.messages.find((m) => m.spec.type === "response");
    if (request === undefined || response === undefined) continue;
    if (request.spec.apiKey !== response.spec.apiKey) throw new Error(`${g.path}: api keys differ`);
    pairs.push({
      apiKey: request.spec.apiKey ?? -1,
      name: request.name.replace(/Request$/, ""),
      request,
      response,
      module: g.path,
    });
  }
  return pairs.sort((a, b) => a.apiKey - b.apiKey);
}

function firstFlexible(m: MessageModel): number | null {
  return m.flexible.length === 0 ? null : (m.flexible[0] as number);
}

export function emitApiKeys(groups: ModuleGroup[]): GeneratedFile {
  const pairs = apiPairs(groups);
  const lines: string[] = [header(["message/*Request.json", "message/*Response.json"]), ""];
  lines.push(`import { ProtocolDecodeError } from "../protocol-error.js";`);
  lines.push(`import type { Reader } from "../reader.js";`);
  lines.push(`import type { Writer } from "../writer.js";`);
  for (const p of pairs) {
    const r = p.request.name;
    const s = p.response.name;
    lines.push(`import { decode${r}, decode${s}, encode${r}, encode${s} } from "${importPath(p.module)}";`);
  }
  lines.push(...emitApiTable(pairs), ...emitHeaderVersionFunctions(pairs));
  return { path: "api-keys.ts", text: lines.join("\n") };
}

function emitApiTable(pairs: ApiPair[]): string[] {
  const lines: string[] = [];
  lines.push("", "/** Kafka's API keys, by API name. */", "export const ApiKey = {");
  for (const p of pairs) lines.push(`  ${p.name}: ${p.apiKey},`);
  lines.push("} as const;", "export type ApiKey = (typeof ApiKey)[keyof typeof ApiKey];", "");
  lines.push(
    "/** One API: its versions and its codecs. Requests and responses share versions and flexibility. */",
    "export interface ApiSpec {",
    "  readonly apiKey: number;",
    "  readonly name: string;",
    "  readonly minVersion: number;",
    "  readonly maxVersion: number;",
    "  /** The first flexible version (compact encodings, tagged fields), or null if none is. */",
    "  readonly firstFlexibleVersion: number | null;",
    "  /** The spec marks its highest version as unstable (not for production use). */",
    "  readonly latestVersionUnstable: boolean;",
    "  /** The listeners that serve this API in Kafka: broker, controller, zkBroker. */",
    "  readonly listeners: readonly string[];",
    "  encodeRequest(w: Writer, m: unknown, version: number, lenient?: boolean): void;",
    "  decodeRequest(r: Reader, version: number): unknown;",
    "  /** `lenient`: values the version cannot carry are left out instead of refused (for brokers building one response for all versions). */",
    "  encodeResponse(w: Writer, m: unknown, version: number, lenient?: boolean): void;",
    "  decodeResponse(r: Reader, version: number): unknown;",
    "}",
    "",
    "/** Every API of the specs, by ascending key. */",
    "export const API_SPECS: readonly ApiSpec[] = [",
  );
  for (const p of pairs) {
    const lo = p.request.valid[0] ?? 0;
    const hi = p.request.valid[p.request.valid.length - 1] ?? 0;
    if (firstFlexible(p.request) !== firstFlexible(p.response)) {
      throw new Error(`${p.name}: request and response flexible versions differ`);
    }
    const listeners = (p.request.spec.listeners ?? []).map((l) => JSON.stringify(l)).join(", ");
    lines.push(
      "  {",
      ...indent(
        [
          `apiKey: ${p.apiKey},`,
          `name: ${JSON.stringify(p.name)},`,
          `minVersion: ${lo},`,
          `maxVersion: ${hi},`,
          `firstFlexibleVersion: ${firstFlexible(p.request) ?? "null"},`,
          `latestVersionUnstable: ${p.request.spec.latestVersionUnstable === true},`,
          `listeners: [${listeners}],`,
          `encodeRequest: encode${p.request.name},`,
          `decodeRequest: decode${p.request.name},`,
          `encodeResponse: encode${p.response.name},`,
          `decodeResponse: decode${p.response.name},`,
        ],
        "    ",
      ),
      "  },",
    );
  }
  lines.push("];", "");
  lines.push(
    "const API_BY_KEY: readonly (ApiSpec | undefined)[] = (() => {",
    "  const table: (ApiSpec | undefined)[] = [];",
    "  for (const api of API_SPECS) table[api.apiKey] = api;",
    "  return table;",
    "})();",
    "",
    "/** The API with this key, or undefined for a key the specs do not define. */",
    "export function apiSpec(apiKey: number): ApiSpec | undefined {",
    "  return API_BY_KEY[apiKey];",
    "}",
    "",
    "function unknownApiKey(apiKey: number): ProtocolDecodeError {",
    // biome-ignore lint/suspicious/noTemplateCurlyInString: this is generated source text
    '  return new ProtocolDecodeError(`unknown api key ${apiKey}`, "BRK_ERR_PROTOCOL_UNKNOWN_API");',
    "}",
    "",
  );
  return lines;
}

function emitHeaderVersionFunctions(pairs: ApiPair[]): string[] {
  const lines: string[] = [];
  lines.push(
    "/**",
    " * The request header version for an API version: 2 (flexible) for flexible versions, else 1; v0",
    " * (no client id) only for ControlledShutdown v0. Versions above the highest known follow the",
    " * open-ended flexible range, so an ApiVersions request newer than the broker still parses.",
    " */",
    "export function requestHeaderVersion(apiKey: number, apiVersion: number): number {",
    "  switch (apiKey) {",
  );
  for (const p of pairs) {
    const flex = firstFlexible(p.request);
    let expr = flex === null ? "1" : `apiVersion >= ${flex} ? 2 : 1`;
    if (p.name === "ControlledShutdown") {
      expr =
        flex === null ? "apiVersion === 0 ? 0 : 1" : `apiVersion >= ${flex} ? 2 : apiVersion === 0 ? 0 : 1`;
    }
    lines.push(`    case ${p.apiKey}: // ${p.name}`, `      return ${expr};`);
  }
  lines.push("    default:", "      throw unknownApiKey(apiKey);", "  }", "}", "");
  lines.push(
    "/**",
    " * The response header version for an API version: 1 (flexible, with tagged fields) for flexible",
    " * versions, else 0, except ApiVersions, whose responses always use v0 so that a client that",
    " * asked with a version the broker does not know can still read the answer (KIP-511).",
    " */",
    "export function responseHeaderVersion(apiKey: number, apiVersion: number): number {",
    "  switch (apiKey) {",
  );
  for (const p of pairs) {
    const flex = firstFlexible(p.response);
    const expr = p.name === "ApiVersions" || flex === null ? "0" : `apiVersion >= ${flex} ? 1 : 0`;
    lines.push(`    case ${p.apiKey}: // ${p.name}`, `      return ${expr};`);
  }
  lines.push("    default:", "      throw unknownApiKey(apiKey);", "  }", "}", "");
  return lines;
}

/** The metadata log's record framing: uvarint frame version (1), uvarint type (apiKey), uvarint version. */
