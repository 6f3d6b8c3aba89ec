import assert from "node:assert/strict";
import { statfsSync } from "node:fs";
import { resolve } from "node:path";
import { after, before, test } from "node:test";
import { ApiKey, type DescribeLogDirsResponse, ErrorCode } from "../../../src/protocol/index.js";
import type { WireClient } from "../../helpers/kafka-wire.js";
import { createTopic, produce, startTestBroker, type TestBroker } from "./broker-harness.js";

let b: TestBroker;
before(async () => {
  b = await startTestBroker();
  await createTopic(b.client, "alpha", 2);
  await createTopic(b.client, "beta", 1);
  await produce(b.client, "alpha", 1, 4);
});
after(() => b.stop());

function describeLogDirs(
  client: WireClient,
  version: number,
  topics: { topic: string; partitions: number[] }[] | null,
): Promise<DescribeLogDirsResponse> {
  return client.request<DescribeLogDirsResponse>(ApiKey.DescribeLogDirs, version, { topics });
}

function summary(r: DescribeLogDirsResponse) {
  return r.results.map((d) => ({
    logDir: d.logDir,
    errorCode: d.errorCode,
    topics: d.topics
      .map((t) => [t.name, t.partitions.map((p) => [p.partitionIndex, p.offsetLag, p.isFutureKey])] as const)
      .sort((x, y) => x[0].localeCompare(y[0])),
  }));
}

test("every hosted partition is listed under its log dir, at every version", async () => {
  const dataDir = resolve(b.server.dataDir);
  for (const version of [1, 2, 3, 4]) {
    const r = await describeLogDirs(b.client, version, null);
    assert.equal(r.errorCode, ErrorCode.NONE);
    assert.deepEqual(
      summary(r),
      [
        {
          logDir: dataDir,
          errorCode: ErrorCode.NONE,
          topics: [
            [
              "alpha",
              [
                [0, 0n, false],
                [1, 0n, false],
              ],
            ],
            ["beta", [[0, 0n, false]]],
          ],
        },
      ],
      `v${version}`,
    );
  }
});

test("partition sizes are the bytes on disk", async () => {
  const r = await describeLogDirs(b.client, 2, [{ topic: "alpha", partitions: [0, 1] }]);
  const sizes = r.results[0]?.topics[0]?.partitions.map((p) => [p.partitionIndex, p.partitionSize]);
  const written = b.server.broker.replicaManager.get("alpha", 1)?.log.sizeBytes ?? 0;
  assert.ok(written > 0);
  assert.deepEqual(sizes, [
    [0, 0n],
    [1, BigInt(written)],
  ]);
});

test("only the partitions asked for are listed; unknown ones are left out", async () => {
  const r = await describeLogDirs(b.client, 3, [
    { topic: "beta", partitions: [0, 5] },
    { topic: "gamma", partitions: [0] },
  ]);
  assert.deepEqual(
    summary(r).map((d) => d.topics),
    [[["beta", [[0, 0n, false]]]]],
  );
  const none = await describeLogDirs(b.client, 3, []);
  assert.deepEqual(
    summary(none).map((d) => d.topics),
    [[]],
    "an empty list asks for nothing",
  );
});

test("v4 reports the volume's total and usable bytes; earlier versions cannot", async () => {
  const stats = statfsSync(b.server.dataDir, { bigint: true });
  const v4 = (await describeLogDirs(b.client, 4, [])).results[0];
  assert.equal(v4?.totalBytes, stats.blocks * stats.bsize);
  assert.ok(v4 !== undefined && v4.usableBytes > 0n && v4.usableBytes <= v4.totalBytes);
  const v3 = (await describeLogDirs(b.client, 3, [])).results[0];
  assert.deepEqual([v3?.totalBytes, v3?.usableBytes], [-1n, -1n]);
});

test("v0, which Kafka 4 removed, is refused", async () => {
  const client = b.client;
  const id = client.send(ApiKey.DescribeLogDirs, 0, { topics: null });
  const response = await client.receive<DescribeLogDirsResponse>(ApiKey.DescribeLogDirs, 0);
  assert.equal(response.correlationId, id);
  // v0 has no top-level error code to carry it: the refusal describes no dirs.
  assert.deepEqual(response.body.results, []);
});
