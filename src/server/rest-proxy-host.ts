import { ConfigError, describeError, type Logger } from "../base/index.js";
import { type Broker, type BrokerConfig, REST_PROXY_CLIENT_PREFIX } from "../broker/index.js";
import { type ClientSecurity, clientSecurityFrom } from "../client/index.js";
import { listenRestProxy, type RestProxyListener, readRestProxySettings } from "../rest-proxy/index.js";
import { type HttpListener, parseHttpListeners } from "./registry-listener.js";

/**
 * Hosting the REST Proxy in a node (`rest.proxy.enable`): its listeners are checked before
 * anything starts, bound once the broker runs, and the proxy (its clients and state) is made after
 * the node is ready (the next turn of the event loop), so that `brook ready` does not wait for it;
 * requests that arrive before it serves wait for it.
 */

export interface RestProxyPlan {
  readonly listeners: readonly HttpListener[];
  /** The advertised listener the proxy's clients use: this node's, of rest.proxy.client.security.protocol. */
  readonly listenerName: string;
  /** TLS and SASL of the proxy's clients (`rest.proxy.client.*`). */
  readonly security: ClientSecurity;
}

/**
 * The proxy's listeners, the node listener it connects to and how; null when it is off. ConfigError
 * when it cannot run (no listener of the clients' protocol, a login or TLS material missing).
 */
export function planRestProxy(config: BrokerConfig): RestProxyPlan | null {
  if (!config.bool("rest.proxy.enable")) return null;
  const listeners = parseHttpListeners("rest.proxy.listeners", config.list("rest.proxy.listeners"));
  if (listeners.length === 0) throw new ConfigError("rest.proxy.listeners must name at least one listener");
  const protocolKey = `${REST_PROXY_CLIENT_PREFIX}security.protocol`;
  const protocol = (config.string(protocolKey) ?? "PLAINTEXT").trim().toUpperCase();
  const listener = config.advertisedListeners.find(
    (l) => (config.listenerSecurityProtocols.get(l.name) ?? "PLAINTEXT") === protocol,
  );
  if (listener === undefined) {
    const offered = config.advertisedListeners.map(
      (l) => `${l.name} (${config.listenerSecurityProtocols.get(l.name) ?? "PLAINTEXT"})`,
    );
    throw new ConfigError(
      `rest.proxy.enable needs a ${protocol} listener in advertised.listeners: the REST Proxy is a client of this node ` +
        `(advertised: ${offered.join(", ") || "none"}; set ${protocolKey} and the ${REST_PROXY_CLIENT_PREFIX}sasl.* or ssl.* keys to use another)`,
    );
  }
  const props = new Map<string, string>();
  for (const name of config.explicit) {
    if (!name.startsWith(REST_PROXY_CLIENT_PREFIX)) continue;
    const value = config.values.get(name);
    if (value === null || value === undefined) continue;
    props.set(
      name.slice(REST_PROXY_CLIENT_PREFIX.length),
      Array.isArray(value) ? value.join(",") : String(value),
    );
  }
  props.set("security.protocol", protocol);
  const security = clientSecurityFrom(
    props,
    (message) => new ConfigError(`REST Proxy clients (${REST_PROXY_CLIENT_PREFIX}*): ${message}`),
  );
  return { listeners, listenerName: listener.name, security };
}

/** Binds the proxy's listeners; `serve` later starts answering on them. */
export function bindRestProxy(plan: RestProxyPlan, log: Logger): Promise<RestProxyListener> {
  return listenRestProxy(plan.listeners, log.child("rest-proxy"));
}

/** Starts serving on the bound listeners after the node is ready; a failure to load is logged, the node runs on. */
export function serveRestProxyLater(
  bound: RestProxyListener,
  plan: RestProxyPlan,
  config: BrokerConfig,
  broker: Broker,
  registryUrl: string | null,
  log: Logger,
): void {
  const node = broker.advertisedListeners.find((l) => l.name === plan.listenerName);
  const host = node === undefined || node.host === "" || node.host === "0.0.0.0" ? "127.0.0.1" : node.host;
  const settings = readRestProxySettings(config, {
    bootstrap: `${host}:${node?.port ?? 9092}`,
    security: plan.security,
    clusterId: broker.clusterId,
    registryUrl,
  });
  setImmediate(() => {
    bound.serve(settings).then(
      () =>
        log.info(
          `REST Proxy (API v2 and v3) listening on ${bound.urls.join(", ")}: a client of ${settings.bootstrap} (${plan.listenerName}), ` +
            `Schema Registry ${settings.schemaRegistryUrl ?? "none"}, consumer.instance.timeout.ms=${settings.consumerInstanceTimeoutMs}, ` +
            `consumer.request.timeout.ms=${settings.consumerRequestTimeoutMs}, producer.buffer.memory=${settings.producer.bufferMemory}`,
        ),
      (error: unknown) => log.error(`REST Proxy did not start: ${describeError(error)}`),
    );
  });
}
