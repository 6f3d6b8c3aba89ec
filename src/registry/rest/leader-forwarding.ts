import { Agent, request as httpRequest, type IncomingHttpHeaders, type OutgoingHttpHeaders } from "node:http";

/**
 * Marks a request one registry forwarded to another (its value names the forwarder). A forwarded
 * request is never forwarded again: a node that receives one for a leader it is not answers
 * 50003 at once, so two nodes that disagree about the leader cannot bounce a request.
 */
export const FORWARDED_BY_HEADER = "x-brook-forwarded-by";
/**
 * Set by the leader on the answer to a forwarded request: the offset of `_schemas` below which
 * its registry had replayed the log when it answered (its write included). The forwarding node
 * waits until its own replica is replayed that far before answering the client (read-your-writes
 * on the node the client uses), and takes the header off.
 */
export const SCHEMAS_OFFSET_HEADER = "x-brook-schemas-offset";

/** Largest answer taken from a leader (a `GET /schemas` of a large registry is the biggest). */
export const FORWARDED_RESPONSE_BYTES_MAX = 64 * 1024 * 1024;
/** Connections held open to leaders (one registry forwards to one leader at a time). */
const FORWARDING_SOCKETS_MAX = 64;

/** Headers that describe one hop (RFC 9110 §7.6.1), never copied from one connection to the next. */
const HOP_BY_HOP = new Set([
  "connection",
  "keep-alive",
  "proxy-authenticate",
  "proxy-authorization",
  "proxy-connection",
  "te",
  "trailer",
  "transfer-encoding",
  "upgrade",
  "host",
  "content-length",
]);

/** A request as the client sent it, to forward unchanged. */
export interface ForwardedRequest {
  method: string;
  /** Path and query, as the client sent them. */
  path: string;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

export interface HttpAnswer {
  status: number;
  headers: Record<string, string>;
  body: Buffer;
}

/**
 * What became of a forwarded request: the leader's answer; or nothing sent (no connection could
 * be made: safe to send again, to the same leader or a new one); or sent and no answer (the
 * leader may have carried it out: only a read may be sent again).
 */
export type ForwardOutcome =
  | { kind: "answered"; answer: HttpAnswer; schemasOffset: bigint | null }
  | { kind: "not-sent"; reason: string }
  | { kind: "lost"; reason: string };

/** Sends requests to the leader's registry over HTTP/1.1, on kept-alive connections. */
export class LeaderForwarder {
  private readonly agent = new Agent({
    keepAlive: true,
    maxSockets: FORWARDING_SOCKETS_MAX,
    maxFreeSockets: 8,
  });
  private readonly forwarderName: string;
  private readonly timeoutMs: number;

  constructor(options: { forwarderName: string; timeoutMs: number }) {
    this.forwarderName = options.forwarderName;
    this.timeoutMs = options.timeoutMs;
  }

  forward(leaderUrl: string, request: ForwardedRequest): Promise<ForwardOutcome> {
    const headers: OutgoingHttpHeaders = {};
    for (const [name, value] of Object.entries(request.headers)) {
      if (value !== undefined && !HOP_BY_HOP.has(name) && name !== FORWARDED_BY_HEADER) headers[name] = value;
    }
    headers[FORWARDED_BY_HEADER] = this.forwarderName;
    if (request.body.length > 0 || request.method === "POST" || request.method === "PUT")
      headers["content-length"] = request.body.length;
    return new Promise((resolve) => {
      let connected = false;
      let settled = false;
      const settle = (outcome: ForwardOutcome) => {
        if (settled) return;
        settled = true;
        resolve(outcome);
      };
      // One leading slash: "//host/..." must not name another host than the leader's.
      const target = new URL(`${leaderUrl}/${request.path.replace(/^\/+/, "")}`);
      const outgoing = httpRequest(
        target,
        { method: request.method, headers, agent: this.agent },
        (response) => {
          const chunks: Buffer[] = [];
          let received = 0;
          response.on("data", (chunk: Buffer) => {
            received += chunk.length;
            if (received > FORWARDED_RESPONSE_BYTES_MAX) {
              response.destroy(
                new Error(`the leader's answer is larger than ${FORWARDED_RESPONSE_BYTES_MAX} bytes`),
              );
              return;
            }
            chunks.push(chunk);
          });
          response.on("error", (error) => settle({ kind: "lost", reason: error.message }));
          response.on("end", () => {
            const answerHeaders: Record<string, string> = {};
            let schemasOffset: bigint | null = null;
            for (const [name, value] of Object.entries(response.headers)) {
              if (value === undefined || HOP_BY_HOP.has(name)) continue;
              const text = Array.isArray(value) ? value.join(", ") : value;
              if (name === SCHEMAS_OFFSET_HEADER) schemasOffset = parseOffset(text);
              else answerHeaders[name] = text;
            }
            settle({
              kind: "answered",
              answer: {
                status: response.statusCode ?? 500,
                headers: answerHeaders,
                body: Buffer.concat(chunks),
              },
              schemasOffset,
            });
          });
        },
      );
      outgoing.on("socket", (socket) => {
        if (!socket.connecting) connected = true;
        else socket.once("connect", () => (connected = true));
      });
      outgoing.setTimeout(this.timeoutMs, () =>
        outgoing.destroy(new Error(`no answer from ${leaderUrl} within ${this.timeoutMs} ms`)),
      );
      outgoing.on("error", (error) =>
        settle({ kind: connected ? "lost" : "not-sent", reason: `${leaderUrl}: ${error.message}` }),
      );
      outgoing.end(request.body.length > 0 ? request.body : undefined);
    });
  }

  close(): void {
    this.agent.destroy();
  }
}

function parseOffset(text: string): bigint | null {
  return /^[0-9]{1,19}$/.test(text.trim()) ? BigInt(text.trim()) : null;
}
