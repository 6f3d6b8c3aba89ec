import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import {
  BrokerConnections,
  ClientError,
  ClientErrorCode,
  isConnectionFailure,
} from "../../src/client/index.js";
import { startBroker } from "../../src/index.js";
import { ApiKey, type CreateTopicsResponse, type MetadataResponse } from "../../src/protocol/index.js";
import { FakeBroker } from "./fake-broker.js";

const allTopics = { topics: null, allowAutoTopicCreation: false };

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer().listen(0, "127.0.0.1", () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

test("one connection per endpoint and purpose, shared by concurrent callers", async () => {
  const fake = await FakeBroker.start();
  const pool = new BrokerConnections({ clientId: "pool-test" });
  const endpoint = { host: "127.0.0.1", port: fake.port };
  const [a, b, c] = await Promise.all([
    pool.connection(endpoint),
    pool.connection(endpoint),
    pool.connection(endpoint),
  ]);
  assert.equal(a, b);
  assert.equal(b, c);
  const fetching = await pool.connection(endpoint, "replication");
  assert.notEqual(fetching, a);
  assert.equal(await pool.connection(endpoint, "replication"), fetching);
  assert.equal(fake.requests.filter((r) => r.apiKey === ApiKey.ApiVersions).length, 2);

  a.close();
  const replaced = await pool.connection(endpoint);
  assert.notEqual(replaced, a);
  assert.ok(!replaced.isClosed);

  pool.close();
  assert.ok(replaced.isClosed && fetching.isClosed);
  await assert.rejects(
    pool.connection(endpoint),
    (e) => e instanceof ClientError && e.code === ClientErrorCode.disconnected,
  );
  await fake.stop();
});

test("after a broker restarts on the same port, the next request goes through a new connection", async () => {
  const dataDir = mkdtempSync(join(tmpdir(), "brook-client-pool-"));
  let broker = await startBroker({ dataDir });
  const port = broker.port;
  const endpoint = { host: "127.0.0.1", port };
  const pool = new BrokerConnections({
    clientId: "pool-test",
    reconnectBackoffMs: 20,
    reconnectBackoffMaxMs: 100,
  });
  try {
    const created = await pool.request<CreateTopicsResponse>(endpoint, ApiKey.CreateTopics, 7, {
      topics: [{ name: "survives-restart", numPartitions: 2, replicationFactor: 1 }],
      timeoutMs: 5000,
    });
    assert.equal(created.topics[0]?.errorCode, 0);
    const before = await pool.connection(endpoint);
    const closed = new Promise<void>((resolve) => before.onClose(() => resolve()));

    await broker.stop();
    await closed;
    await assert.rejects(pool.request(endpoint, ApiKey.Metadata, 12, allTopics), isConnectionFailure);

    broker = await startBroker({ dataDir, port });
    const metadata = await pool.request<MetadataResponse>(endpoint, ApiKey.Metadata, 12, allTopics);
    const topic = metadata.topics.find((t) => t.name === "survives-restart");
    assert.equal(topic?.partitions.length, 2);
    assert.notEqual(await pool.connection(endpoint), before);
  } finally {
    pool.close();
    await broker.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
});

test("failed connection attempts back off, doubling up to the maximum", async () => {
  const endpoint = { host: "127.0.0.1", port: await freePort() };
  const pool = new BrokerConnections({
    clientId: "pool-test",
    reconnectBackoffMs: 100,
    reconnectBackoffMaxMs: 200,
  });
  const elapsed: number[] = [];
  for (let i = 0; i < 4; i++) {
    const startMs = performance.now();
    await assert.rejects(
      pool.connection(endpoint),
      (e) => e instanceof ClientError && e.code === ClientErrorCode.connectFailed,
    );
    elapsed.push(performance.now() - startMs);
  }
  // ±20 % jitter: the waits are about 0, 100, 200 and 200 ms (capped).
  assert.ok((elapsed[0] as number) < 80, `first attempt at once (${elapsed[0]} ms)`);
  assert.ok((elapsed[1] as number) >= 75, `second after ~100 ms (${elapsed[1]} ms)`);
  assert.ok((elapsed[2] as number) >= 155, `third after ~200 ms (${elapsed[2]} ms)`);
  assert.ok((elapsed[3] as number) >= 155 && (elapsed[3] as number) < 600, `capped (${elapsed[3]} ms)`);
  pool.close();
});
