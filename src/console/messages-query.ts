import { ConsoleRequestError } from "./request-error.js";

/** Where a browse starts in each partition read. */
export type StartPosition =
  | { kind: "earliest" }
  | { kind: "latest" }
  | { kind: "offset"; offset: bigint }
  | { kind: "timestamp"; timestamp: bigint };

/** `/api/topics/{name}/messages`' query, checked. */
export interface MessagesQuery {
  /** null: every partition of the topic, merged by timestamp. */
  partition: number | null;
  start: StartPosition;
  /** Records answered at most, after the cap. */
  limit: number;
  /** The limit asked for when it was above MESSAGES_LIMIT_MAX; else null. */
  requestedLimit: number | null;
  readCommitted: boolean;
  /** Bytes of each key, value and header value shown; longer ones are cut, their size given. */
  maxValueBytes: number;
}

const MESSAGES_LIMIT_DEFAULT = 50;
/**
 * A page of records a person reads; also bounds the record views (UTF-8 checks, schema decoding,
 * JSON) one request builds.
 */
export const MESSAGES_LIMIT_MAX = 500;
/** Enough for a JSON document or a stack trace; the full size is given for longer ones. */
const VALUE_BYTES_DEFAULT = 16 * 1024;
/** Kafka's default max.message.bytes: a record's whole value, at the cost of a big answer. */
const VALUE_BYTES_MAX = 1024 * 1024;

const PARAMETERS = new Set(["partition", "offset", "timestamp", "limit", "isolation", "maxValueBytes"]);
const INT32_MAX = 2 ** 31 - 1;
const INT64_MAX = 2n ** 63n - 1n;

/**
 * Reads the query of a messages request. Anything it does not understand is a 400 naming the
 * parameter: a misspelt parameter silently ignored would browse something else than asked.
 */
export function parseMessagesQuery(params: URLSearchParams): MessagesQuery {
  for (const name of new Set(params.keys())) {
    if (!PARAMETERS.has(name))
      throw badRequest(`unknown parameter '${name}' (expected ${[...PARAMETERS].join(", ")})`);
    if (params.getAll(name).length > 1) throw badRequest(`parameter '${name}' is given more than once`);
  }
  const partition = params.has("partition") ? Number(integer(params, "partition", BigInt(INT32_MAX))) : null;
  const offset = params.get("offset");
  const timestamp = params.get("timestamp");
  if (offset !== null && timestamp !== null)
    throw badRequest("give either 'offset' or 'timestamp', not both");
  let start: StartPosition;
  if (timestamp !== null) start = { kind: "timestamp", timestamp: integer(params, "timestamp", INT64_MAX) };
  else if (offset === null || offset === "latest") start = { kind: "latest" };
  else if (offset === "earliest") start = { kind: "earliest" };
  else start = { kind: "offset", offset: integer(params, "offset", INT64_MAX, "'earliest', 'latest' or ") };
  if (start.kind === "offset" && partition === null)
    throw badRequest("an 'offset' needs a 'partition': offsets are per partition");
  const asked = params.has("limit")
    ? Number(integer(params, "limit", BigInt(INT32_MAX)))
    : MESSAGES_LIMIT_DEFAULT;
  if (asked < 1) throw badRequest("'limit' must be at least 1");
  const isolation = params.get("isolation") ?? "read_uncommitted";
  if (isolation !== "read_committed" && isolation !== "read_uncommitted")
    throw badRequest(`'isolation' must be read_committed or read_uncommitted, not '${isolation}'`);
  const maxValueBytes = params.has("maxValueBytes")
    ? Number(integer(params, "maxValueBytes", BigInt(VALUE_BYTES_MAX)))
    : VALUE_BYTES_DEFAULT;
  return {
    partition,
    start,
    limit: Math.min(asked, MESSAGES_LIMIT_MAX),
    requestedLimit: asked > MESSAGES_LIMIT_MAX ? asked : null,
    readCommitted: isolation === "read_committed",
    maxValueBytes,
  };
}

/** A decimal integer in [0, max]; `alternatives` names what else the parameter takes. */
function integer(params: URLSearchParams, name: string, max: bigint, alternatives = ""): bigint {
  const text = params.get(name) ?? "";
  // 19 digits hold every int64; a longer string needs no BigInt to be refused.
  if (!/^\d{1,19}$/.test(text))
    throw badRequest(`'${name}' must be ${alternatives}a non-negative integer, not '${clip(text)}'`);
  const value = BigInt(text);
  if (value > max) throw badRequest(`'${name}' must be at most ${max}, not ${text}`);
  return value;
}

const clip = (text: string) => (text.length > 40 ? `${text.slice(0, 40)}…` : text);

const badRequest = (message: string) => new ConsoleRequestError(400, message);
