import { RegistryError, registryErrors } from "../registry-error.js";
import type { SchemaRegistry } from "../schema-registry.js";
import {
  FORWARDED_BY_HEADER,
  type ForwardedRequest,
  type HttpAnswer,
  type LeaderForwarder,
} from "./leader-forwarding.js";

/** How often a request waiting for a leader looks again, besides the leadership's own signals. */
const LEADER_RETRY_STEP_MS = 100;

/**
 * Where a request goes: served here; forwarded to the registry at `url` (on node `nodeId`, which
 * leads `_schemas`); or nowhere yet (`reason` says why), in which case it waits. `prepare`: the
 * store does not exist yet and `prepareWrite` makes it.
 */
export type RegistryTarget =
  | { kind: "local" }
  | { kind: "remote"; url: string; nodeId: number }
  | { kind: "none"; reason: string; prepare?: boolean };

/**
 * Who serves what in a cluster of registries sharing one `_schemas` log (the broker implements
 * it): writes go to the registry of the node that leads the log, once it has replayed everything
 * committed there; reads are served by any node that holds a replica of the log.
 */
export interface RegistryLeadership {
  target(kind: "read" | "write"): RegistryTarget;
  /** Resolves when the targets may have changed, or after `timeoutMs`. */
  changed(timeoutMs: number): Promise<void>;
  /** Creates the store when it does not exist yet (the broker creates `_schemas` on the first write). */
  prepareWrite(): Promise<void>;
}

/** A single registry that serves everything itself: a registry without a cluster. */
export const SOLE_REGISTRY: RegistryLeadership = {
  target: () => ({ kind: "local" }),
  changed: (timeoutMs) => new Promise((resolve) => setTimeout(resolve, timeoutMs).unref()),
  prepareWrite: async () => {},
};

export interface ClusterRoutingOptions {
  registry: SchemaRegistry;
  leadership: RegistryLeadership;
  forwarder: LeaderForwarder | null;
  /** How long a request waits for a leader (an election, a new leader replaying `_schemas`). */
  leaderWaitMs: number;
  /** How long a read waits for this node's replica to reach a write this node forwarded. */
  replayWaitMs: number;
}

/**
 * Routes each request as Confluent's registries do among themselves: a write is carried out by
 * the registry of the node that leads `_schemas` (here, or forwarded there over HTTP with the
 * leader's answer relayed as it came), so ids and versions are assigned by one registry at a time,
 * from a state that includes every committed write. Reads are served here from this node's
 * replica (replayed up to its high watermark), after waiting for every write this node forwarded
 * to be replayed: a client sees its own writes on the node it uses, and everyone else's once this
 * replica has them. A node without a replica forwards reads too.
 *
 * A request that finds no leader (an election, a leader still replaying, a leader that just died
 * and is not yet replaced) waits up to `leaderWaitMs`, then fails with 50004 (unknown leader) or
 * 50003 (forwarding failed). A write is sent again only when it never reached the leader.
 */
export class ClusterRouting {
  private readonly options: ClusterRoutingOptions;
  /** The `_schemas` offset reads here wait for: past every write this node forwarded. */
  private requiredOffset = 0n;

  constructor(options: ClusterRoutingOptions) {
    this.options = options;
  }

  async route(
    kind: "read" | "write",
    request: ForwardedRequest,
    runLocal: () => Promise<HttpAnswer>,
  ): Promise<HttpAnswer> {
    const { leadership } = this.options;
    const forwarded = request.headers[FORWARDED_BY_HEADER] !== undefined;
    const deadline = performance.now() + this.options.leaderWaitMs;
    let problem: RegistryError = registryErrors.unknownLeader("no node leads the _schemas topic");
    for (;;) {
      const target = leadership.target(kind);
      if (target.kind === "local") {
        try {
          if (kind === "read") await this.replayedForReads();
          return await runLocal();
        } catch (error) {
          // The store refused the write before anything was written: the leadership moved since.
          if (kind === "read" || !(error instanceof RegistryError) || error.errorCode !== 50004) throw error;
          problem = error;
        }
      } else if (target.kind === "remote") {
        if (forwarded) {
          throw registryErrors.forwardingFailed(
            `this node does not lead the _schemas topic (node ${target.nodeId} does), and a forwarded request is not forwarded again`,
          );
        }
        const outcome = await this.forwarder().forward(target.url, request);
        if (outcome.kind === "answered") {
          if (kind === "write") await this.replayForwardedWrite(outcome.schemasOffset);
          return outcome.answer;
        }
        problem = registryErrors.forwardingFailed(outcome.reason);
        // Sent and unanswered: the leader may have carried the write out; only a read goes again.
        if (outcome.kind === "lost" && kind === "write") throw problem;
      } else {
        problem = registryErrors.unknownLeader(target.reason);
        if (target.prepare && kind === "write") {
          try {
            await leadership.prepareWrite();
          } catch (error) {
            problem =
              error instanceof RegistryError
                ? error
                : registryErrors.storeError(`Cannot create the _schemas topic: ${(error as Error).message}`);
          }
        }
      }
      const remainingMs = deadline - performance.now();
      if (remainingMs <= 0) throw problem;
      await leadership.changed(Math.min(remainingMs, LEADER_RETRY_STEP_MS));
    }
  }

  close(): void {
    this.options.forwarder?.close();
  }

  private forwarder(): LeaderForwarder {
    const forwarder = this.options.forwarder;
    if (forwarder === null) throw registryErrors.forwardingFailed("this registry forwards nothing");
    return forwarder;
  }

  /** Before a read: this replica replayed to its end, and past every write forwarded from here. */
  private async replayedForReads(): Promise<void> {
    const { registry, replayWaitMs } = this.options;
    await registry.catchUp();
    const required = this.requiredOffset;
    if (registry.replayedOffset >= required) return;
    if (await registry.whenReplayed(required, replayWaitMs)) return;
    throw registryErrors.storeTimeout(
      `This node's replica of the _schemas topic has not reached offset ${required} (a write made through this node) within ${replayWaitMs} ms`,
    );
  }

  /** After a forwarded write: its answer goes once this node's replica has it, when reads are local. */
  private async replayForwardedWrite(offset: bigint | null): Promise<void> {
    if (offset === null || this.options.leadership.target("read").kind !== "local") return;
    if (offset > this.requiredOffset) this.requiredOffset = offset;
    // Bounded: past it the answer goes anyway, and reads wait for the offset instead.
    await this.options.registry.whenReplayed(offset, this.options.replayWaitMs);
  }
}
