import assert from "node:assert/strict";
import { connect, type Socket } from "node:net";
import { after, before, test } from "node:test";
import { type Connection, type ResponseChunks, SocketServer } from "../../../src/network/index.js";
import {
  ApiKey,
  apiSpec,
  decodeResponseFrameHeader,
  ErrorCode,
  encodeRequestFrameHeader,
  PlainServer,
  plainToken,
  Reader,
  ScramClient,
  ScramServer,
  scramCredential,
  Writer,
} from "../../../src/protocol/index.js";

/**
 * The SASL authenticator between a connection and the broker's handler, driven by a scripted
 * client over TCP: the broker's handler answers every request it receives with the connection's
 * principal, so a test sees exactly which requests got past authentication, and as whom.
 */

const USERS = new Map([["alice", "alice-secret"]]);
const SCRAM_ALICE = scramCredential("SCRAM-SHA-256", "alice-secret", Buffer.from("salty-salt"), 4096);
const logs: string[] = [];
const server = new SocketServer({
  listeners: [
    {
      name: "SASL_PLAINTEXT",
      host: "127.0.0.1",
      port: 0,
      sasl: {
        enabledMechanisms: ["PLAIN", "SCRAM-SHA-256"],
        receiveBytesMax: 1024,
        createServer: (mechanism) =>
          mechanism === "PLAIN"
            ? new PlainServer((user) => USERS.get(user) ?? null)
            : new ScramServer("SCRAM-SHA-256", (user) => (user === "alice" ? SCRAM_ALICE : null)),
      },
    },
  ],
  limits: { requestBytesMax: 1 << 20, inFlightRequestsMax: 16, bufferedBytesMax: 1 << 20 },
  idleMsMax: 60_000,
  log: (_level, message) => logs.push(message),
  handler: {
    handle(frame: Buffer, connection: Connection): ResponseChunks {
      return [frame.subarray(4, 8), Buffer.from(`served as ${connection.principal}`)];
    },
    errorResponse(frame: Buffer, _connection: Connection, errorCode: number): ResponseChunks {
      return [frame.subarray(4, 8), Buffer.from(`error ${errorCode}`)];
    },
  },
});
let port = 0;

before(async () => {
  port = (await server.start())[0]?.boundPort ?? 0;
});
after(() => server.stop());

class Client {
  private readonly socket: Socket;
  private buffered = Buffer.alloc(0);
  private readonly frames: Buffer[] = [];
  private waiter: (() => void) | null = null;
  closed = false;
  private correlationId = 0;

  constructor() {
    this.socket = connect(port, "127.0.0.1");
    this.socket.on("data", (chunk: Buffer) => {
      this.buffered = Buffer.concat([this.buffered, chunk]);
      while (this.buffered.length >= 4 && this.buffered.length >= 4 + this.buffered.readInt32BE(0)) {
        const size = this.buffered.readInt32BE(0);
        this.frames.push(this.buffered.subarray(4, 4 + size));
        this.buffered = this.buffered.subarray(4 + size);
      }
      this.waiter?.();
    });
    this.socket.on("error", () => {});
    this.socket.on("close", () => {
      this.closed = true;
      this.waiter?.();
    });
  }

  /** Sends a request; returns its correlation id. */
  send(apiKey: number, version: number, body: object): number {
    const spec = apiSpec(apiKey);
    assert.ok(spec);
    const w = new Writer(64);
    const correlationId = ++this.correlationId;
    encodeRequestFrameHeader(w, {
      requestApiKey: apiKey,
      requestApiVersion: version,
      correlationId,
      clientId: "t",
    });
    spec.encodeRequest(w, body, version);
    this.raw(Buffer.concat(w.toChunks()));
    return correlationId;
  }

  raw(payload: Buffer): void {
    const prefix = Buffer.alloc(4);
    prefix.writeInt32BE(payload.length);
    this.socket.write(Buffer.concat([prefix, payload]));
  }

  async next(): Promise<Buffer | null> {
    while (this.frames.length === 0 && !this.closed) {
      await new Promise<void>((resolve) => {
        this.waiter = resolve;
      });
    }
    return this.frames.shift() ?? null;
  }

  async response<T>(apiKey: number, version: number): Promise<T> {
    const frame = await this.next();
    assert.ok(frame, "a response before the close");
    const r = new Reader(frame);
    decodeResponseFrameHeader(r, apiKey, version);
    return (apiSpec(apiKey)?.decodeResponse(r, version) ?? null) as T;
  }

