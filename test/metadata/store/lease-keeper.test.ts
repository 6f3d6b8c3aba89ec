import assert from "node:assert/strict";
import { test } from "node:test";
import { SeededRandom, seededEnv } from "../../../src/base/index.js";
import {
  KEEPALIVE_INTERVAL_MAX_MS,
  LeaseKeeper,
  MemoryKvCore,
  MemoryKvStore,
} from "../../../src/metadata/index.js";
import { SimScheduler, settle } from "../../simulation/sim-scheduler.js";

/**
 * LeaseKeeper against a store that becomes unreachable for a while, on simulated time: a lease
 * survives any outage shorter than its TTL less one renewal interval (a third of the TTL, at most
 * KEEPALIVE_INTERVAL_MAX_MS) and a round trip, whenever in the renewal cycle the outage starts,
 * and is reported lost once the TTL has passed without an acknowledged keep-alive.
 */

const TTL_MS = 3000;

function setup(ttlMs = TTL_MS) {
  const sim = new SimScheduler();
  let up = true;
  const core = new MemoryKvCore(sim.clock, sim.timers);
  const store = new MemoryKvStore(core, sim.timers, {
    latencyMs: () => 1,
    reachable: () => up,
    loseAnswer: () => false,
  });
  const env = seededEnv(sim.clock, sim.timers, new SeededRandom(7));
  const lost: { atMs: number; reason: string }[] = [];
  const keeper = new LeaseKeeper(store, env, ttlMs, (reason) => lost.push({ atMs: sim.nowMs, reason }));
  return {
    sim,
    core,
    keeper,
    lost,
    setUp: (value: boolean) => {
      up = value;
    },
  };
}

/** The grant's answer comes over the simulated network: time has to run for it. */
async function grant(sim: SimScheduler, keeper: LeaseKeeper): Promise<void> {
  const granted = keeper.grant();
  await sim.runUntil(10);
  await granted;
}

for (const startMs of [500, 990, 1000, 1010, 1500, 1990, 2005]) {
  test(`an outage of 1.9 s (TTL 3 s) starting at ${startMs} ms does not lose the lease`, async () => {
    const { sim, keeper, lost, setUp } = setup();
    await grant(sim, keeper);
    await sim.runUntil(startMs);
    setUp(false);
    await sim.runUntil(startMs + 1900);
    setUp(true);
    await sim.runUntil(startMs + 3 * TTL_MS);
    assert.deepEqual(lost, [], "the lease was kept");
    assert.ok(keeper.held);
  });
}

// Kafka's default session (9 s) renews every second, not every 3 s: an outage of nearly 8 s is
// ridden out wherever it falls in the cycle (with renewals every third of the TTL, 6 s would be).
for (const startMs of [1000, 1005, 1500, 1995, 2000, 2500]) {
  test(`an outage of 7.9 s (TTL 9 s) starting at ${startMs} ms does not lose the lease`, async () => {
    const ttlMs = 9000;
    assert.ok(ttlMs - KEEPALIVE_INTERVAL_MAX_MS > 7900);
    const { sim, keeper, lost, setUp } = setup(ttlMs);
    await grant(sim, keeper);
    await sim.runUntil(startMs);
    setUp(false);
    await sim.runUntil(startMs + 7900);
    setUp(true);
    await sim.runUntil(startMs + 2 * ttlMs);
    assert.deepEqual(lost, [], "the lease was kept");
    assert.ok(keeper.held);
  });
}

test("an outage longer than the TTL loses the lease within the TTL of the last acknowledged keep-alive", async () => {
  const { sim, keeper, lost, setUp } = setup();
  await grant(sim, keeper);
  await sim.runUntil(1500);
  setUp(false);
  await sim.runUntil(1500 + 2 * TTL_MS);
  assert.equal(lost.length, 1, "lost once");
  // The last keep-alive was acknowledged at the renewal before the outage (1000 ms).
  assert.ok((lost[0]?.atMs ?? 0) <= 1000 + TTL_MS + 5, `lost at ${lost[0]?.atMs} ms`);
  assert.equal(keeper.held, false);
});

test("every revoke() resolves once the store dropped the lease, the second call too (a clean shutdown awaits it)", async () => {
  const { sim, core, keeper, lost } = setup();
  await grant(sim, keeper);
  core.txn([], [{ type: "put", key: "held", value: Buffer.from("x"), lease: keeper.id }]);
  const first = keeper.revoke();
  let keyWhenDone: unknown = "revoke() has not resolved";
  const second = keeper.revoke().then(() => {
    keyWhenDone = core.get("held");
  });
  await settle(); // let a stop that does not wait resolve before the store answers
  await sim.runUntil(sim.nowMs + 10);
  await Promise.all([first, second]);
  assert.equal(keyWhenDone, null, "the lease and its key are gone when the second revoke() resolves");
  assert.equal(keeper.held, false);
  assert.deepEqual(lost, [], "a revoke is not a loss");
});
