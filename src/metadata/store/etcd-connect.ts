import { ConfigError } from "../../base/index.js";

/** Where a Brook cluster keeps its metadata in etcd: the members to dial and the key prefix. */
export interface EtcdConnect {
  /** `host:port` of each member, in the order given. */
  readonly endpoints: readonly string[];
  /** Every key Brook writes starts with it; always starts and ends with "/". */
  readonly prefix: string;
}

export const ETCD_CONNECT_KEY = "etcd.connect";
/** The prefix of a cluster whose `etcd.connect` names no chroot. */
export const ETCD_PREFIX_DEFAULT = "/brook/";
/** etcd's client port, for an endpoint written without one. */
export const ETCD_PORT_DEFAULT = 2379;

const HOST_NAME = /^[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?)*$/;
const IPV6 = /^\[[0-9A-Fa-f:.]+\]$/;
const CHROOT_SEGMENT = /^[A-Za-z0-9._-]+$/;

/**
 * Parses `etcd.connect` the way Kafka read `zookeeper.connect`:
 * `host1:2379,host2:2379,[::1]:2379/chroot/path`. The chroot (default `/brook`) becomes the key
 * prefix, so that several Brook clusters can share one etcd. Endpoints carry no scheme: TLS is
 * set by the store's options, not by the URL.
 */
export function parseEtcdConnect(value: string, key: string = ETCD_CONNECT_KEY): EtcdConnect {
  const fail = (problem: string): never => {
    throw new ConfigError(`${key}: ${problem} in "${value}" (expected host:port[,host:port...][/chroot])`);
  };
  const text = value.trim();
  if (text === "") fail("no etcd endpoint");
  if (/^[A-Za-z][A-Za-z0-9+.-]*:\/\//.test(text)) fail("an endpoint has a scheme (write host:port)");
  const slash = text.indexOf("/");
  const hostsText = slash < 0 ? text : text.slice(0, slash);
  const chroot = slash < 0 ? null : text.slice(slash);

  const endpoints: string[] = [];
  for (const raw of hostsText.split(",")) {
    const endpoint = raw.trim();
    if (endpoint === "") fail("an empty endpoint");
    const parsed = splitHostPort(endpoint);
    if (parsed === null) fail(`"${endpoint}" is not host:port`);
    const { host, port } = parsed as { host: string; port: number };
    const normal = `${host}:${port}`;
    if (endpoints.includes(normal)) fail(`"${normal}" is listed twice`);
    endpoints.push(normal);
  }

  let prefix = ETCD_PREFIX_DEFAULT;
  if (chroot !== null) {
    const segments = chroot.split("/").slice(1);
    if (segments.at(-1) === "") segments.pop();
    for (const segment of segments) {
      if (!CHROOT_SEGMENT.test(segment) || segment === "." || segment === "..") {
        fail(`the chroot "${chroot}" has an invalid path segment "${segment}"`);
      }
    }
    prefix = segments.length === 0 ? "/" : `/${segments.join("/")}/`;
  }
  return { endpoints, prefix };
}

function splitHostPort(endpoint: string): { host: string; port: number } | null {
  let host: string;
  let portText: string | undefined;
  if (endpoint.startsWith("[")) {
    const close = endpoint.indexOf("]");
    if (close < 0) return null;
    host = endpoint.slice(0, close + 1);
    const rest = endpoint.slice(close + 1);
    if (rest !== "" && !rest.startsWith(":")) return null;
    portText = rest === "" ? undefined : rest.slice(1);
    if (!IPV6.test(host)) return null;
  } else {
    const parts = endpoint.split(":");
    if (parts.length > 2) return null;
    host = parts[0] ?? "";
    portText = parts[1];
    if (!HOST_NAME.test(host)) return null;
  }
  if (portText === undefined) return { host, port: ETCD_PORT_DEFAULT };
  if (!/^\d{1,5}$/.test(portText)) return null;
  const port = Number(portText);
  if (port < 1 || port > 65535) return null;
  return { host, port };
}
