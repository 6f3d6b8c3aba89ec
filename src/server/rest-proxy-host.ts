import { ConfigError, describeError, type Logger } from "../base/index.js";
import type { Broker, BrokerConfig } from "../broker/index.js";
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
  /** The advertised listener the proxy's clients use: this node's, PLAINTEXT. */
  readonly listenerName: string;
}

/** The proxy's listeners and the node listener it connects to; null when it is off. ConfigError when it cannot run. */
export function planRestProxy(config: BrokerConfig): RestProxyPlan | null {
  if (!config.bool("rest.proxy.enable")) return null;
  const listeners = parseHttpListeners("rest.proxy.listeners", config.list("rest.proxy.listeners"));
  if (listeners.length === 0) throw new ConfigError("rest.proxy.listeners must name at least one listener");
  const plaintext = config.advertisedListeners.find(
    (l) => (config.listenerSecurityProtocols.get(l.name) ?? "PLAINTEXT") === "PLAINTEXT",
  );
  if (plaintext === undefined)
    throw new ConfigError(
      "rest.proxy.enable needs a PLAINTEXT listener in advertised.listeners: the REST Proxy is a client of this node",
    );
  return { listeners, listenerName: plaintext.name };
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
    clusterId: broker.clusterId,
    registryUrl,
  });
  setImmediate(() => {
    bound.serve(settings).then(
      () =>
        log.info(
          `REST Proxy (API v2 and v3) listening on ${bound.urls.join(", ")}: a client of ${settings.bootstrap}, ` +
            `Schema Registry ${settings.schemaRegistryUrl ?? "none"}, consumer.instance.timeout.ms=${settings.consumerInstanceTimeoutMs}, ` +
            `consumer.request.timeout.ms=${settings.consumerRequestTimeoutMs}, producer.buffer.memory=${settings.producer.bufferMemory}`,
        ),
      (error: unknown) => log.error(`REST Proxy did not start: ${describeError(error)}`),
    );
  });
}
