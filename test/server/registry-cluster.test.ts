import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import {
  AvroDeserializer,
  AvroSerializer,
  SchemaRegistryClient,
  SerdeType,
} from "@confluentinc/schemaregistry";
import {
  SchemaRegistry as KafkajsRegistry,
  SchemaType as KafkajsSchemaType,
} from "@kafkajs/confluent-schema-registry";
import { type BrookCluster, startCluster } from "../../src/server/index.js";

/**
 * The Schema Registry on every node of a three-node cluster (in process, on a shared in-memory
 * metadata store): `_schemas` is created on the first write with a replication factor of 3; a
 * write made through any node is carried out by the registry of the node that leads `_schemas`
 * (forwarded over HTTP) and readable at once on the node that forwarded it, soon on the others;
 * concurrent writes through every node get distinct ids and consecutive versions; when the leader
 * is killed, writes go on through the survivors after the failover with ids that continue; and
 * Confluent's clients pointed at a follower work.
 */
const SESSION_TIMEOUT_MS = 1500;
const V1 = "application/vnd.schemaregistry.v1+json";
let cluster: BrookCluster;
/** Every version registered so far: subject -> version -> id. */
const registered = new Map<string, Map<number, number>>();

interface Answer {
  status: number;
  // biome-ignore lint/suspicious/noExplicitAny: tests read arbitrary JSON answers
  json: any;
}

function registryUrl(id: number): string {
  const url = cluster.node(id)?.registryUrl;
  assert.ok(url, `node ${id} serves the registry`);
  return url;
}

