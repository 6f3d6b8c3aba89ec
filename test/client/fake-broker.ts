import { createServer, type Server, type Socket } from "node:net";
import { ResponseFrameReader } from "../../src/client/index.js";
import {
  API_SPECS,
  ApiKey,
  apiSpec,
  decodeRequestFrameHeader,
  encodeResponseFrameHeader,
  Reader,
  Writer,
} from "../../src/protocol/index.js";

export interface FakeRequest {
  apiKey: number;
  apiVersion: number;
  correlationId: number;
  body: unknown;
  socket: Socket;
}

/**
 * What the fake broker does with a request: answer with a body (encoded leniently at the request's
 * version), answer with raw bytes (size prefix included), close the connection, or stay silent.
 * `undefined` means the default: ApiVersions is answered with every range Brook's codecs know,
 * anything else gets no answer.
 */
export type FakeAnswer =
  | { body: object; correlationId?: number }
  | { raw: Buffer }
  | { close: true }
  | { silent: true }
  | undefined;

export type FakeHandler = (request: FakeRequest) => FakeAnswer | Promise<FakeAnswer>;

/**
 * A scripted Kafka broker for the client's failure tests: it decodes requests with the generated
 * codecs and answers each connection's requests in order, as Kafka does, with whatever the test's
 * handler says.
 */
export class FakeBroker {
  readonly requests: FakeRequest[] = [];
  private readonly server: Server;
  private readonly sockets = new Set<Socket>();

  private constructor(server: Server) {
    this.server = server;
  }

  static async start(handler: FakeHandler = () => undefined): Promise<FakeBroker> {
    const server = createServer();
    const broker = new FakeBroker(server);
    server.on("connection", (socket) => broker.serve(socket, handler));
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    return broker;
  }

  get port(): number {
    const address = this.server.address();
    if (address === null || typeof address === "string") throw new Error("not listening");
    return address.port;
  }

  async stop(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private serve(socket: Socket, handler: FakeHandler): void {
    this.sockets.add(socket);
    socket.on("close", () => this.sockets.delete(socket));
    socket.on("error", () => {});
    const frames = new ResponseFrameReader(1 << 20);
    let answered: Promise<void> = Promise.resolve();
    socket.on("data", (chunk: Buffer) => {
      frames.push(chunk, (frame) => {
        const request = decodeRequest(Buffer.from(frame), socket);
        this.requests.push(request);
        answered = answered.then(async () => {
          const answer = (await handler(request)) ?? defaultAnswer(request);
          if (!socket.destroyed) respond(socket, request, answer);
        });
      });
    });
  }
}

function decodeRequest(frame: Buffer, socket: Socket): FakeRequest {
  const r = new Reader(frame);
  const header = decodeRequestFrameHeader(r);
  const spec = apiSpec(header.requestApiKey);
  if (spec === undefined) throw new Error(`unknown api ${header.requestApiKey}`);
  return {
    apiKey: header.requestApiKey,
    apiVersion: header.requestApiVersion,
    correlationId: header.correlationId,
    body: spec.decodeRequest(r, header.requestApiVersion),
    socket,
  };
}

function defaultAnswer(request: FakeRequest): NonNullable<FakeAnswer> {
  if (request.apiKey !== ApiKey.ApiVersions) return { silent: true };
  return { body: apiVersionsBody() };
}

/** An ApiVersions answer with the given ranges, by default every range Brook's codecs know. */
export function apiVersionsBody(
  ranges = API_SPECS.map((s) => ({ apiKey: s.apiKey, minVersion: s.minVersion, maxVersion: s.maxVersion })),
  errorCode = 0,
): object {
  return { errorCode, apiKeys: ranges, throttleTimeMs: 0 };
}

/** A Metadata answer of a one-broker cluster (node 1 on `port`) leading every partition of `topics` (name -> count). */
export function oneBrokerMetadata(port: number, topics: Record<string, number>): object {
  return {
    brokers: [{ nodeId: 1, host: "127.0.0.1", port }],
    clusterId: "fake",
    controllerId: 1,
    topics: Object.entries(topics).map(([name, count]) => ({
      errorCode: 0,
      name,
      partitions: Array.from({ length: count }, (_, partitionIndex) => ({
        errorCode: 0,
        partitionIndex,
        leaderId: 1,
        replicaNodes: [1],
        isrNodes: [1],
      })),
    })),
  };
}

export function encodeResponse(
  apiKey: number,
  apiVersion: number,
  correlationId: number,
  body: object,
): Buffer {
  const w = new Writer();
  w.int32(0);
  encodeResponseFrameHeader(w, apiKey, apiVersion, correlationId);
  apiSpec(apiKey)?.encodeResponse(w, body, apiVersion, true);
  w.patchInt32(0, w.length - 4);
  return w.toBuffer();
}

function respond(socket: Socket, request: FakeRequest, answer: NonNullable<FakeAnswer>): void {
  if ("close" in answer) socket.destroy();
  else if ("raw" in answer) socket.write(answer.raw);
  else if ("body" in answer) {
    const correlationId = answer.correlationId ?? request.correlationId;
    socket.write(encodeResponse(request.apiKey, request.apiVersion, correlationId, answer.body));
  }
}
