import assert from "node:assert/strict";
import { createServer } from "node:net";
import { after, before, test } from "node:test";
import {
  MemorySchemaLog,
  type RegistryLeadership,
  type RegistryTarget,
  type RunningSchemaRegistry,
  startSchemaRegistry,
} from "../../src/registry/index.js";

/**
 * The routing of a cluster of registries, without a broker: a "leader" registry that serves
 * everything, and a "follower" on the same log whose leadership (a fake) sends writes to the
 * leader's URL, or nowhere. The broker's own leadership is tested in test/server/registry-cluster.
 */
const V1 = "application/vnd.schemaregistry.v1+json";
const log = new MemorySchemaLog();
let leader: RunningSchemaRegistry;
let follower: RunningSchemaRegistry;
let writeTarget: RegistryTarget;
let prepared = 0;

const leadership: RegistryLeadership = {
  target: (kind) => (kind === "read" ? { kind: "local" } : writeTarget),
  changed: (timeoutMs) => new Promise((resolve) => setTimeout(resolve, Math.min(timeoutMs, 20))),
  prepareWrite: async () => {
    prepared++;
  },
};

interface Answer {
  error_code?: number;
  message?: string;
  id?: number;
}

async function call(
  url: string,
  method: string,
  path: string,
  body?: unknown,
  headers: Record<string, string> = {},
): Promise<{
  status: number;
  headers: Headers;
  json: { error_code?: number; message?: string; id?: number };
}> {
  const response = await fetch(`${url}${path}`, {
    method,
    headers: { Accept: V1, "Content-Type": V1, ...headers },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  return { status: response.status, headers: response.headers, json: (await response.json()) as Answer };
}

/** A loopback port nothing listens on. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

before(async () => {
  leader = await startSchemaRegistry({ store: log, port: 0 });
  follower = await startSchemaRegistry({
    store: log,
    port: 0,
    leadership,
    instanceName: "follower",
    leaderWaitMs: 300,
  });
  writeTarget = { kind: "remote", url: leader.url, nodeId: 1 };
});

after(async () => {
  await follower.close();
  await leader.close();
});

test("a write through the follower is carried out by the leader; its answer comes back as it was", async () => {
  const registered = await call(follower.url, "POST", "/subjects/a-value/versions", { schema: '"string"' });
  assert.equal(registered.status, 200);
  assert.equal(registered.json.id, 1);
  assert.equal(registered.headers.get("content-type"), V1);
  assert.equal(
    registered.headers.get("x-brook-schemas-offset"),
    null,
    "the leader's offset stays between registries",
  );
  assert.equal(log.snapshot().length, 1, "one record, written by the leader");
  assert.equal((await call(follower.url, "GET", "/schemas/ids/1")).status, 200, "read back on the follower");

  const level = await call(follower.url, "PUT", "/config/a-value", { compatibility: "FULL" });
  assert.deepEqual([level.status, level.json], [200, { compatibility: "FULL" }]);
  const refused = await call(follower.url, "POST", "/subjects/a-value/versions", { schema: '"int"' });
  assert.equal(refused.status, 409, "the leader's error is the client's");
  assert.equal(refused.json.error_code, 409);
});

test("a forwarded request that reaches a node that does not lead is answered 50003, not forwarded again", async () => {
  const before = log.snapshot().length;
  const answer = await call(
    follower.url,
    "POST",
    "/subjects/b-value/versions",
    { schema: '"string"' },
    { "X-Brook-Forwarded-By": "node 9" },
  );
  assert.equal(answer.status, 500);
  assert.equal(answer.json.error_code, 50003);
  assert.match(answer.json.message ?? "", /^Error while forwarding the request to the leader/);
  assert.equal(log.snapshot().length, before);
});

test("no leader: a write waits, then fails with 50004; a missing store is prepared first", async () => {
  writeTarget = { kind: "none", reason: "_schemas does not exist yet", prepare: true };
  try {
    const startedAt = Date.now();
    const answer = await call(follower.url, "DELETE", "/config/a-value");
    assert.equal(answer.json.error_code, 50004);
    assert.ok(Date.now() - startedAt >= 250, "it waited for a leader");
    assert.ok(prepared > 0, "the store was asked to exist");
    assert.equal((await call(follower.url, "GET", "/config/a-value")).status, 200, "reads go on");
  } finally {
    writeTarget = { kind: "remote", url: leader.url, nodeId: 1 };
  }
});

test("a leader that refuses connections: the write goes to the next leader, or fails with 50003", async () => {
  writeTarget = { kind: "remote", url: `http://127.0.0.1:${await closedPort()}`, nodeId: 2 };
  try {
    const failed = await call(follower.url, "PUT", "/config", { compatibility: "NONE" });
    assert.equal(failed.json.error_code, 50003);

    const pending = call(follower.url, "PUT", "/config", { compatibility: "NONE" });
    setTimeout(() => {
      writeTarget = { kind: "remote", url: leader.url, nodeId: 1 };
    }, 100);
    const answer = await pending;
    assert.deepEqual([answer.status, answer.json], [200, { compatibility: "NONE" }]);
  } finally {
    writeTarget = { kind: "remote", url: leader.url, nodeId: 1 };
  }
});
