import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { connect as netConnect, type Socket } from "node:net";
import { after, before, test } from "node:test";
import { type ConnectionOptions, type TLSSocket, connect as tlsConnect } from "node:tls";
import {
  type ClientAuth,
  type Connection,
  ConnectionQuotas,
  type ResponseChunks,
  SocketServer,
} from "../../src/network/index.js";
import { testCerts } from "../helpers/test-certs.js";
import { sleep, waitFor } from "../helpers/wait-for.js";

const certs = testCerts();
const read = (path: string) => readFileSync(path, "utf8");
const context = {
  key: read(certs.serverKeyPem),
  cert: read(certs.serverCertPem),
  ca: [read(certs.caPem)],
};
const logs: { level: string; message: string }[] = [];
/** Requests whose first byte is 1 wait until `release()`: they hold the connection's in-flight slots. */
let held: (() => void)[] = [];
const release = () => {
  for (const r of held.splice(0)) r();
};
const HANDSHAKE_TIMEOUT_MS = 300;

/** Answers each request with the connection's principal, after the request's own bytes. */
const server = new SocketServer({
  listeners: [
    { name: "PLAINTEXT", host: "127.0.0.1", port: 0 },
    ...(["none", "required", "requested"] as ClientAuth[]).map((clientAuth) => ({
      name: `SSL_${clientAuth.toUpperCase()}`,
      host: "127.0.0.1",
      port: 0,
      tls: { context, clientAuth },
    })),
  ],
  limits: { requestBytesMax: 1 << 20, inFlightRequestsMax: 4, bufferedBytesMax: 1 << 20 },
  idleMsMax: 60_000,
  connectionQuotas: new ConnectionQuotas({
    connectionsMax: 20,
    connectionsPerIpMax: Number.POSITIVE_INFINITY,
    connectionsPerIpOverrides: new Map(),
    quotaWindow: { samples: 11, windowMs: 1000 },
  }),
  tlsHandshakeTimeoutMs: HANDSHAKE_TIMEOUT_MS,
  log: (level, message) => logs.push({ level, message }),
  handler: {
    handle(frame: Buffer, connection: Connection): ResponseChunks | Promise<ResponseChunks> {
      const answer: ResponseChunks = [Buffer.from(frame), Buffer.from(`|${connection.principal}`)];
      if (frame[0] !== 1) return answer;
      return new Promise((resolve) => held.push(() => resolve(answer)));
    },
  },
});
const ports = new Map<string, number>();

before(async () => {
  for (const b of await server.start()) ports.set(b.name, b.boundPort);
});
after(() => server.stop());

function frame(payload: Buffer | string): Buffer {
  const body = Buffer.from(payload);
  const b = Buffer.alloc(4 + body.length);
  b.writeInt32BE(body.length);
  body.copy(b, 4);
  return b;
}

/** Frames read from a socket, as strings. */
function frames(socket: Socket): (count: number) => Promise<string[]> {
  let buffered = Buffer.alloc(0);
  const out: string[] = [];
  const waiters: (() => void)[] = [];
  socket.on("data", (chunk: Buffer) => {
    buffered = Buffer.concat([buffered, chunk]);
    while (buffered.length >= 4 && buffered.length >= 4 + buffered.readInt32BE(0)) {
      out.push(buffered.subarray(4, 4 + buffered.readInt32BE(0)).toString());
      buffered = buffered.subarray(4 + buffered.readInt32BE(0));
    }
    for (const w of waiters.splice(0)) w();
  });
  return async (count) => {
    while (out.length < count) await new Promise<void>((r) => waiters.push(r));
    return out.splice(0, count);
  };
}

function openTls(listener: string, options: ConnectionOptions = {}): Promise<TLSSocket> {
  return new Promise((resolve, reject) => {
    const socket = tlsConnect({
      host: "127.0.0.1",
      port: ports.get(listener) as number,
      ca: read(certs.caPem),
      ...options,
    });
    socket.once("secureConnect", () => resolve(socket));
    socket.once("error", reject);
  });
}

