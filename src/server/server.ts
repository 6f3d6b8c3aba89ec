import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createLogger, type Logger, type LogLevel, silentLogger } from "../base/index.js";
import {
  Broker,
  type BrokerConfig,
  brokerHandlers,
  parseBrokerConfig,
  type SharedMetadataStore,
  SINGLE_NODE_PROPERTIES,
} from "../broker/index.js";
import { ConsoleServer, parseConsoleListeners } from "../console/index.js";
import type { RunningSchemaRegistry } from "../registry/index.js";
import type { RestProxyListener } from "../rest-proxy/index.js";
import { bindRegistry, serveRegistry } from "./registry-listener.js";
import { bindRestProxy, planRestProxy, serveRestProxyLater } from "./rest-proxy-host.js";

/** A running Brook process: the broker, and the registry and console when enabled. */
export interface BrookServer {
  readonly broker: Broker;
  /** host:port of the first advertised Kafka listener. */
  readonly bootstrap: string;
  readonly port: number;
  readonly dataDir: string;
  /** The web console and /metrics (console.enable), e.g. http://127.0.0.1:8080; null when off. */
  readonly consoleUrl: string | null;
  /** The Schema Registry REST API (schema.registry.enable), e.g. http://127.0.0.1:8081; null when off. */
  readonly registryUrl: string | null;
  /** Confluent's REST Proxy API (rest.proxy.enable), e.g. http://localhost:8082; null when off. */
  readonly restProxyUrl: string | null;
  stop(): Promise<void>;
  /**
   * Stops as a crash would, for the cluster: the console and registry listeners close, the broker
   * leaves without a controlled shutdown and its session is left to expire (see Broker.kill).
   */
  kill(): Promise<void>;
}

/** Starts a node from a parsed configuration (what `brook server start` does). */
export async function startServer(
  config: BrokerConfig,
  log: Logger,
  options: { metadataStore?: SharedMetadataStore } = {},
): Promise<BrookServer> {
  // Console listeners are checked before anything starts, so a bad one is a ConfigError, nothing else.
  const consoleListeners = config.bool("console.enable")
    ? parseConsoleListeners(config.list("console.listeners"))
    : null;
  const restProxyPlan = planRestProxy(config);
  // The registry's port is bound first: the broker registers it (its SCHEMA_REGISTRY endpoint).
  const boundRegistry = await bindRegistry(config, log);
  let broker: Broker;
  try {
    broker = await Broker.start({
      config,
      log,
      handlers: brokerHandlers,
      ...(options.metadataStore === undefined ? {} : { metadataStore: options.metadataStore }),
      serviceEndPoints: boundRegistry === null ? [] : [boundRegistry.endPoint],
    });
  } catch (error) {
    await boundRegistry?.listener.close();
    throw error;
  }
  const first = broker.advertisedListeners[0];
  if (first === undefined) throw new Error("no advertised listener");
  let registry: RunningSchemaRegistry | null = null;
  try {
    registry = boundRegistry === null ? null : await serveRegistry(boundRegistry, broker);
  } catch (error) {
    await boundRegistry?.listener.close();
    await broker.stop();
    throw error;
  }
  let consoleServer: ConsoleServer | null = null;
  let restProxy: RestProxyListener | null = null;
  try {
    if (consoleListeners !== null) {
      consoleServer = await ConsoleServer.start({
        broker,
        groups: broker.groupCoordinator,
        schemas: registry?.registry ?? null,
        listeners: consoleListeners,
        log: log.child("console"),
      });
    }
    if (restProxyPlan !== null) {
      restProxy = await bindRestProxy(restProxyPlan, log);
      serveRestProxyLater(restProxy, restProxyPlan, config, broker, registry?.url ?? null, log);
    }
  } catch (error) {
    await consoleServer?.stop();
    await registry?.close();
    await broker.stop();
    throw error;
  }
  // The proxy's consumer instances leave their groups while the broker still answers.
  const stopFaces = async () => {
    await restProxy?.close();
    await consoleServer?.stop();
    await registry?.close();
  };
  return {
    broker,
    bootstrap: `${first.host}:${first.port}`,
    port: first.port,
    dataDir: config.logDirs[0] ?? "",
    consoleUrl: consoleServer?.urls[0] ?? null,
    registryUrl: registry?.url ?? null,
    restProxyUrl: restProxy?.urls[0] ?? null,
    stop: async () => {
      await stopFaces();
      await broker.stop();
    },
    kill: async () => {
      await stopFaces();
      await broker.kill();
    },
  };
}

