import assert from "node:assert/strict";
import { test } from "node:test";
import { SeededRandom, seededEnv, silentLogger } from "../../../src/base/index.js";
import {
  type ControllerLeadership,
  KvMetadataQuorum,
  MemoryKvCore,
  MemoryKvStore,
} from "../../../src/metadata/index.js";
import { SimScheduler, settle } from "../../simulation/sim-scheduler.js";

/**
 * The controller election on a store that goes away for a moment, on simulated time. A controller
 * whose append fails during the outage resigns, and cannot revoke its lease while the store is
 * away; once the store is back, the cluster must not wait for that lease to expire (a whole
 * session timeout, which etcd even restarts when it elects a new leader) before it has a
 * controller again: the node that held it recognises its own stale claim and gives it up.
 */

const TTL_MS = 10_000;

test("after an outage that made the controller resign, a controller is elected soon after the store is back, not a session timeout later", async () => {
  const sim = new SimScheduler();
  let up = true;
  const core = new MemoryKvCore(sim.clock, sim.timers);
  const elections: { nodeId: number; atMs: number; epoch: number }[] = [];
  const leaderships = new Map<number, ControllerLeadership>();
  const campaigns = [1, 2].map((nodeId) => {
    const store = new MemoryKvStore(core, sim.timers, {
      latencyMs: () => 1,
      reachable: () => up,
      loseAnswer: () => false,
    });
    const quorum = new KvMetadataQuorum({
      store,
      prefix: "/brook/",
      env: seededEnv(sim.clock, sim.timers, new SeededRandom(nodeId)),
      sessionTimeoutMs: TTL_MS,
      log: silentLogger,
    });
    return quorum.campaign(
      { nodeId, endPoint: null },
      {
        elected: (leadership) => {
          elections.push({ nodeId, atMs: sim.nowMs, epoch: leadership.epoch });
          leaderships.set(nodeId, leadership);
        },
        resigned: () => {
          leaderships.delete(nodeId);
        },
      },
    );
  });
  await sim.runUntil(1000);
  assert.equal(elections.length, 1, "one controller elected");
  const first = elections[0] as { nodeId: number };
  const leadership = leaderships.get(first.nodeId) as ControllerLeadership;

  // The store goes away right after a keep-alive; the controller's next append fails.
  await sim.runUntil(TTL_MS / 3 + 50);
  up = false;
  const append = leadership
    .append(leadership.startEnd, [{ type: "FeatureLevel", name: "metadata.version", featureLevel: 1 }])
    .then(
      () => "committed",
      () => "failed",
    );
  await sim.runUntil(TTL_MS / 3 + 1050);
  assert.equal(await append, "failed");
  assert.equal(leaderships.size, 0, "the controller resigned");

  // Back after 1 s: a controller again within 2.5 s, long before the old lease would expire.
  up = true;
  const backAt = sim.nowMs;
  await sim.runUntil(backAt + 2500);
  const next = elections[1];
  assert.ok(next !== undefined, `no controller ${sim.nowMs - backAt} ms after the store came back`);
  assert.ok(next.epoch > 1);
  assert.equal(leaderships.size, 1);
  const stops = campaigns.map((c) => c.stop());
  await sim.runUntil(sim.nowMs + 10);
  await Promise.all(stops);
});

test("stopping the active controller's campaign resolves once its claim is gone from the store, however often it is called", async () => {
  const sim = new SimScheduler();
  const core = new MemoryKvCore(sim.clock, sim.timers);
  const store = new MemoryKvStore(core, sim.timers, {
    latencyMs: () => 1,
    reachable: () => true,
    loseAnswer: () => false,
  });
  const quorum = new KvMetadataQuorum({
    store,
    prefix: "/brook/",
    env: seededEnv(sim.clock, sim.timers, new SeededRandom(3)),
    sessionTimeoutMs: TTL_MS,
    log: silentLogger,
  });
  let elected = false;
  const campaign = quorum.campaign(
    { nodeId: 1, endPoint: null },
    { elected: () => (elected = true), resigned: () => {} },
  );
  await sim.runUntil(100);
  assert.ok(elected);
  assert.notEqual(core.get(quorum.keys.controller), null);
  // The quorum's close() stops the campaign too (without waiting); the node's own stop awaits it.
  const closing = quorum.close();
  let keyWhenStopped: unknown = "stop() has not resolved";
  const stopped = campaign.stop().then(() => {
    keyWhenStopped = core.get(quorum.keys.controller);
  });
  await settle(); // let a stop that does not wait resolve before the store answers
  await sim.runUntil(sim.nowMs + 10);
  await Promise.all([closing, stopped]);
  assert.equal(keyWhenStopped, null, "the controller key is gone when stop() resolves");
});