/** Resolves once the socket closed; with the error it closed with, if any. */
function closed(socket: Socket): Promise<Error | null> {
  return new Promise((resolve) => {
    let error: Error | null = null;
    socket.on("error", (e) => {
      error = e;
    });
    if (socket.destroyed) resolve(error);
    else socket.once("close", () => resolve(error));
  });
}

const failures = (reason: string) => server.stats().tlsHandshakeFailuresByReason[reason] ?? 0;

test("a TLS listener answers pipelined requests in order, as plaintext does", async () => {
  const before = server.stats().tlsHandshakesTotal;
  const socket = await openTls("SSL_NONE");
  const next = frames(socket);
  socket.write(Buffer.concat([frame("a"), frame("b"), frame(Buffer.alloc(200_000, "c"))]));
  const [a, b, c] = await next(3);
  assert.equal(a, "a|ANONYMOUS");
  assert.equal(b, "b|ANONYMOUS");
  assert.equal(c?.length, 200_000 + "|ANONYMOUS".length);
  assert.equal(server.stats().tlsHandshakesTotal, before + 1);
  socket.destroy();
});

test("a client certificate names the principal (RFC 2253, as Kafka's principal builder); without one, required refuses", async () => {
  const withCert = await openTls("SSL_REQUIRED", {
    cert: read(certs.clientCertPem),
    key: read(certs.clientKeyPem),
  });
  const next = frames(withCert);
  withCert.write(frame("x"));
  assert.deepEqual(await next(1), ["x|CN=client,O=Acme\\, Inc.,C=US"]);
  withCert.destroy();

  const missing = failures("no_client_certificate");
  // TLS 1.3: the client's side of the handshake ends before the broker checks its certificate; the
  // broker's alert arrives next.
  const noCert = await openTls("SSL_REQUIRED");
  noCert.write(frame("y"));
  const error = await closed(noCert);
  assert.match(String((error as NodeJS.ErrnoException | null)?.code), /CERTIFICATE_REQUIRED/);
  await waitFor("the failure counted", async () =>
    failures("no_client_certificate") === missing + 1 ? true : undefined,
  );
});

test("a client certificate from a CA the listener does not trust is refused, under required and requested", async () => {
  const rejected = failures("client_certificate_rejected");
  for (const listener of ["SSL_REQUIRED", "SSL_REQUESTED"]) {
    const rogue = await openTls(listener, {
      cert: read(certs.rogueCertPem),
      key: read(certs.rogueKeyPem),
    }).catch((e: Error) => e);
    if (!(rogue instanceof Error)) {
      const next = frames(rogue);
      rogue.write(frame("z"));
      await Promise.race([closed(rogue), next(1).then((f) => assert.fail(`answered: ${f}`))]);
    }
  }
  await waitFor("both refusals counted", async () =>
    failures("client_certificate_rejected") === rejected + 2 ? true : undefined,
  );
  // requested: a client without a certificate is served, as ANONYMOUS.
  const anonymous = await openTls("SSL_REQUESTED");
  const next = frames(anonymous);
  anonymous.write(frame("w"));
  assert.deepEqual(await next(1), ["w|ANONYMOUS"]);
  anonymous.destroy();
});

test("a plaintext Kafka request on the SSL port is a counted handshake failure, logged once, and the listener serves on", async () => {
  const notTls = failures("not_tls");
  for (let i = 0; i < 20; i++) {
    const socket = netConnect(ports.get("SSL_NONE") as number, "127.0.0.1");
    socket.on("error", () => {});
    // An ApiVersions v3 request, as a plaintext client would send it.
    socket.write(Buffer.from("000000140012000300000001000a6b61666b612d74657374", "hex"));
    await closed(socket);
  }
  await waitFor("the failures counted", async () => (failures("not_tls") === notTls + 20 ? true : undefined));
  const lines = logs.filter((l) => l.message.includes("not TLS"));
  assert.equal(lines.length, 1, "one line per reason per interval");
  assert.match(
    lines[0]?.message ?? "",
    /TLS handshake with 127\.0\.0\.1:\d+ on SSL_NONE failed: not TLS .*wrong version number/,
  );
  assert.equal(lines[0]?.level, "info");
  const socket = await openTls("SSL_NONE");
  const next = frames(socket);
  socket.write(frame("still"));
  assert.deepEqual(await next(1), ["still|ANONYMOUS"]);
  socket.destroy();
});

