import assert from "node:assert/strict";
import { test } from "node:test";
import { SESSION_TIMEOUT_MS, SimCluster } from "./metadata-cluster-sim.js";
import { SimScheduler } from "./sim-scheduler.js";

/**
 * Seeded simulation of the metadata quorum: three nodes (controller and broker each) on a
 * simulated etcd, with clients changing topics while the simulation crashes and restarts nodes,
 * cuts nodes off from the store, pauses them past their session, drops watches, loses answers,
 * expires leases and takes the store away. Invariants are checked after every event (see
 * SimCluster); at the end, with faults healed, the cluster must converge: one active controller,
 * every running broker registered and unfenced, every image at the log end.
 *
 * BROOK_SIM_SEEDS=<n> runs more seeds (the nightly mode runs thousands), BROOK_SIM_SEED=<s>
 * replays one (BROOK_SIM_VERBOSE=1 prints its nodes' logs).
 */
const SEEDS = Number(process.env.BROOK_SIM_SEEDS ?? 200);
const FIRST_SEED = Number(process.env.BROOK_SIM_FIRST_SEED ?? 1);
const ONLY = process.env.BROOK_SIM_SEED === undefined ? null : Number(process.env.BROOK_SIM_SEED);
const RUN_MS = 20_000;
/**
 * Seeds that once failed, run every time. 1035: a controller elected while its loader lagged
 * took office after another controller had been elected and had appended (it asserted instead of
 * stepping down).
 */
const REGRESSION_SEEDS = [1035];

async function runSeed(seed: number): Promise<{ events: number; acknowledged: number; logEnd: bigint }> {
  const scheduler = new SimScheduler();
  const sim = new SimCluster(scheduler, seed, { verbose: process.env.BROOK_SIM_VERBOSE === "1" });
  const ids = [1, 2, 3];
  for (const id of ids) sim.addNode(id);
  const r = sim.random;
  // Faults and client requests at random times over the run.
  for (let t = r.int(50, 300); t < RUN_MS; t += r.int(20, 250)) {
    scheduler.at(t, () => void sim.clientOperation());
  }
  for (let t = r.int(500, 2000); t < RUN_MS - 3000; t += r.int(300, 2500)) {
    scheduler.at(t, () => injectFault(sim, ids));
  }
  await sim.runUntilTrue(() => false, RUN_MS);
  // Heal: every node up and reachable, the store up; then the cluster must converge.
  sim.storeUp = true;
  sim.loseAnswerRate = 0;
  for (const id of ids) {
    const node = sim.nodes.get(id);
    if (node === undefined || node.timers.crashed) sim.addNode(id);
    else node.reachable = true;
  }
  const converged = await sim.runUntilTrue(
    () => {
      const controller = sim.activeController();
      if (controller === undefined) return false;
      const actives = [...sim.nodes.values()].filter((n) => !n.timers.crashed && n.controller.isActive);
      if (actives.length !== 1) return false;
      return [...sim.nodes.values()].every((n) => {
        if (n.timers.crashed) return true;
        const b = n.loader.image.brokers.get(n.id);
        return (
          n.lifecycle.isActive &&
          b !== undefined &&
          !b.fenced &&
          b.incarnationId === n.lifecycle.incarnation &&
          n.loader.image.offset === sim.logEnd - 1n
        );
      });
    },
    RUN_MS + 4 * SESSION_TIMEOUT_MS + 10_000,
  );
  assert(converged, `seed ${seed}: the cluster did not converge after the faults healed`);
  return { events: scheduler.events, acknowledged: sim.acknowledged, logEnd: sim.logEnd };
}

function injectFault(sim: SimCluster, ids: number[]): void {
  const r = sim.random;
  const id = r.pick(ids);
  const node = sim.nodes.get(id);
  const roll = r.next();
  if (node === undefined) return;
  if (roll < 0.2) {
    // Crash, and restart after a while (sometimes before the session expires).
    if (node.timers.crashed) return;
    node.crash();
    sim.scheduler.at(sim.scheduler.nowMs + r.int(200, 2 * SESSION_TIMEOUT_MS), () => {
      if (sim.nodes.get(id) === node) sim.addNode(id);
    });
  } else if (roll < 0.4) {
    // Cut off from the store for a while (maybe past the session timeout).
    node.reachable = false;
    sim.scheduler.at(sim.scheduler.nowMs + r.int(100, 2 * SESSION_TIMEOUT_MS), () => {
      node.reachable = true;
    });
  } else if (roll < 0.5) {
    // A long pause (GC, SIGSTOP): the node's timers wait, the store's leases do not.
    node.timers.pause(r.int(100, 2 * SESSION_TIMEOUT_MS));
  } else if (roll < 0.6) {
    node.store.breakWatches();
  } else if (roll < 0.65) {
    // Its watches hang without a word: it must notice by itself.
    node.store.stallWatches();
  } else if (roll < 0.75) {
    const leases = sim.core.leaseIds();
    if (leases.length > 0) sim.core.expireLease(r.pick(leases));
  } else if (roll < 0.85) {
    sim.core.compact(sim.core.currentRevision - BigInt(r.int(0, 5)));
  } else {
    // The whole store away for a while.
    sim.storeUp = false;
    sim.scheduler.at(sim.scheduler.nowMs + r.int(100, 2 * SESSION_TIMEOUT_MS), () => {
      sim.storeUp = true;
    });
  }
}

test(`metadata quorum simulation: ${ONLY === null ? `${SEEDS} seeds` : `seed ${ONLY}`}`, async () => {
  const seeds =
    ONLY === null
      ? [...new Set([...Array.from({ length: SEEDS }, (_, i) => FIRST_SEED + i), ...REGRESSION_SEEDS])]
      : [ONLY];
  let events = 0;
  let acknowledged = 0;
  for (const seed of seeds) {
    try {
      const result = await runSeed(seed);
      events += result.events;
      acknowledged += result.acknowledged;
    } catch (error) {
      console.error(
        `metadata quorum simulation failed at seed ${seed}; replay: BROOK_SIM_SEED=${seed} node --test dist/test/simulation/metadata-quorum.sim.test.js`,
      );
      throw error;
    }
  }
  // The runs did real work: changes were acknowledged despite the faults.
  assert(acknowledged > seeds.length, `only ${acknowledged} changes acknowledged over ${seeds.length} seeds`);
  console.log(
    `metadata quorum simulation: ${seeds.length} seeds, ${events} events, ${acknowledged} acknowledged changes`,
  );
});
