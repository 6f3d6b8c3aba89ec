import assert from "node:assert/strict";
import { request } from "node:http";

/** One HTTP exchange with the proxy: the status, headers and the body as text and (when it parses) JSON. */
export interface RestAnswer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
  json: unknown;
}

export interface RestCall {
  method?: string;
  headers?: Record<string, string>;
  /** A JSON value (sent as JSON text) or raw text / bytes. */
  body?: unknown;
}

/** node:http, so that paths, methods (a GET with a body) and headers go exactly as given. */
export function rest(baseUrl: string, path: string, call: RestCall = {}): Promise<RestAnswer> {
  const url = new URL(baseUrl);
  const body =
    call.body === undefined
      ? undefined
      : typeof call.body === "string" || Buffer.isBuffer(call.body)
        ? call.body
        : JSON.stringify(call.body);
  const headers = { ...call.headers };
  if (body !== undefined) headers["content-length"] = String(Buffer.byteLength(body));
  return new Promise((resolve, reject) => {
    const req = request(
      { host: url.hostname, port: url.port, path, method: call.method ?? "GET", headers },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (chunk: Buffer) => chunks.push(chunk));
        res.on("end", () => {
          const text = Buffer.concat(chunks).toString("utf8");
          let json: unknown;
          try {
            json = text === "" ? undefined : JSON.parse(text);
          } catch {
            json = undefined;
          }
          resolve({ status: res.statusCode ?? 0, headers: res.headers, text, json });
        });
      },
    );
    req.on("error", reject);
    req.end(body);
  });
}

export const V2 = "application/vnd.kafka.v2+json";
export const V2_BINARY = "application/vnd.kafka.binary.v2+json";
export const V2_JSON = "application/vnd.kafka.json.v2+json";
export const V2_AVRO = "application/vnd.kafka.avro.v2+json";

/** A v2 POST in the given content type. */
export function post(
  baseUrl: string,
  path: string,
  contentType: string,
  body?: unknown,
): Promise<RestAnswer> {
  return rest(baseUrl, path, {
    method: "POST",
    headers: { "content-type": contentType },
    ...(body === undefined ? {} : { body }),
  });
}

/** An error answer: its HTTP status, Confluent's `error_code`, and its message (exact or matched). */
export function assertError(
  answer: RestAnswer,
  status: number,
  errorCode: number,
  message?: string | RegExp,
): void {
  assert.equal(answer.status, status, answer.text);
  const body = answer.json as { error_code: number; message: string };
  assert.equal(body.error_code, errorCode, answer.text);
  if (typeof message === "string") assert.equal(body.message, message);
  else if (message !== undefined) assert.match(body.message, message);
}