export interface StartBrokerOptions {
  /** Where the logs go; default a new temporary directory, removed by stop(). */
  dataDir?: string;
  /** Kafka listener port; default 0, a free port. */
  port?: number;
  host?: string;
  /** Any server.properties keys, as strings. */
  properties?: Record<string, string>;
  /** Log level, or "silent" (the default in-process). */
  logLevel?: LogLevel | "silent";
  /**
   * Serve the web console and /metrics (on `console.listeners`, default http://127.0.0.1:0, a free
   * port; see `consoleUrl`). Off in-process unless asked for: by default when `properties` sets
   * `console.listeners`; an explicit `console.enable` property wins over both.
   */
  console?: boolean;
  /**
   * Serve the Schema Registry (on `schema.registry.listeners`, default http://127.0.0.1:0; see
   * `registryUrl`), storing schemas in the `_schemas` topic. Off in-process unless asked for, with
   * the same rules as `console`.
   */
  registry?: boolean;
  /**
   * Serve Confluent's REST Proxy API (on `rest.proxy.listeners`, default http://127.0.0.1:0; see
   * `restProxyUrl`). Off in-process unless asked for, with the same rules as `console`.
   */
  restProxy?: boolean;
}

/**
 * Starts a single Brook node inside the calling process, on a free port with a temporary data
 * directory: what a test suite reaches for instead of a container.
 *
 *   const broker = await startBroker();
 *   // new Kafka({ brokers: [broker.bootstrap] }) ...
 *   await broker.stop();
 */
export async function startBroker(options: StartBrokerOptions = {}): Promise<BrookServer> {
  const ownsDir = options.dataDir === undefined;
  const dataDir = options.dataDir ?? mkdtempSync(join(tmpdir(), "brook-"));
  const host = options.host ?? "127.0.0.1";
  const port = options.port ?? 0;
  const props = new Map(SINGLE_NODE_PROPERTIES);
  props.set("listeners", `PLAINTEXT://${host}:${port},CONTROLLER://${host}:0`);
  props.set("advertised.listeners", `PLAINTEXT://${host}:${port}`);
  props.set("controller.quorum.voters", `1@${host}:0`);
  props.set("log.dirs", dataDir);
  props.set("group.initial.rebalance.delay.ms", "0");
  props.set("console.listeners", `http://${host}:0`);
  props.set(
    "console.enable",
    String(options.console ?? options.properties?.["console.listeners"] !== undefined),
  );
  props.set("schema.registry.listeners", `http://${host}:0`);
  props.set(
    "schema.registry.enable",
    String(options.registry ?? options.properties?.["schema.registry.listeners"] !== undefined),
  );
  props.set("rest.proxy.listeners", `http://${host}:0`);
  props.set(
    "rest.proxy.enable",
    String(options.restProxy ?? options.properties?.["rest.proxy.listeners"] !== undefined),
  );
  for (const [k, v] of Object.entries(options.properties ?? {})) props.set(k, v);
  const level = options.logLevel ?? "silent";
  const log = level === "silent" ? silentLogger : createLogger({ level });
  const server = await startServer(parseBrokerConfig(props), log);
  return {
    ...server,
    stop: async () => {
      await server.stop();
      if (ownsDir) rmSync(dataDir, { recursive: true, force: true });
    },
    kill: async () => {
      await server.kill();
      if (ownsDir) rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
