import type { Logger } from "../base/index.js";
import type { SharedMetadataStore } from "./broker.js";
import type { BrokerConfig } from "./broker-config.js";

/**
 * The etcd cluster named by `etcd.connect`, connected, or null when the node runs on its own
 * metadata log.
 */
export async function connectEtcd(config: BrokerConfig, _log: Logger): Promise<SharedMetadataStore | null> {
  const connect = config.string("etcd.connect");
  if (connect === null || connect.trim() === "") return null;
  throw new Error("etcd.connect: the etcd store is not available in this build yet");
}
