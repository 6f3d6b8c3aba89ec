/**
 * Content negotiation as Confluent's registry (Jersey) does it. Requests with a body are
 * accepted in the registry's JSON types and octet-stream (a missing Content-Type counts as
 * octet-stream); anything else is 415. Responses are produced in the registry's v1 type unless
 * the Accept header prefers one of the others; an Accept header that admits none is 406.
 */

export const REGISTRY_V1_JSON = "application/vnd.schemaregistry.v1+json";
export const REGISTRY_JSON = "application/vnd.schemaregistry+json";
export const JSON_TYPE = "application/json";
const OCTET_STREAM = "application/octet-stream";

const ACCEPTED_REQUEST_TYPES = new Set([REGISTRY_V1_JSON, REGISTRY_JSON, JSON_TYPE, OCTET_STREAM]);

/** A type a server can answer in, with its preference among them (Jersey's `qs`). */
export interface ProducedType {
  type: string;
  qs: number;
}

/** Server-side preference of each type the registry produces. */
const PRODUCED: readonly ProducedType[] = [
  { type: REGISTRY_V1_JSON, qs: 1 },
  { type: REGISTRY_JSON, qs: 0.9 },
  { type: JSON_TYPE, qs: 0.5 },
];

/** The media type of a Content-Type or Accept entry: lower case, without parameters. */
export function mediaType(value: string): string {
  return (value.split(";")[0] ?? "").trim().toLowerCase();
}

export function isAcceptedRequestType(contentType: string | undefined): boolean {
  if (contentType === undefined || contentType.trim() === "") return true;
  return ACCEPTED_REQUEST_TYPES.has(mediaType(contentType));
}

interface MediaRange {
  type: string;
  q: number;
}

function parseAccept(header: string): MediaRange[] {
  return header
    .split(",")
    .map((part) => {
      const [type = "", ...params] = part.split(";");
      let q = 1;
      for (const param of params) {
        const [name, value] = param.split("=").map((s) => s.trim());
        if (name === "q" && value !== undefined && !Number.isNaN(Number(value))) q = Number(value);
      }
      return { type: type.trim().toLowerCase(), q };
    })
    .filter((range) => range.type !== "");
}

function matches(range: string, type: string): boolean {
  if (range === "*/*" || range === "*") return true;
  if (range.endsWith("/*")) return type.startsWith(range.slice(0, -1));
  return range === type;
}

/** The response type for an Accept header, or undefined when none is acceptable (406). */
export function negotiateResponseType(accept: string | undefined): string | undefined {
  return negotiateMediaType(accept, PRODUCED);
}

/**
 * Jersey's choice among the types a resource produces: the one with the highest client `q` (of
 * the most specific range that matches it) times server `qs`; without an Accept header the first
 * produced type. Undefined when the header admits none of them (406).
 */
export function negotiateMediaType(
  accept: string | undefined,
  produced: readonly ProducedType[],
): string | undefined {
  if (accept === undefined || accept.trim() === "") return produced[0]?.type;
  const ranges = parseAccept(accept);
  let best: { type: string; score: number } | undefined;
  for (const candidate of produced) {
    // The most specific matching range decides the client's q for this type.
    const matching = ranges
      .filter((range) => matches(range.type, candidate.type))
      .sort((a, b) => specificity(b.type) - specificity(a.type));
    const q = matching[0]?.q ?? 0;
    const score = q * candidate.qs;
    if (score > 0 && (!best || score > best.score)) best = { type: candidate.type, score };
  }
  return best?.type;
}

function specificity(range: string): number {
  if (range === "*/*" || range === "*") return 0;
  return range.endsWith("/*") ? 1 : 2;
}
