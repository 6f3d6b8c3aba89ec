import assert from "node:assert/strict";
import { test } from "node:test";
import { AdminClient } from "../../src/client/index.js";
import { ProxyProducer, recordBytes } from "../../src/rest-proxy/proxy-producer.js";
import { RestProxyError } from "../../src/rest-proxy/rest-error.js";

/** The shared producer's buffer is the proxy's backpressure: v2 requests get 429, v3 streams wait. */

const SETTINGS = {
  bufferMemory: 1000,
  acks: -1 as const,
  lingerMs: 5,
  batchSize: 16384,
  compression: "none" as const,
  deliveryTimeoutMs: 1000,
};

function producer(): { producer: ProxyProducer; admin: AdminClient } {
  // Nothing here talks to a broker: the admin client is never asked anything.
  const admin = new AdminClient({ bootstrap: "127.0.0.1:1" });
  return { producer: new ProxyProducer(SETTINGS, "127.0.0.1:1", admin), admin };
}

test("a v2 request that does not fit in what is left of the buffer is refused with 429", () => {
  const { producer: p, admin } = producer();
  const taken = p.admitNow(600);
  assert.equal(taken, 600);
  assert.throws(
    () => p.admitNow(600),
    (e) =>
      e instanceof RestProxyError &&
      e.status === 429 &&
      e.errorCode === 429 &&
      e.headers["retry-after"] === "1",
  );
  p.release(taken);
  assert.equal(p.admitNow(600), 600);
  // A request larger than the whole buffer takes all of it (when it is empty) rather than never passing.
  p.release(600);
  assert.equal(p.admitNow(5000), 1000);
  admin.close();
});

test("a v3 record waits, in order, until earlier records give their bytes back", async () => {
  const { producer: p, admin } = producer();
  const first = p.admitNow(900);
  const order: string[] = [];
  const second = p.admit(500).then((n) => order.push(`second ${n}`));
  const third = p.admit(100).then((n) => order.push(`third ${n}`));
  await new Promise((r) => setTimeout(r, 20));
  assert.deepEqual(order, [], "nothing fits while 900 of 1000 bytes are held");
  assert.throws(() => p.admitNow(10), /429|rate limit/, "a v2 request does not jump the queue");
  p.release(first);
  await Promise.all([second, third]);
  assert.deepEqual(order, ["second 500", "third 100"]);
  assert.equal(p.bufferedBytes, 600);
  assert.ok(recordBytes({ topic: "t", key: Buffer.alloc(3), value: Buffer.alloc(7) }) >= 10);
  admin.close();
});