  /** The broker handler's answer: "served as <principal>" or "error <code>". */
  async served(): Promise<string> {
    const frame = await this.next();
    assert.ok(frame, "an answer before the close");
    return frame.subarray(4).toString();
  }

  async closedByBroker(): Promise<boolean> {
    while (!this.closed) await this.next();
    return true;
  }

  end(): void {
    this.socket.destroy();
  }
}

interface Handshake {
  errorCode: number;
  mechanisms: string[];
}
interface Authenticate {
  errorCode: number;
  errorMessage: string | null;
  authBytes: Buffer;
  sessionLifetimeMs?: bigint;
}

test("ApiVersions is served before authentication; after PLAIN, requests reach the broker as the user", async () => {
  const c = new Client();
  c.send(ApiKey.ApiVersions, 3, { clientSoftwareName: "t", clientSoftwareVersion: "1" });
  assert.equal(await c.served(), "served as ANONYMOUS");
  c.send(ApiKey.SaslHandshake, 1, { mechanism: "PLAIN" });
  assert.deepEqual(await c.response<Handshake>(ApiKey.SaslHandshake, 1), {
    errorCode: ErrorCode.NONE,
    mechanisms: ["PLAIN", "SCRAM-SHA-256"],
  });
  // Pipelined: the Metadata request right behind the token already goes to the broker.
  c.send(ApiKey.SaslAuthenticate, 2, { authBytes: plainToken("alice", "alice-secret") });
  c.send(ApiKey.Metadata, 12, { topics: null });
  const answer = await c.response<Authenticate>(ApiKey.SaslAuthenticate, 2);
  assert.equal(answer.errorCode, ErrorCode.NONE);
  assert.equal(answer.sessionLifetimeMs, 0n);
  assert.equal(await c.served(), "served as alice");
  c.end();
});

test("a wrong password: SASL_AUTHENTICATION_FAILED with Kafka's message, then the connection closes", async () => {
  const c = new Client();
  c.send(ApiKey.SaslHandshake, 1, { mechanism: "PLAIN" });
  await c.response<Handshake>(ApiKey.SaslHandshake, 1);
  c.send(ApiKey.SaslAuthenticate, 1, { authBytes: plainToken("alice", "guess") });
  c.send(ApiKey.Metadata, 12, { topics: null });
  const answer = await c.response<Authenticate>(ApiKey.SaslAuthenticate, 1);
  assert.deepEqual(
    [answer.errorCode, answer.errorMessage],
    [ErrorCode.SASL_AUTHENTICATION_FAILED, "Authentication failed: Invalid username or password"],
  );
  assert.equal(await c.closedByBroker(), true, "nothing else is answered");
  assert.ok(logs.some((l) => /SASL authentication of .* on SASL_PLAINTEXT failed \(PLAIN\)/.test(l)));
});

test("an unknown mechanism: UNSUPPORTED_SASL_MECHANISM listing the enabled ones, then the close", async () => {
  const c = new Client();
  c.send(ApiKey.SaslHandshake, 1, { mechanism: "GSSAPI" });
  assert.deepEqual(await c.response<Handshake>(ApiKey.SaslHandshake, 1), {
    errorCode: ErrorCode.UNSUPPORTED_SASL_MECHANISM,
    mechanisms: ["PLAIN", "SCRAM-SHA-256"],
  });
  assert.equal(await c.closedByBroker(), true);
});

test("a request other than ApiVersions or SASL before authentication: ILLEGAL_SASL_STATE, then the close", async () => {
  const c = new Client();
  c.send(ApiKey.Metadata, 12, { topics: null });
  assert.equal(await c.served(), `error ${ErrorCode.ILLEGAL_SASL_STATE}`);
  assert.equal(await c.closedByBroker(), true);
  const d = new Client();
  d.send(ApiKey.SaslHandshake, 1, { mechanism: "PLAIN" });
  await d.response<Handshake>(ApiKey.SaslHandshake, 1);
  d.send(ApiKey.Metadata, 12, { topics: null });
  assert.equal(await d.served(), `error ${ErrorCode.ILLEGAL_SASL_STATE}`, "during authentication too");
  assert.equal(await d.closedByBroker(), true);
});

