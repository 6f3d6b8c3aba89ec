import {
  MemorySchemaLog,
  type RunningSchemaRegistry,
  type SchemaLogBackend,
  startSchemaRegistry,
} from "../../src/registry/index.js";
import { startBroker } from "../../src/server/index.js";

export const V1 = "application/vnd.schemaregistry.v1+json";

export interface HttpAnswer {
  status: number;
  contentType: string | null;
  text: string;
  // biome-ignore lint/suspicious/noExplicitAny: tests read arbitrary JSON answers
  json: any;
}

/** A registry on a free port, with a helper that calls it as clients do. */
export class RegistryHarness {
  readonly store: SchemaLogBackend;
  running!: Pick<RunningSchemaRegistry, "url" | "close">;

  constructor(store: SchemaLogBackend = new MemorySchemaLog()) {
    this.store = store;
  }

  static async start(store?: SchemaLogBackend): Promise<RegistryHarness> {
    const harness = new RegistryHarness(store);
    harness.running = await startSchemaRegistry({ store: harness.store, host: "127.0.0.1", port: 0 });
    return harness;
  }

  /**
   * The registry as users get it: served by an in-process broker, stored in its `_schemas` topic.
   * `restart` is not available on this one (restart the broker instead).
   */
  static async onBroker(): Promise<RegistryHarness> {
    const server = await startBroker({ registry: true });
    const harness = new RegistryHarness();
    harness.running = { url: server.registryUrl as string, close: () => server.stop() };
    return harness;
  }

  get url(): string {
    return this.running.url;
  }

  /** Closes and starts again on the same store: the state must come back from the log. */
  async restart(): Promise<void> {
    await this.running.close();
    this.running = await startSchemaRegistry({ store: this.store, host: "127.0.0.1", port: 0 });
  }

  async call(
    method: string,
    path: string,
    body?: unknown,
    headers: Record<string, string> = {},
  ): Promise<HttpAnswer> {
    const init: RequestInit = { method, headers: { Accept: V1, ...headers } };
    if (body !== undefined) {
      init.body = typeof body === "string" ? body : JSON.stringify(body);
      (init.headers as Record<string, string>)["Content-Type"] ??= V1;
    }
    const response = await fetch(`${this.url}${path}`, init);
    const text = await response.text();
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      json = undefined;
    }
    return { status: response.status, contentType: response.headers.get("content-type"), text, json };
  }

  register(
    subject: string,
    schema: unknown,
    extra: Record<string, unknown> = {},
    query = "",
  ): Promise<HttpAnswer> {
    const text = typeof schema === "string" ? schema : JSON.stringify(schema);
    return this.call("POST", `/subjects/${encodeURIComponent(subject)}/versions${query}`, {
      schema: text,
      ...extra,
    });
  }

  close(): Promise<void> {
    return this.running.close();
  }
}