async function call(node: number, method: string, path: string, body?: unknown): Promise<Answer> {
  const response = await fetch(`${registryUrl(node)}${path}`, {
    method,
    headers: { Accept: V1, "Content-Type": V1 },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await response.text();
  return { status: response.status, json: text === "" ? undefined : JSON.parse(text) };
}

async function waitFor<T>(what: string, check: () => Promise<T | undefined>, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value !== undefined) return value;
    } catch (error) {
      last = error;
    }
    if (Date.now() > deadline)
      throw new Error(`timed out waiting for ${what}${last ? `: ${String(last)}` : ""}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** An Avro record schema of its own for each name. */
function schemaNamed(name: string): string {
  return JSON.stringify({
    type: "record",
    name,
    namespace: "brook.cluster",
    fields: [{ name: "id", type: "string" }],
  });
}

async function register(
  node: number,
  subject: string,
  schema: string,
): Promise<{ id: number; version: number }> {
  const answer = await call(node, "POST", `/subjects/${subject}/versions`, { schema });
  assert.equal(
    answer.status,
    200,
    `register ${subject} through node ${node}: ${JSON.stringify(answer.json)}`,
  );
  const { id, version } = answer.json as { id: number; version: number };
  if (!registered.has(subject)) registered.set(subject, new Map());
  registered.get(subject)?.set(version, id);
  return { id, version };
}

function anyNode() {
  const node = cluster.nodeIds.map((id) => cluster.node(id)).find((n) => n !== undefined);
  assert.ok(node);
  return node;
}

function schemasLeader(): number {
  return anyNode().broker.image.partition("_schemas", 0)?.leader ?? -1;
}

function maxRegisteredId(): number {
  return Math.max(...[...registered.values()].flatMap((versions) => [...versions.values()]));
}

before(async () => {
  cluster = await startCluster({
    nodes: 3,
    registry: true,
    properties: {
      "etcd.session.timeout.ms": String(SESSION_TIMEOUT_MS),
      "replica.lag.time.max.ms": "2000",
    },
  });
});

after(async () => {
  await cluster.stop();
});

test("_schemas is created with 3 replicas on the first write; a schema registered through a follower is read back on every node", async () => {
  assert.equal(anyNode().broker.image.topic("_schemas"), undefined, "no _schemas before the first write");
  for (const id of cluster.nodeIds) assert.deepEqual((await call(id, "GET", "/subjects")).json, []);

  await register(1, "first-value", schemaNamed("First"));
  const partition = anyNode().broker.image.partition("_schemas", 0);
  assert.deepEqual([...(partition?.replicas ?? [])].sort(), [1, 2, 3], "replication factor 3");

  const leader = schemasLeader();
  const follower = cluster.nodeIds.find((id) => id !== leader) as number;
  const { id, version } = await register(follower, "orders-value", schemaNamed("Order"));
  assert.equal(version, 1);

  // At once on the node the client used; on the others as soon as their replicas have it.
  const byId = `/schemas/ids/${id}`;
  const bySubject = "/subjects/orders-value/versions/1";
  const [ownById, ownBySubject] = await Promise.all([
    call(follower, "GET", byId),
    call(follower, "GET", bySubject),
  ]);
  assert.equal(ownById.status, 200, JSON.stringify(ownById.json));
  assert.equal(ownById.json.schema, schemaNamed("Order"));
  assert.equal(ownBySubject.status, 200);
  assert.equal(ownBySubject.json.id, id);
  await Promise.all(
    cluster.nodeIds.map((node) =>
      waitFor(
        `node ${node} to serve schema ${id}`,
        async () => {
          const [a, b] = await Promise.all([call(node, "GET", byId), call(node, "GET", bySubject)]);
          return a.status === 200 && b.status === 200 && b.json.id === id ? true : undefined;
        },
        5000,
      ),
    ),
  );
});

test("concurrent registrations through all three nodes get distinct ids and consecutive versions", async () => {
  const subject = "concurrent-value";
  const level = await call(3, "PUT", `/config/${subject}`, { compatibility: "NONE" });
  assert.equal(level.status, 200);
  const names = Array.from({ length: 9 }, (_, i) => `Concurrent${i}`);
  const results = await Promise.all(
    names.map((name, i) => register(cluster.nodeIds[i % 3] as number, subject, schemaNamed(name))),
  );
  const ids = results.map((r) => r.id);
  assert.equal(new Set(ids).size, ids.length, `distinct ids: ${ids}`);
  assert.deepEqual(
    results.map((r) => r.version).sort((a, b) => a - b),
    [1, 2, 3, 4, 5, 6, 7, 8, 9],
  );
  for (const node of cluster.nodeIds) {
    const versions = await waitFor(
      `node ${node} to list 9 versions`,
      async () => {
        const answer = await call(node, "GET", `/subjects/${subject}/versions`);
        return answer.status === 200 && answer.json.length === 9 ? answer.json : undefined;
      },
      5000,
    );
    assert.deepEqual(versions, [1, 2, 3, 4, 5, 6, 7, 8, 9]);
  }
  for (const [i, result] of results.entries()) {
    const answer = await call(
      cluster.nodeIds[(i + 1) % 3] as number,
      "GET",
      `/subjects/${subject}/versions/${result.version}`,
    );
    assert.equal(answer.json.id, result.id);
    assert.equal(answer.json.schema, schemaNamed(names[i] as string));
  }
});

test("Confluent's clients pointed at a follower register, look up, serialize and deserialize", async () => {
  const follower = cluster.nodeIds.find((id) => id !== schemasLeader()) as number;
  const url = registryUrl(follower);
  const payment = JSON.stringify({
    type: "record",
    name: "Payment",
    namespace: "com.acme",
    fields: [
      { name: "id", type: "string" },
      { name: "amount", type: "double" },
    ],
  });
  const value = { id: "p-1", amount: 12.5 };

  const kafkajs = new KafkajsRegistry({ host: url });
  const { id } = await kafkajs.register(
    { type: KafkajsSchemaType.AVRO, schema: payment },
    { subject: "payments-value" },
  );
  assert.equal(await kafkajs.getLatestSchemaId("payments-value"), id);
  assert.deepEqual({ ...(await kafkajs.decode(await kafkajs.encode(id, value))) }, value);

  const confluent = new SchemaRegistryClient({ baseURLs: [url] });
  const info = { schemaType: "AVRO", schema: payment };
  assert.equal(await confluent.register("payments-value", info), id, "the same schema, the same id");
  const refunds = await confluent.register("refunds-value", info);
  assert.equal(refunds, id, "the same schema in another subject keeps its id");
  const latest = await confluent.getLatestSchemaMetadata("refunds-value");
  assert.equal(latest.version, 1);
  const bytes = await new AvroSerializer(confluent, SerdeType.VALUE, { useLatestVersion: true }).serialize(
    "refunds",
    value,
  );
  assert.equal(bytes.readInt32BE(1), id);
  const decoded = await new AvroDeserializer(confluent, SerdeType.VALUE, {}).deserialize("refunds", bytes);
  assert.deepEqual({ ...decoded }, value);
  registered.set("payments-value", new Map([[1, id]]));
});

test("killing the _schemas leader: writes through the survivors go on after the failover, ids continue, nothing is lost", async () => {
  const leader = schemasLeader();
  const survivors = cluster.nodeIds.filter((id) => id !== leader);
  const maxIdBefore = maxRegisteredId();
  const leaderUrl = registryUrl(leader);
  await cluster.killNode(leader);
  const killedAt = Date.now();

  // The first write waits for (or is retried past) the election of a new leader.
  const first = await waitFor(
    "a registration after the failover",
    async () => {
      const answer = await call(survivors[0] as number, "POST", "/subjects/after-failover-value/versions", {
        schema: schemaNamed("AfterFailover"),
      });
      return answer.status === 200 ? (answer.json as { id: number; version: number }) : undefined;
    },
    SESSION_TIMEOUT_MS + 10_000,
  );
  const failoverMs = Date.now() - killedAt;
  assert.ok(failoverMs < SESSION_TIMEOUT_MS + 8000, `failover took ${failoverMs} ms`);
  assert.ok(first.id > maxIdBefore, `id ${first.id} continues after ${maxIdBefore}`);
  assert.notEqual(schemasLeader(), leader, "a survivor leads _schemas");
  registered.set("after-failover-value", new Map([[first.version, first.id]]));
  const second = await register(
    survivors[1] as number,
    "after-failover-2-value",
    schemaNamed("AfterFailover2"),
  );
  assert.ok(second.id > first.id);

  for (const node of survivors) {
    for (const [subject, versions] of registered) {
      for (const [version, id] of versions) {
        await waitFor(
          `node ${node} to serve ${subject} v${version}`,
          async () => {
            const answer = await call(node, "GET", `/subjects/${subject}/versions/${version}`);
            return answer.status === 200 && answer.json.id === id ? true : undefined;
          },
          5000,
        );
      }
    }
  }

  // The killed node comes back on its ports and serves what was registered while it was away.
  await cluster.startNode(leader);
  assert.equal(registryUrl(leader), leaderUrl, "the registry comes back on its port");
  await waitFor(
    `node ${leader} to serve schema ${second.id} after its restart`,
    async () => ((await call(leader, "GET", `/schemas/ids/${second.id}`)).status === 200 ? true : undefined),
    10_000,
  );
});
