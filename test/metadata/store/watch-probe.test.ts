import assert from "node:assert/strict";
import { test } from "node:test";
import { SeededRandom, seededEnv, silentLogger } from "../../../src/base/index.js";
import {
  type ControllerLeadership,
  KvMetadataQuorum,
  type KvStore,
  MemoryKvCore,
  MemoryKvStore,
  type MetadataEntry,
} from "../../../src/metadata/index.js";
import { WATCH_PROBE_MS } from "../../../src/metadata/store/kv-metadata-quorum.js";
import { SimScheduler } from "../../simulation/sim-scheduler.js";

/**
 * A watch on the metadata log that stalls without failing (a stream that hangs: no events, no
 * error) must not leave a node on an old image for good: the follower notices that the store's
 * log end moved while nothing arrived, and reads again.
 */

/** A store shared by the nodes, and for the node under test a client whose watches can go silent. */
function setup() {
  const sim = new SimScheduler();
  const core = new MemoryKvCore(sim.clock, sim.timers);
  const storeOf = () =>
    new MemoryKvStore(core, sim.timers, {
      latencyMs: () => 1,
      reachable: () => true,
      loseAnswer: () => false,
    });
  const quorumOf = (store: KvStore, seed: number) =>
    new KvMetadataQuorum({
      store,
      prefix: "/brook/",
      env: seededEnv(sim.clock, sim.timers, new SeededRandom(seed)),
      sessionTimeoutMs: 10_000,
      log: silentLogger,
    });
  // Its watches deliver until `muted`, then nothing, and never fail.
  const mute = { muted: false };
  const real = storeOf();
  const muting: KvStore = new Proxy(real, {
    get(target, name, receiver) {
      if (name !== "watch") return Reflect.get(target, name, receiver);
      return ((prefix, fromRevision, listener) =>
        target.watch(prefix, fromRevision, {
          events: (events) => {
            if (!mute.muted) listener.events(events);
          },
          failed: (error) => {
            if (!mute.muted) listener.failed(error);
          },
        })) satisfies KvStore["watch"];
    },
  });
  return { sim, storeOf, quorumOf, mute, muting };
}

test("a follower whose watch goes silent catches up within two probes of the log end moving", async () => {
  const { sim, storeOf, quorumOf, mute, muting } = setup();

  let leadership: ControllerLeadership | null = null;
  quorumOf(storeOf(), 1).campaign(
    { nodeId: 1, endPoint: null },
    { elected: (l) => (leadership = l), resigned: () => (leadership = null) },
  );
  const delivered: bigint[] = [];
  let unavailable = 0;
  quorumOf(muting, 2).follow(-1n, {
    snapshot: () => assert.fail("no snapshot was written"),
    entries: (entries: readonly MetadataEntry[]) => {
      for (const e of entries) delivered.push(e.baseOffset);
    },
    unavailable: () => unavailable++,
  });
  await sim.runUntil(500);
  const controller = leadership as ControllerLeadership | null;
  assert.ok(controller !== null, "a controller is elected");
  let end = controller.startEnd;
  // The store answers on simulated time: run it while the append is in flight.
  const append = async () => {
    const appended = controller.append(end, [{ type: "NoOp" }]);
    await sim.runUntil(sim.nowMs + 20);
    assert.equal(await appended, end);
    end++;
  };

  await append();
  await sim.runUntil(sim.nowMs + 100);
  assert.deepEqual(delivered, [end - 1n], "the watch delivers while it works");

  mute.muted = true;
  await append();
  await append();
  const stalledAt = sim.nowMs;
  await sim.runUntil(stalledAt + WATCH_PROBE_MS / 2);
  assert.equal(delivered.length, 1, "nothing arrives through the silent watch");
  await sim.runUntil(stalledAt + 2 * WATCH_PROBE_MS + 500);
  assert.deepEqual(delivered, [end - 3n, end - 2n, end - 1n], "read again: every entry, once, in order");
  assert.equal(unavailable, 1, "the stall is reported once");

  // Still muted: the new watch is silent too, and the probe keeps reading again.
  await append();
  await sim.runUntil(sim.nowMs + 2 * WATCH_PROBE_MS + 500);
  assert.deepEqual(delivered.at(-1), end - 1n);

  // A quiet log is not a stall: nothing is read again while the log end does not move.
  mute.muted = false;
  const reported = unavailable;
  await sim.runUntil(sim.nowMs + 10 * WATCH_PROBE_MS);
  assert.equal(unavailable, reported);
});

test("a node whose controller watch goes silent learns that the controller left within two probes", async () => {
  const { sim, storeOf, quorumOf, mute, muting } = setup();
  const campaign = quorumOf(storeOf(), 1).campaign(
    { nodeId: 1, endPoint: null },
    { elected: () => {}, resigned: () => {} },
  );
  const seen: (number | null)[] = [];
  quorumOf(muting, 2).watchController((c) => seen.push(c?.nodeId ?? null));
  await sim.runUntil(500);
  assert.equal(seen.at(-1), 1, "the controller is seen while the watch works");

  mute.muted = true;
  const stopped = campaign.stop();
  await sim.runUntil(sim.nowMs + 50);
  await stopped;
  const goneAt = sim.nowMs;
  await sim.runUntil(goneAt + WATCH_PROBE_MS / 2);
  assert.equal(seen.at(-1), 1, "the silent watch does not say the controller left");
  await sim.runUntil(goneAt + 2 * WATCH_PROBE_MS + 500);
  assert.equal(seen.at(-1), null, "read again: no controller");
});
