import assert from "node:assert/strict";
import { test } from "node:test";
import { ShardHarness, stableGroup } from "./shard-harness.js";

const HOUR_MS = 60 * 60 * 1000;
const DAY_MS = 24 * HOUR_MS;

/** A shard past loading, so that its retention pass runs every check interval. */
function loaded(config: ConstructorParameters<typeof ShardHarness>[0] = {}): ShardHarness {
  const h = new ShardHarness(config);
  h.apply(h.shard.onLoaded());
  return h;
}

test("a consumer group's offsets expire offsets.retention.minutes after the group became Empty", () => {
  const h = loaded();
  const { memberIds, generationId } = stableGroup(h, 1, { sessionTimeoutMs: 1_800_000 });
  const member = memberIds[0] as string;
  h.commit({ generationId, memberId: member });
  // The consumer runs for two days (heartbeating), then leaves.
  for (let t = 0; t < 2 * DAY_MS; t += 20 * 60_000) {
    h.advance(20 * 60_000);
    h.heartbeat(member, generationId);
  }
  h.leave([{ memberId: member }]);
  assert.equal(h.shard.group("g")?.state, "Empty");
  // 7 days after the commit (5 after becoming empty): still there.
  h.advance(5 * DAY_MS);
  assert.equal(h.shard.committedOffset("g", "t", 0)?.committedOffset, 10n);
  // 7 days after becoming empty, at the next retention check: expired, and the group with it.
  h.advance(2 * DAY_MS + 10 * 60_000);
  assert.equal(h.shard.committedOffset("g", "t", 0), undefined);
  assert.equal(h.shard.group("g"), undefined);
  assert.deepEqual(
    h.log.slice(-2).map((r) => [r.type, r.value]),
    [
      ["offsetCommit", null],
      ["groupMetadata", null],
    ],
  );
});

test("a simple group's offsets expire retention after their commit", () => {
  const h = loaded({ offsetsRetentionMs: DAY_MS, offsetsRetentionCheckIntervalMs: HOUR_MS });
  h.commit({ groupId: "s", offsets: [{ topic: "t", partition: 0, offset: 1n }] });
  h.advance(12 * HOUR_MS);
  h.commit({ groupId: "s", offsets: [{ topic: "t", partition: 1, offset: 2n }] });
  h.advance(12 * HOUR_MS);
  assert.equal(h.shard.committedOffset("s", "t", 0), undefined);
  assert.equal(h.shard.committedOffset("s", "t", 1)?.committedOffset, 2n);
  assert.equal(h.shard.group("s")?.state, "Empty", "kept while it has offsets");
  h.advance(12 * HOUR_MS);
  assert.equal(h.shard.group("s"), undefined);
});

test("a Stable consumer group keeps subscribed topics' offsets; others expire after their commit", () => {
  const h = loaded({ offsetsRetentionMs: DAY_MS, offsetsRetentionCheckIntervalMs: HOUR_MS });
  const { memberIds, generationId } = stableGroup(h, 1, { sessionTimeoutMs: 1_800_000 });
  const member = memberIds[0] as string;
  h.commit({
    generationId,
    memberId: member,
    offsets: [
      { topic: "t", partition: 0, offset: 1n },
      { topic: "gone", partition: 0, offset: 2n },
    ],
  });
  for (let i = 0; i < 90; i++) {
    h.advance(20 * 60_000);
    h.heartbeat(member, generationId);
  }
  assert.equal(h.shard.committedOffset("g", "t", 0)?.committedOffset, 1n);
  assert.equal(h.shard.committedOffset("g", "gone", 0), undefined);
});

test("an Empty group without offsets is deleted at the next retention check", () => {
  const h = loaded();
  const { memberIds } = stableGroup(h, 1);
  h.leave([{ memberId: memberIds[0] as string }]);
  assert.equal(h.shard.group("g")?.state, "Empty");
  h.advance(10 * 60_000);
  assert.equal(h.shard.group("g"), undefined);
});

test("offsets committed with a retention time (OffsetCommit v2-4) expire at their own expiry", () => {
  const h = loaded({ offsetsRetentionCheckIntervalMs: 60_000 });
  h.commit({ groupId: "s", retentionTimeMs: 5 * 60_000, version: 2 });
  const record = h.log.at(-1);
  assert.ok(record?.type === "offsetCommit");
  assert.equal(record.valueVersion, 1, "written with the value version that carries the expiry");
  h.advance(4 * 60_000);
  assert.equal(h.shard.committedOffset("s", "t", 0)?.committedOffset, 10n);
  h.advance(60_000);
  assert.equal(h.shard.committedOffset("s", "t", 0), undefined);
});
