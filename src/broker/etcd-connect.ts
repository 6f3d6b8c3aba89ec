import { describeError, type Logger } from "../base/index.js";
import { EtcdKvStore, type KvStore, parseEtcdConnect } from "../metadata/index.js";
import type { BrokerConfig } from "./broker-config.js";

/**
 * A metadata store the nodes of a cluster share: etcd's (`etcd.connect`), or an in-memory one that
 * the nodes of an in-process cluster share.
 */
export interface SharedMetadataStore {
  store: KvStore;
  /** Key prefix of the cluster, ending with "/". */
  prefix: string;
}

/**
 * The etcd cluster named by `etcd.connect` (host:port,...[/chroot], the chroot being the key
 * prefix of this Brook cluster), connected; or null when the node runs on its own metadata log.
 * etcd is only loaded when asked for: a single node never pays for its client.
 */
export async function connectEtcd(config: BrokerConfig, log: Logger): Promise<SharedMetadataStore | null> {
  const connect = config.string("etcd.connect");
  if (connect === null || connect.trim() === "") return null;
  const { endpoints, prefix } = parseEtcdConnect(connect);
  const sessionTimeoutMs = config.int("etcd.session.timeout.ms");
  const optional = (key: string) => config.string(key) ?? undefined;
  const tls = {
    ca: optional("etcd.ssl.ca.file"),
    cert: optional("etcd.ssl.cert.file"),
    key: optional("etcd.ssl.key.file"),
    username: optional("etcd.username"),
    password: optional("etcd.password"),
  };
  log.info(`connecting to etcd at ${endpoints.join(",")} (cluster prefix ${prefix})`);
  try {
    const store = await EtcdKvStore.connect({
      endpoints,
      connectionTimeoutMs: config.int("etcd.connection.timeout.ms"),
      // Three tries fit in a session: a request that hangs longer would outlive the lease it renews.
      requestTimeoutMs: Math.max(500, Math.floor(sessionTimeoutMs / 3)),
      ...Object.fromEntries(Object.entries(tls).filter(([, v]) => v !== undefined)),
    });
    return { store, prefix };
  } catch (error) {
    throw new Error(`cannot reach etcd at ${connect}: ${describeError(error)}`, { cause: error });
  }
}
