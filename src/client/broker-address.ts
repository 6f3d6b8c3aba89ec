import { ConfigError } from "../base/index.js";
import type { BrokerEndpoint } from "./connection-pool.js";

const PORT_MAX = 65_535;

/** `host:port`, with an IPv6 host in brackets (`[::1]:9092`), as Kafka's bootstrap.servers has it. */
export function parseBrokerAddress(address: string): BrokerEndpoint {
  const trimmed = address.trim();
  const colon = trimmed.lastIndexOf(":");
  let host = colon > 0 ? trimmed.slice(0, colon) : "";
  if (host.startsWith("[") && host.endsWith("]")) host = host.slice(1, -1);
  const portText = trimmed.slice(colon + 1);
  const port = Number(portText);
  if (host === "" || !/^\d+$/.test(portText) || port < 1 || port > PORT_MAX) {
    throw new ConfigError(`broker address "${address}" is not host:port`);
  }
  return { host, port };
}

/** A bootstrap list: addresses given as an array, as one comma-separated string, or both. */
export function parseBootstrap(bootstrap: string | readonly string[]): BrokerEndpoint[] {
  const addresses = (typeof bootstrap === "string" ? [bootstrap] : bootstrap)
    .flatMap((entry) => entry.split(","))
    .filter((entry) => entry.trim() !== "");
  if (addresses.length === 0) throw new ConfigError("the bootstrap list is empty");
  return addresses.map(parseBrokerAddress);
}
