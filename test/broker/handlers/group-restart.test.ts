import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import {
  ApiKey,
  type DescribeGroupsResponse,
  ErrorCode,
  type OffsetFetchResponse,
} from "../../../src/protocol/index.js";
import {
  commit,
  coordinatorReady,
  createTopic,
  type GroupTestBroker,
  stableGroup,
  startGroupBroker,
} from "./group-wire.js";

/** Commits written before the restart; with a 1 KiB load buffer they take many reads to load. */
const COMMIT_COUNT = Number(process.env.BROOK_GROUP_RESTART_COMMITS ?? 200);

/** OffsetFetch v8 of every committed partition, retried while the coordinator is loading. */
async function committedAfterLoad(b: GroupTestBroker, groupId: string): Promise<Map<string, bigint>> {
  for (let attempt = 0; attempt < 500; attempt++) {
    const response = await b.client.request<OffsetFetchResponse>(ApiKey.OffsetFetch, 8, {
      groups: [{ groupId, memberId: null, memberEpoch: -1, topics: null }],
      requireStable: false,
    });
    const group = response.groups[0];
    if (group?.errorCode === ErrorCode.NONE) {
      return new Map(
        group.topics.flatMap((t) =>
          t.partitions.map((p) => [`${t.name}-${p.partitionIndex}`, p.committedOffset]),
        ),
      );
    }
    assert.equal(group?.errorCode, ErrorCode.COORDINATOR_LOAD_IN_PROGRESS);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  throw new Error("the coordinator never finished loading");
}

test("committed offsets and group metadata survive a broker restart, loaded from __consumer_offsets", async () => {
  const dataDir = mkdtempSync(join(tmpdir(), "brook-group-restart-"));
  const properties = { "offsets.load.buffer.size": "1024" };
  try {
    const first = await startGroupBroker({ dataDir, properties });
    try {
      await createTopic(first.client, "orders", 4);
      await coordinatorReady(first, "survivor");
      await coordinatorReady(first, "member-group");
      for (let i = 0; i < COMMIT_COUNT; i++) {
        await commit(first.client, 8, "survivor", { orders: { [i % 4]: BigInt(i) } });
      }
      await stableGroup(first.client, "member-group");
    } finally {
      await first.stop();
    }

    const second = await startGroupBroker({ dataDir, properties });
    try {
      const expected = new Map<string, bigint>();
      for (let i = Math.max(0, COMMIT_COUNT - 4); i < COMMIT_COUNT; i++)
        expected.set(`orders-${i % 4}`, BigInt(i));
      assert.deepEqual(await committedAfterLoad(second, "survivor"), expected);
      const described = await second.client.request<DescribeGroupsResponse>(ApiKey.DescribeGroups, 5, {
        groups: ["member-group"],
        includeAuthorizedOperations: false,
      });
      const group = described.groups[0];
      assert.equal(group?.protocolType, "consumer");
      assert.notEqual(group?.groupState, "Dead");
    } finally {
      await second.stop();
    }
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
});
