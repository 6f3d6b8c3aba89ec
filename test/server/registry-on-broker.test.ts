import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { startBroker } from "../../src/server/index.js";

const CONTENT_TYPE = "application/vnd.schemaregistry.v1+json";

async function call(url: string, method: string, body?: unknown): Promise<{ status: number; json: unknown }> {
  const response = await fetch(url, {
    method,
    headers: { "Content-Type": CONTENT_TYPE },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  return { status: response.status, json: await response.json() };
}

const priceV1 = {
  type: "record",
  name: "StockPrice",
  namespace: "brook.example",
  fields: [
    { name: "symbol", type: "string" },
    { name: "price", type: "double" },
  ],
};

test("the registry keeps subjects, ids, configs and modes in _schemas across broker restarts", async () => {
  const dataDir = mkdtempSync(join(tmpdir(), "brook-registry-"));
  try {
    let server = await startBroker({ dataDir, registry: true });
    const url = server.registryUrl as string;
    const registered = await call(`${url}/subjects/prices-value/versions`, "POST", {
      schema: JSON.stringify(priceV1),
    });
    assert.equal(registered.status, 200);
    const id = (registered.json as { id: number }).id;
    assert.equal((await call(`${url}/config/prices-value`, "PUT", { compatibility: "FULL" })).status, 200);
    assert.equal((await call(`${url}/mode/prices-value`, "PUT", { mode: "READONLY" })).status, 200);

    const topic = server.broker.image.topic("_schemas");
    assert.equal(topic?.partitions.length, 1, "_schemas is a single-partition topic");
    assert.equal(server.broker.topicConfig("_schemas").cleanupPolicy.join(","), "compact");
    assert.ok((server.broker.replicaManager.get("_schemas", 0)?.log.logEndOffset ?? 0n) >= 3n);
    await server.stop();

    server = await startBroker({ dataDir, registry: true });
    const url2 = server.registryUrl as string;
    const version = await call(`${url2}/subjects/prices-value/versions/latest`, "GET");
    assert.equal(version.status, 200);
    assert.equal((version.json as { id: number }).id, id);
    assert.deepEqual((await call(`${url2}/config/prices-value`, "GET")).json, { compatibilityLevel: "FULL" });
    assert.deepEqual((await call(`${url2}/mode/prices-value`, "GET")).json, { mode: "READONLY" });
    const refused = await call(`${url2}/subjects/prices-value/versions`, "POST", {
      schema: JSON.stringify(priceV1),
    });
    assert.equal(refused.status, 422, "READONLY survives the restart");
    await server.stop();
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
});