test("SaslHandshake v0: raw tokens without Kafka headers, as Kafka before 1.0 sent them", async () => {
  const c = new Client();
  c.send(ApiKey.SaslHandshake, 0, { mechanism: "PLAIN" });
  assert.equal((await c.response<Handshake>(ApiKey.SaslHandshake, 0)).errorCode, ErrorCode.NONE);
  c.raw(plainToken("alice", "alice-secret"));
  assert.equal((await c.next())?.length, 0, "PLAIN's empty server token, size-prefixed");
  c.send(ApiKey.Metadata, 12, { topics: null });
  assert.equal(await c.served(), "served as alice");
  c.end();
  const bad = new Client();
  bad.send(ApiKey.SaslHandshake, 0, { mechanism: "PLAIN" });
  await bad.response<Handshake>(ApiKey.SaslHandshake, 0);
  bad.raw(plainToken("alice", "nope"));
  assert.equal(await bad.closedByBroker(), true, "a raw token cannot carry an error: the connection closes");
});

test("SCRAM-SHA-256 over SaslAuthenticate: two round trips, the server's signature checked by the client", async () => {
  const c = new Client();
  c.send(ApiKey.SaslHandshake, 1, { mechanism: "SCRAM-SHA-256" });
  await c.response<Handshake>(ApiKey.SaslHandshake, 1);
  const scram = new ScramClient("SCRAM-SHA-256", "alice", "alice-secret");
  c.send(ApiKey.SaslAuthenticate, 2, { authBytes: scram.firstMessage() });
  const first = await c.response<Authenticate>(ApiKey.SaslAuthenticate, 2);
  assert.equal(first.errorCode, ErrorCode.NONE);
  c.send(ApiKey.SaslAuthenticate, 2, { authBytes: scram.finalMessage(first.authBytes) });
  const final = await c.response<Authenticate>(ApiKey.SaslAuthenticate, 2);
  assert.equal(final.errorCode, ErrorCode.NONE);
  scram.verifyServerFinal(final.authBytes);
  c.send(ApiKey.Metadata, 12, { topics: null });
  assert.equal(await c.served(), "served as alice");
  c.end();
  // A wrong password is told only that the mechanism's credentials were invalid, as Kafka tells it.
  const bad = new Client();
  bad.send(ApiKey.SaslHandshake, 1, { mechanism: "SCRAM-SHA-256" });
  await bad.response<Handshake>(ApiKey.SaslHandshake, 1);
  const wrong = new ScramClient("SCRAM-SHA-256", "alice", "wrong");
  bad.send(ApiKey.SaslAuthenticate, 2, { authBytes: wrong.firstMessage() });
  const challenge = await bad.response<Authenticate>(ApiKey.SaslAuthenticate, 2);
  bad.send(ApiKey.SaslAuthenticate, 2, { authBytes: wrong.finalMessage(challenge.authBytes) });
  const refused = await bad.response<Authenticate>(ApiKey.SaslAuthenticate, 2);
  assert.deepEqual(
    [refused.errorCode, refused.errorMessage],
    [
      ErrorCode.SASL_AUTHENTICATION_FAILED,
      "Authentication failed during authentication due to invalid credentials with SASL mechanism SCRAM-SHA-256",
    ],
  );
  assert.equal(await bad.closedByBroker(), true);
});

test("before authentication a request over sasl.server.max.receive.size closes the connection; after it, the usual limit", async () => {
  const big = Buffer.alloc(2000, 7);
  big.writeInt16BE(ApiKey.Metadata, 0);
  const early = new Client();
  early.raw(big);
  assert.equal(await early.closedByBroker(), true);
  const c = new Client();
  c.send(ApiKey.SaslHandshake, 1, { mechanism: "PLAIN" });
  await c.response<Handshake>(ApiKey.SaslHandshake, 1);
  c.send(ApiKey.SaslAuthenticate, 2, { authBytes: plainToken("alice", "alice-secret") });
  assert.equal((await c.response<Authenticate>(ApiKey.SaslAuthenticate, 2)).errorCode, ErrorCode.NONE);
  c.raw(big);
  assert.equal(await c.served(), "served as alice");
  c.end();
});

test("the network stats count authentications and refusals by mechanism", () => {
  const stats = server.stats();
  assert.ok(stats.saslAuthenticationsTotal >= 3);
  assert.ok((stats.saslAuthenticationFailuresByMechanism.PLAIN ?? 0) >= 2);
  assert.ok((stats.saslAuthenticationFailuresByMechanism["SCRAM-SHA-256"] ?? 0) >= 1);
});
