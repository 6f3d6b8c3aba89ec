import assert from "node:assert/strict";
import { type AddressInfo, connect, createServer, type Server, type Socket } from "node:net";
import { after, before, test } from "node:test";
import { Producer } from "../../src/client/index.js";
import { BrokerProcess, kcatConsume, TEST_TIMEOUT_MS } from "./broker-process.js";

/**
 * Brook's producer when the answer to a produce request is lost after the broker wrote the batch
 * (a proxy between them drops it and cuts the connection): the producer sends the batch again.
 * Idempotent (Kafka's default), the broker recognises the retry by its producer id and sequence
 * numbers and every record is in the log once; with idempotence off, the retry writes the batch
 * a second time, which is what idempotence is for (and shows the proxy really loses the answer).
 */

let broker: BrokerProcess;
let proxy: LosingProxy;

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/**
 * Forwards connections to the broker. Once armed, the first Produce request forwarded arms its
 * connection: the broker's next bytes on it (the answer) are dropped and both sides are closed.
 */
class LosingProxy {
  private readonly server: Server;
  private armed = false;
  lostAnswers = 0;

  constructor(target: number) {
    this.server = createServer((client) => this.relay(client, target));
  }

  listen(port: number): Promise<void> {
    return new Promise((resolve) => this.server.listen(port, "127.0.0.1", resolve));
  }

  /** The next produce request's answer is lost. */
  arm(): void {
    this.armed = true;
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.server.close(() => resolve()));
  }

  private relay(client: Socket, target: number): void {
    const upstream = connect(target, "127.0.0.1");
    let pending = Buffer.alloc(0);
    let loseAnswer = false;
    const closeBoth = () => {
      client.destroy();
      upstream.destroy();
    };
    client.on("data", (chunk) => {
      upstream.write(chunk);
      // Frames: int32 size, then int16 api key (0 = Produce).
      pending = Buffer.concat([pending, chunk]);
      while (pending.length >= 6 && pending.length >= 4 + pending.readInt32BE(0)) {
        if (this.armed && pending.readInt16BE(4) === 0) {
          this.armed = false;
          loseAnswer = true;
        }
        pending = pending.subarray(4 + pending.readInt32BE(0));
      }
    });
    upstream.on("data", (chunk) => {
      if (loseAnswer) {
        this.lostAnswers++;
        closeBoth();
        return;
      }
      client.write(chunk);
    });
    client.on("error", closeBoth);
    upstream.on("error", closeBoth);
    client.on("close", closeBoth);
    upstream.on("close", closeBoth);
  }
}

before(async () => {
  const brokerPort = await freePort();
  const proxyPort = await freePort();
  proxy = new LosingProxy(brokerPort);
  await proxy.listen(proxyPort);
  // Clients learn the proxy's address from the metadata, so every connection goes through it.
  broker = await BrokerProcess.start({
    overrides: {
      listeners: `PLAINTEXT://127.0.0.1:${brokerPort},CONTROLLER://127.0.0.1:0`,
      "advertised.listeners": `PLAINTEXT://127.0.0.1:${proxyPort}`,
      "num.partitions": "1",
    },
  });
});

after(async () => {
  await broker?.dispose();
  await proxy?.close();
});

async function produceThroughLoss(topic: string, idempotence: boolean): Promise<bigint[]> {
  const producer = new Producer({
    bootstrap: broker.bootstrap,
    idempotence,
    lingerMs: 1,
    retryBackoffMs: 50,
  });
  try {
    await producer.send({ topic, value: "warm-up" }); // metadata and connections first
    proxy.arm();
    const lost = proxy.lostAnswers;
    const sent = await Promise.all(
      Array.from({ length: 20 }, (_, i) => producer.send({ topic, value: `record-${i}` })),
    );
    assert.equal(proxy.lostAnswers, lost + 1, "the proxy lost one answer");
    return sent.map((m) => m.offset);
  } finally {
    await producer.close();
  }
}

test("idempotent: a batch sent again after its answer was lost is written once", {
  timeout: TEST_TIMEOUT_MS,
}, async () => {
  const offsets = await produceThroughLoss("idempotent", true);
  assert.deepEqual(
    offsets,
    Array.from({ length: 20 }, (_, i) => BigInt(i + 1)),
  );
  const values = (await kcatConsume(broker.bootstrap, "idempotent")).map((r) => r.payload);
  assert.deepEqual(values, ["warm-up", ...Array.from({ length: 20 }, (_, i) => `record-${i}`)]);
});

test("idempotence off: the same loss writes the batch twice", { timeout: TEST_TIMEOUT_MS }, async () => {
  await produceThroughLoss("not-idempotent", false);
  const values = (await kcatConsume(broker.bootstrap, "not-idempotent")).map((r) => r.payload);
  assert.equal(values.length, 41, "the retried batch is in the log twice");
  assert.equal(new Set(values).size, 21);
});

test("idempotence needs acks=all and retries, as Kafka's producer says", () => {
  assert.throws(
    () => new Producer({ bootstrap: broker.bootstrap, acks: 1, idempotence: true }),
    /Must set acks to all and retries to a value greater than 0 in order to use the idempotent producer/,
  );
});
