import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { type BrookCluster, startCluster } from "../../src/server/index.js";
import { post, rest, V2, V2_JSON } from "./rest-http.js";

/**
 * Every node of a three-node cluster serves the REST Proxy as a client of the whole cluster: a
 * topic created through one node's proxy, records produced through another's (whatever leads
 * their partitions), read through a third's consumer instance, and the brokers all listed.
 */

let cluster: BrookCluster;

before(async () => {
  cluster = await startCluster({
    nodes: 3,
    restProxy: true,
    nodeProperties: { 1: { "rest.proxy.advertised.listeners": "http://proxy-1.example:8082" } },
  });
});

after(async () => {
  await cluster?.stop();
});

function proxyOf(id: number): string {
  return cluster.node(id)?.restProxyUrl as string;
}

test("a topic made through node 1's proxy, written through node 2's, read through node 3's", async () => {
  const clusterId = cluster.node(1)?.broker.clusterId as string;
  const created = await rest(proxyOf(1), `/v3/clusters/${clusterId}/topics`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: { topic_name: "everywhere", partitions_count: 3, replication_factor: 3 },
  });
  assert.equal(created.status, 201, created.text);
  const brokers = await rest(proxyOf(3), "/brokers");
  assert.deepEqual(brokers.json, { brokers: [1, 2, 3] });
  const leaders = (
    (await rest(proxyOf(2), "/topics/everywhere")).json as { partitions: { leader: number }[] }
  ).partitions;
  assert.equal(leaders.length, 3);
  const records = Array.from({ length: 9 }, (_, i) => ({ key: `k${i}`, value: { i } }));
  const produced = await post(proxyOf(2), "/topics/everywhere", V2_JSON, { records });
  assert.equal(produced.status, 200, produced.text);
  const offsets = (produced.json as { offsets: { partition: number; error_code: number | null }[] }).offsets;
  assert.ok(offsets.every((o) => o.error_code === null));
  assert.equal(new Set(offsets.map((o) => o.partition)).size, 3, "the keys spread over the three partitions");
  const instance = await post(proxyOf(3), "/consumers/readers", V2, {
    name: "r",
    format: "json",
    "auto.offset.reset": "earliest",
  });
  assert.equal(instance.status, 200, instance.text);
  await post(proxyOf(3), "/consumers/readers/instances/r/subscription", V2, { topics: ["everywhere"] });
  const read: { value: { i: number } }[] = [];
  for (let i = 0; i < 40 && read.length < 9; i++) {
    const answer = await rest(proxyOf(3), "/consumers/readers/instances/r/records?timeout=500", {
      headers: { accept: V2_JSON },
    });
    read.push(...(answer.json as { value: { i: number } }[]));
  }
  assert.deepEqual(
    read.map((r) => r.value.i).sort((a, b) => a - b),
    [0, 1, 2, 3, 4, 5, 6, 7, 8],
  );
  await rest(proxyOf(3), "/consumers/readers/instances/r", { method: "DELETE" });
});

test("links name the advertised listener where one is set, else the request's Host", async () => {
  const advertised = await post(proxyOf(1), "/consumers/linked", V2, { name: "a" });
  assert.equal(
    (advertised.json as { base_uri: string }).base_uri,
    "http://proxy-1.example:8082/consumers/linked/instances/a",
  );
  const hosted = await rest(proxyOf(2), "/v3/clusters", { headers: { host: "gateway.example:9999" } });
  assert.equal(
    (hosted.json as { metadata: { self: string } }).metadata.self,
    "http://gateway.example:9999/v3/clusters",
  );
  await rest(proxyOf(1), "/consumers/linked/instances/a", { method: "DELETE" });
});
