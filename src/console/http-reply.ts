/** What a console route answers: written to the socket by the server in one place. */
export interface Reply {
  status: number;
  contentType: string;
  body: string | Buffer;
  headers?: Record<string, string>;
}

const JSON_TYPE = "application/json; charset=utf-8";

/**
 * JSON with Kafka's int64 fields (offsets) as numbers while they are exact in a double, and as
 * decimal strings beyond 2^53, so no value is silently rounded.
 */
export function toJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) => {
    if (typeof v !== "bigint") return v;
    return v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER)
      ? Number(v)
      : String(v);
  });
}

export function jsonReply(value: unknown, status = 200): Reply {
  return { status, contentType: JSON_TYPE, body: toJson(value) };
}

/** Errors in the shape of Confluent's REST APIs: `{ "error_code": 404, "message": "..." }`. */
export function errorReply(status: number, message: string, headers?: Record<string, string>): Reply {
  const reply: Reply = { status, contentType: JSON_TYPE, body: toJson({ error_code: status, message }) };
  if (headers !== undefined) reply.headers = headers;
  return reply;
}
