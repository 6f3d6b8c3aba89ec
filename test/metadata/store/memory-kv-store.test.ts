import { systemClock, systemTimers } from "../../../src/base/index.js";
import { MemoryKvCore, MemoryKvStore } from "../../../src/metadata/index.js";
import { kvStoreConformance } from "./kv-store-conformance.js";

/**
 * The in-memory store that in-process clusters and the simulation run on must behave as etcd:
 * the same conformance cases etcd itself passes (etcd-kv-store.test.ts).
 */
kvStoreConformance("memory", async () => {
  const core = new MemoryKvCore(systemClock, systemTimers);
  const store = new MemoryKvStore(core, systemTimers);
  return {
    store,
    compact: async (revision) => core.compact(revision),
    cleanup: () => store.close(),
  };
});
