import { randomUUID } from "node:crypto";
import type { AdminClient } from "../client/index.js";
import { ConsumerInstance, type ConsumerInstanceConfig } from "./consumer-instance.js";
import { restErrors } from "./rest-error.js";
import type { RestProxySettings } from "./rest-proxy-settings.js";

/** How often instances are checked for expiry (kafka-rest's expiration thread sleeps a second). */
const EXPIRY_CHECK_MS = 1000;

/**
 * The consumer instances of one proxy, by group and name (kafka-rest's KafkaConsumerManager): at
 * most consumer.instances.max of them; one unused for consumer.instance.timeout.ms (no request
 * named it, no read running) is closed, which commits (with auto-commit) and leaves its group, so
 * that the group gives its partitions to the other members. A node's shutdown closes them all.
 */
export class ConsumerInstances {
  private readonly settings: RestProxySettings;
  private readonly admin: AdminClient;
  private readonly instances = new Map<string, ConsumerInstance>();
  private readonly timer: NodeJS.Timeout;
  private readonly onExpired: (instance: ConsumerInstance) => void;

  constructor(
    settings: RestProxySettings,
    admin: AdminClient,
    onExpired: (instance: ConsumerInstance) => void = () => {},
  ) {
    this.settings = settings;
    this.admin = admin;
    this.onExpired = onExpired;
    this.timer = setInterval(
      () => this.expire(),
      Math.min(EXPIRY_CHECK_MS, settings.consumerInstanceTimeoutMs),
    );
    this.timer.unref();
  }

  get size(): number {
    return this.instances.size;
  }

  /** kafka-rest's instance name: the asked-for one, else `rest-consumer-<uuid>`. */
  static defaultName(): string {
    return `rest-consumer-${randomUUID()}`;
  }

  create(config: ConsumerInstanceConfig): ConsumerInstance {
    const key = instanceKey(config.group, config.name);
    if (this.instances.has(key)) throw restErrors.consumerAlreadyExists();
    if (this.instances.size >= this.settings.consumerInstancesMax)
      throw restErrors.tooManyRequests(
        `this proxy serves at most ${this.settings.consumerInstancesMax} consumer instances (rest.proxy.consumer.instances.max); delete unused ones or let them expire.`,
      );
    const instance = new ConsumerInstance(config, this.settings, this.admin);
    this.instances.set(key, instance);
    return instance;
  }

  /** The instance, its expiry pushed back; 40403 when there is none. */
  get(group: string, name: string): ConsumerInstance {
    const instance = this.instances.get(instanceKey(group, name));
    if (instance === undefined) throw restErrors.consumerInstanceNotFound();
    instance.touch();
    return instance;
  }

  async delete(group: string, name: string): Promise<void> {
    const key = instanceKey(group, name);
    const instance = this.instances.get(key);
    if (instance === undefined) throw restErrors.consumerInstanceNotFound();
    this.instances.delete(key);
    await instance.close();
  }

  private expire(): void {
    const now = performance.now();
    for (const [key, instance] of this.instances) {
      if (instance.busy || now - instance.lastUsedMs < this.settings.consumerInstanceTimeoutMs) continue;
      this.instances.delete(key);
      this.onExpired(instance);
      void instance.close();
    }
  }

  async closeAll(): Promise<void> {
    clearInterval(this.timer);
    const all = [...this.instances.values()];
    this.instances.clear();
    await Promise.all(all.map((i) => i.close()));
  }
}

function instanceKey(group: string, name: string): string {
  return `${group}\u0000${name}`;
}
