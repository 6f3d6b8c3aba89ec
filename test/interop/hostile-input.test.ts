import assert from "node:assert/strict";
import { connect, type Socket } from "node:net";
import { after, before, test } from "node:test";
import { ApiKey, ErrorCode, Writer } from "../../src/protocol/index.js";
import { WireClient } from "../helpers/kafka-wire.js";
import { BrokerProcess, kcat, kcatConsume } from "./broker-process.js";

/**
 * Whatever arrives on a raw socket (garbage, a truncated frame, an absurd size prefix, an array
 * length that cannot be true, an unknown API, a version the broker does not serve) costs at most
 * that one connection: afterwards a real client on another connection still produces and
 * consumes, and the broker process is still running.
 */

const REQUEST_BYTES_MAX = 1024 * 1024;
let broker: BrokerProcess;
let rounds = 0;

before(async () => {
  broker = await BrokerProcess.start({
    overrides: { "num.partitions": "1", "socket.request.max.bytes": String(REQUEST_BYTES_MAX) },
  });
});

after(async () => {
  await broker?.dispose();
});

/** Opens a raw connection to the broker. */
function rawConnect(): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect(broker.port, broker.host);
    socket.once("connect", () => resolve(socket));
    socket.once("error", reject);
  });
}

/** Writes bytes, then resolves with how the broker reacted within `ms`: it closed the connection, or not. */
async function sendRaw(bytes: Buffer, ms = 5000): Promise<{ closed: boolean; received: number }> {
  const socket = await rawConnect();
  let received = 0;
  socket.on("data", (chunk: Buffer) => {
    received += chunk.length;
  });
  socket.on("error", () => {});
  const closed = new Promise<boolean>((resolve) => {
    const timer = setTimeout(() => resolve(false), ms);
    socket.once("close", () => {
      clearTimeout(timer);
      resolve(true);
    });
  });
  socket.write(bytes);
  const result = { closed: await closed, received };
  socket.destroy();
  return result;
}

/** A request frame: size, api key, version, correlation id, client id, then `body` as given. */
function frame(apiKey: number, apiVersion: number, body: Buffer, flexibleHeader = false): Buffer {
  const w = new Writer();
  w.int32(0).int16(apiKey).int16(apiVersion).int32(42).nullableString("hostile");
  if (flexibleHeader) w.unsignedVarint(0); // no tagged fields
  const head = w.toBuffer();
  const out = Buffer.concat([head, body]);
  out.writeInt32BE(out.length - 4, 0);
  return out;
}

/** A kcat producer and consumer on fresh connections still work, and the process is alive. */
async function assertStillServing(): Promise<void> {
  broker.assertAlive();
  const value = `still-serving-${++rounds}`;
  await kcat(["-b", broker.bootstrap, "-P", "-t", "survivor", "-K:", "-X", "acks=all"], {
    input: `k:${value}\n`,
  });
  const records = await kcatConsume(broker.bootstrap, "survivor");
  assert.equal(records.at(-1)?.payload, value, "the last record read is the one just produced");
  assert.equal(records.length, rounds);
  broker.assertAlive();
}

test("garbage bytes (an HTTP request, random bytes) close that connection only", async () => {
  const http = await sendRaw(Buffer.from("GET / HTTP/1.1\r\nHost: localhost\r\n\r\n"));
  assert.deepEqual(http, { closed: true, received: 0 });
  const random = Buffer.alloc(512);
  let x = 0x2545f491;
  for (let i = 0; i < random.length; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    random[i] = x & 0xff;
  }
  random.writeInt32BE(random.length - 4, 0); // a plausible size, nonsense inside
  assert.deepEqual(await sendRaw(random), { closed: true, received: 0 });
  await assertStillServing();
});

test("a truncated frame then close, and a truncated frame left hanging, do not disturb other clients", async () => {
  const truncated = Buffer.concat([Buffer.from([0, 0, 0, 100]), Buffer.alloc(10, 1)]);
  const closing = await rawConnect();
  closing.on("error", () => {});
  closing.end(truncated);
  const hanging = await rawConnect();
  hanging.on("error", () => {});
  hanging.write(truncated);
  try {
    await assertStillServing();
  } finally {
    hanging.destroy();
    closing.destroy();
  }
  await assertStillServing();
});