test("a TLS ClientHello on the plaintext port closes that connection and nothing else", async () => {
  const hello = await new Promise<Error | null>((resolve) => {
    const socket = tlsConnect({
      host: "127.0.0.1",
      port: ports.get("PLAINTEXT") as number,
      rejectUnauthorized: false,
    });
    closed(socket).then(resolve);
  });
  assert.ok(hello !== null, "the TLS client sees its connection fail");
  const plain = netConnect(ports.get("PLAINTEXT") as number, "127.0.0.1");
  const next = frames(plain);
  plain.write(frame("plain"));
  assert.deepEqual(await next(1), ["plain|ANONYMOUS"]);
  plain.destroy();
});

test("a handshake that does not finish in time is closed, counted, and gives its connection slot back", async () => {
  const timeouts = failures("timeout");
  const silent = netConnect(ports.get("SSL_NONE") as number, "127.0.0.1");
  await new Promise((resolve) => silent.once("connect", resolve));
  await waitFor("the connection counted as handshaking", async () =>
    server.stats().connectionsHandshaking === 1 ? true : undefined,
  );
  const startedMs = performance.now();
  await closed(silent);
  assert.ok(performance.now() - startedMs < HANDSHAKE_TIMEOUT_MS * 5, "closed by the handshake timeout");
  await waitFor("the timeout counted", async () => (failures("timeout") === timeouts + 1 ? true : undefined));
  await waitFor("no connection left", async () => (server.connectionCount === 0 ? true : undefined));
});

test("max.connections counts TLS connections from their TCP accept, and their close gives the slot back", async () => {
  server.connectionQuotas.updateLimits({ connectionsMax: 2 });
  try {
    const first = await openTls("SSL_NONE");
    const second = netConnect(ports.get("SSL_NONE") as number, "127.0.0.1");
    await new Promise((resolve) => second.once("connect", resolve));
    await waitFor("both admitted", async () => (server.connectionCount === 2 ? true : undefined));
    // The third is refused at accept, before any handshake.
    const third = await openTls("SSL_NONE").catch((e: Error) => e);
    assert.ok(third instanceof Error, "refused");
    first.destroy();
    second.destroy();
    await waitFor("the slots released", async () => (server.connectionCount === 0 ? true : undefined));
    const again = await openTls("SSL_NONE");
    const next = frames(again);
    again.write(frame("again"));
    assert.deepEqual(await next(1), ["again|ANONYMOUS"]);
    again.destroy();
  } finally {
    server.connectionQuotas.updateLimits({ connectionsMax: 20 });
  }
});

test("flow control: a TLS connection with its in-flight limit reached stops being read until answers go", async () => {
  const socket = await openTls("SSL_NONE");
  const next = frames(socket);
  // Four held requests fill inFlightRequestsMax; the fifth waits unread.
  for (let i = 0; i < 5; i++) socket.write(frame(Buffer.from([1, i])));
  await waitFor("four requests held", async () => (held.length === 4 ? true : undefined));
  await sleep(50);
  assert.equal(held.length, 4);
  assert.equal(server.stats().connectionsReadPaused, 1);
  release();
  await waitFor("the fifth read", async () => (held.length === 1 ? true : undefined));
  release();
  const answers = await next(5);
  assert.deepEqual(
    answers.map((a) => a.charCodeAt(1)),
    [0, 1, 2, 3, 4],
  );
  socket.destroy();
  held = [];
});
