import type { Broker } from "../broker/index.js";
import { schemaRegistryUrl } from "../metadata/index.js";
import { type RegistryLeadership, type RegistryTarget, registryErrors } from "../registry/index.js";
import { SCHEMAS_TOPIC, type SchemasTopicBackend } from "./schemas-topic.js";

/**
 * Which node's registry serves what, from this node's metadata image: writes go to the registry
 * of the node that leads `_schemas`-0 (found at the SCHEMA_REGISTRY endpoint of its broker
 * registration), served here once this node leads and has replayed it; reads are served here
 * whenever this node holds a replica of `_schemas` (or the topic does not exist yet: nothing to
 * read), and forwarded to the leader's registry otherwise.
 */
export class SchemasLeadership implements RegistryLeadership {
  private readonly broker: Broker;
  private readonly backend: SchemasTopicBackend;

  constructor(broker: Broker, backend: SchemasTopicBackend) {
    this.broker = broker;
    this.backend = backend;
  }

  target(kind: "read" | "write"): RegistryTarget {
    const image = this.broker.image;
    const partition = image.partition(SCHEMAS_TOPIC, 0);
    if (partition === undefined) {
      return kind === "read"
        ? { kind: "local" }
        : { kind: "none", reason: `the ${SCHEMAS_TOPIC} topic does not exist yet`, prepare: true };
    }
    if (kind === "read" && this.backend.replica !== undefined) return { kind: "local" };
    const leader = partition.leader;
    if (leader === this.broker.nodeId) {
      if (this.backend.takesWrites || kind === "read") return { kind: "local" };
      return {
        kind: "none",
        reason: `node ${leader} leads ${SCHEMAS_TOPIC} and has not replayed it yet`,
      };
    }
    if (leader < 0) return { kind: "none", reason: `${SCHEMAS_TOPIC}-0 has no leader` };
    const registration = image.brokers.get(leader);
    const url = registration === undefined || registration.fenced ? null : schemaRegistryUrl(registration);
    if (url === null) {
      return {
        kind: "none",
        reason: `node ${leader} leads ${SCHEMAS_TOPIC} and serves no Schema Registry`,
      };
    }
    return { kind: "remote", url, nodeId: leader };
  }

  changed(timeoutMs: number): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        stop();
        resolve();
      };
      const timer = setTimeout(done, timeoutMs);
      const stop = this.backend.onChange(done);
    });
  }

  async prepareWrite(): Promise<void> {
    try {
      await this.backend.ensureTopic();
    } catch (error) {
      throw registryErrors.storeError(
        `Cannot create the ${SCHEMAS_TOPIC} topic: ${(error as Error).message}`,
        {
          cause: error,
        },
      );
    }
  }
}
