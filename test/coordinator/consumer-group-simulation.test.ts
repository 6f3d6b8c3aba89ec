import assert from "node:assert/strict";
import test from "node:test";
import fc from "fast-check";
import { ErrorCode } from "../../src/protocol/index.js";
import { ShardHarness } from "./shard-harness.js";

/**
 * Seeded runs of a consumer group (KIP-848) against clients modelled as Kafka's: each one applies
 * the assignment of every answer at once, reports what it owns in its next heartbeat, and rejoins
 * with epoch 0 (owning nothing) when fenced or forgotten. Members join, heartbeat, leave and go
 * silent (sessions expire), and the topic grows, in random order; half of the clients subscribe by
 * name, the others with a pattern the coordinator resolves. Throughout, no partition is
 * owned by two members the coordinator still counts; once every live client has heartbeated a
 * few rounds, the group is Stable and every partition is owned by exactly one of them, evenly.
 */

const T = "AAAAAAAAAAAAAAAAAAAAAQ";
const CLIENTS = 4;
const SESSION_MS = 10_000;

type Command =
  | { kind: "heartbeat"; client: number }
  | { kind: "leave"; client: number }
  | { kind: "advance"; ms: number }
  | { kind: "grow" };

const commandArb: fc.Arbitrary<Command> = fc.oneof(
  {
    weight: 8,
    arbitrary: fc.record({
      kind: fc.constant("heartbeat" as const),
      client: fc.integer({ min: 0, max: CLIENTS - 1 }),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant("leave" as const),
      client: fc.integer({ min: 0, max: CLIENTS - 1 }),
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant("advance" as const),
      ms: fc.integer({ min: 100, max: 12_000 }),
    }),
  },
  { weight: 1, arbitrary: fc.constant({ kind: "grow" as const }) },
);

interface Client {
  readonly memberId: string;
  epoch: number;
  owned: number[];
  /** Joined at least once and not left since. */
  active: boolean;
}

function run(commands: readonly Command[]): void {
  const h = new ShardHarness({
    consumerGroupSessionTimeoutMs: SESSION_MS,
    consumerGroupHeartbeatIntervalMs: 1_000,
  });
  let partitions = 3;
  h.topics.set("t", { topicId: T, numPartitions: partitions });
  const clients: Client[] = Array.from({ length: CLIENTS }, (_, i) => ({
    memberId: `m${i}`,
    epoch: 0,
    owned: [],
    active: false,
  }));

  const heartbeat = (c: Client) => {
    const joining = c.epoch === 0;
    const handle = h.consumerHeartbeat({
      memberId: c.memberId,
      memberEpoch: c.epoch,
      // Odd clients subscribe with a pattern (KIP-848's SubscribedTopicRegex), even ones by name.
      ...(joining
        ? {
            rebalanceTimeoutMs: 60_000,
            ...(Number(c.memberId.slice(1)) % 2 === 1
              ? { subscribedTopicNames: [], subscribedTopicRegex: "t|u" }
              : { subscribedTopicNames: ["t"] }),
          }
        : {}),
      topicPartitions: joining ? [] : [{ topicId: T, partitions: c.owned }],
    });
    const r = h.consumerHeartbeatResponse(handle);
    c.active = true;
    if (r.errorCode === ErrorCode.FENCED_MEMBER_EPOCH || r.errorCode === ErrorCode.UNKNOWN_MEMBER_ID) {
      c.epoch = 0;
      c.owned = [];
      return;
    }
    assert.equal(r.errorCode, ErrorCode.NONE);
    c.epoch = r.memberEpoch;
    if (r.assignment !== null) c.owned = r.assignment.topicPartitions.flatMap((t) => [...t.partitions]);
  };

  const checkNoDoubleOwners = () => {
    const members = h.shard.consumerGroup("g")?.members;
    const seen = new Map<number, string>();
    for (const c of clients) {
      if (members?.get(c.memberId) === undefined) continue;
      for (const p of c.owned) {
        assert.equal(seen.get(p), undefined, `partition ${p} owned by ${seen.get(p)} and ${c.memberId}`);
        seen.set(p, c.memberId);
      }
    }
  };

  for (const command of commands) {
    switch (command.kind) {
      case "heartbeat":
        heartbeat(clients[command.client] as Client);
        break;
      case "leave": {
        const c = clients[command.client] as Client;
        if (c.epoch > 0) h.consumerHeartbeat({ memberId: c.memberId, memberEpoch: -1 });
        c.epoch = 0;
        c.owned = [];
        c.active = false;
        break;
      }
      case "advance":
        h.advance(command.ms);
        break;
      case "grow":
        partitions += 1;
        h.topics.set("t", { topicId: T, numPartitions: partitions });
        break;
    }
    checkNoDoubleOwners();
  }

  // Settle: the live clients heartbeat in turns, well within their sessions.
  const live = clients.filter((c) => c.active);
  for (let round = 0; round < 8; round++) {
    for (const c of live) heartbeat(c);
    checkNoDoubleOwners();
    h.advance(500);
  }
  const group = h.shard.consumerGroup("g");
  if (live.length === 0) return;
  assert.equal(group?.state, "Stable");
  const owned = live.flatMap((c) => c.owned).sort((a, b) => a - b);
  assert.deepEqual(
    owned,
    Array.from({ length: partitions }, (_, p) => p),
    "every partition, once",
  );
  const loads = live.map((c) => c.owned.length);
  assert.ok(Math.max(...loads) - Math.min(...loads) <= 1, `balanced: ${loads}`);
  for (const c of live) {
    const server = [...(group?.members.get(c.memberId)?.assignedPartitions.get(T) ?? [])].sort(
      (a, b) => a - b,
    );
    assert.deepEqual(
      [...c.owned].sort((a, b) => a - b),
      server,
      `${c.memberId} agrees with the coordinator`,
    );
  }
  h.assertAllAnswered();
}

test("random joins, heartbeats, leaves, silences and topic growth: never two owners, then a stable even split", () => {
  fc.assert(
    fc.property(fc.array(commandArb, { minLength: 1, maxLength: 60 }), (commands) => run(commands)),
    // BROOK_SIM_SEEDS runs more command sequences, BROOK_SIM_SEED starts from another seed.
    { numRuns: Number(process.env.BROOK_SIM_SEEDS ?? 200), seed: Number(process.env.BROOK_SIM_SEED ?? 848) },
  );
});
