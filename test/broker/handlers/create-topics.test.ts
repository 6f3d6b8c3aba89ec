import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { ApiKey, type CreateTopicsResponse, ErrorCode } from "../../../src/protocol/index.js";
import { createTopic, startTestBroker, type TestBroker } from "./broker-harness.js";

let b: TestBroker;
before(async () => {
  b = await startTestBroker();
  await createTopic(b.client, "existing");
});
after(() => b.stop());

function create(version: number, names: string[], validateOnly = false): Promise<CreateTopicsResponse> {
  return b.client.request<CreateTopicsResponse>(ApiKey.CreateTopics, version, {
    topics: names.map((name) => ({
      name,
      numPartitions: 1,
      replicationFactor: 1,
      assignments: [],
      configs: [],
    })),
    timeoutMs: 5000,
    validateOnly,
  });
}

test("v5+: a created topic reports its configs, a failed one an empty list (never null, as Kafka)", async () => {
  for (const version of [5, 6, 7]) {
    for (const validateOnly of [false, true]) {
      const fresh = `created-v${version}-${validateOnly}`;
      const r = await create(version, [fresh, "existing", "bad/name"], validateOnly);
      const byName = new Map(r.topics.map((t) => [t.name, t]));
      const what = `v${version}${validateOnly ? " validateOnly" : ""}`;
      assert.equal(byName.get(fresh)?.errorCode, ErrorCode.NONE, what);
      assert.ok((byName.get(fresh)?.configs?.length ?? 0) > 0, `${what}: the new topic's configs`);
      assert.equal(byName.get("existing")?.errorCode, ErrorCode.TOPIC_ALREADY_EXISTS, what);
      assert.equal(byName.get("bad/name")?.errorCode, ErrorCode.INVALID_TOPIC_EXCEPTION, what);
      for (const failed of ["existing", "bad/name"]) {
        assert.deepEqual(byName.get(failed)?.configs, [], `${what} ${failed}: an empty list on the wire`);
        assert.equal(byName.get(failed)?.numPartitions, -1, what);
      }
    }
  }
});