test("a size prefix above socket.request.max.bytes (or negative) closes the connection without reading on", async () => {
  const oversized = Buffer.alloc(4);
  oversized.writeInt32BE(REQUEST_BYTES_MAX + 1, 0);
  assert.deepEqual(await sendRaw(oversized), { closed: true, received: 0 });
  const huge = Buffer.alloc(4);
  huge.writeInt32BE(0x7fffffff, 0);
  assert.deepEqual(await sendRaw(huge), { closed: true, received: 0 });
  const negative = Buffer.alloc(4);
  negative.writeInt32BE(-5, 0);
  assert.deepEqual(await sendRaw(negative), { closed: true, received: 0 });
  await assertStillServing();
});

test("an array length of 2^31-1 inside a valid header closes the connection (classic and flexible encodings)", async () => {
  // Metadata v1: topics array.
  const metadataBody = Buffer.alloc(4);
  metadataBody.writeInt32BE(0x7fffffff, 0);
  assert.deepEqual(await sendRaw(frame(ApiKey.Metadata, 1, metadataBody)), { closed: true, received: 0 });
  // Produce v3: transactional id null, acks, timeout, then a topics array that cannot be true.
  const produceBody = new Writer().nullableString(null).int16(1).int32(1000).int32(0x7fffffff).toBuffer();
  assert.deepEqual(await sendRaw(frame(ApiKey.Produce, 3, produceBody)), { closed: true, received: 0 });
  // Produce v3 with one partition whose records claim 2 GiB.
  const recordsBody = new Writer()
    .nullableString(null)
    .int16(1)
    .int32(1000)
    .int32(1)
    .string("survivor")
    .int32(1)
    .int32(0)
    .int32(0x7fffffff)
    .toBuffer();
  assert.deepEqual(await sendRaw(frame(ApiKey.Produce, 3, recordsBody)), { closed: true, received: 0 });
  // Metadata v9 (flexible): a compact array length (unsigned varint, length + 1) of 2^31.
  const compact = new Writer().unsignedVarint(0x80000000).toBuffer();
  assert.deepEqual(await sendRaw(frame(ApiKey.Metadata, 9, compact, true)), { closed: true, received: 0 });
  await assertStillServing();
});

test("an unknown API key closes the connection", async () => {
  assert.deepEqual(await sendRaw(frame(9999, 0, Buffer.alloc(0))), { closed: true, received: 0 });
  assert.deepEqual(await sendRaw(frame(-1, 0, Buffer.alloc(0))), { closed: true, received: 0 });
  await assertStillServing();
});

test("unsupported versions: ApiVersions answers v0 with the ranges, Produce v2 gets UNSUPPORTED_VERSION, undefined versions close", async () => {
  const client = await WireClient.connect(broker.port, broker.host);
  try {
    // KIP-511: an ApiVersions version above what the broker knows gets a v0 answer it can parse.
    client.sendRaw(frame(ApiKey.ApiVersions, 99, Buffer.alloc(0), true));
    const answer = await client.nextFrame();
    assert.equal(answer.readInt32BE(0), 42, "correlation id");
    assert.equal(answer.readInt16BE(4), ErrorCode.UNSUPPORTED_VERSION);
    assert.ok(answer.readInt32BE(6) > 5, "the v0 answer lists the supported APIs");

    // Produce v0-2 are advertised (old librdkafka feature checks) but refused as Kafka 4 does.
    const produce = await client.request<{
      responses: { partitionResponses: { errorCode: number }[] }[];
    }>(ApiKey.Produce, 2, {
      transactionalId: null,
      acks: 1,
      timeoutMs: 1000,
      topicData: [{ name: "survivor", partitionData: [{ index: 0, records: Buffer.alloc(0) }] }],
    });
    assert.equal(produce.responses[0]?.partitionResponses[0]?.errorCode, ErrorCode.UNSUPPORTED_VERSION);
  } finally {
    client.close();
  }
  // A version no Kafka defines cannot be parsed: the connection closes.
  assert.deepEqual(await sendRaw(frame(ApiKey.Produce, 99, Buffer.alloc(0))), { closed: true, received: 0 });
  assert.deepEqual(await sendRaw(frame(ApiKey.Fetch, 400, Buffer.alloc(0))), { closed: true, received: 0 });
  await assertStillServing();
});

test("a frame shorter than a request header, and a flood of tiny bad frames, close their connections", async () => {
  assert.deepEqual(await sendRaw(Buffer.from([0, 0, 0, 0])), { closed: true, received: 0 });
  assert.deepEqual(await sendRaw(Buffer.from([0, 0, 0, 3, 0, 1, 2])), { closed: true, received: 0 });
  const results = await Promise.all(
    Array.from({ length: 50 }, (_, i) => sendRaw(frame(5000 + i, 0, Buffer.alloc(0)))),
  );
  assert.ok(results.every((r) => r.closed && r.received === 0));
  await assertStillServing();
});
