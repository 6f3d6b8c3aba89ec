export { type EtcdConnect, parseEtcdConnect } from "./etcd-connect.js";
export { EtcdKvStore, type EtcdKvStoreOptions } from "./etcd-kv-store.js";
export { KvMetadataQuorum, type KvMetadataQuorumOptions } from "./kv-metadata-quorum.js";
export {
  KvCompacted,
  type KvCompare,
  type KvEntry,
  type KvEvent,
  type KvLeaseGrant,
  KvLeaseNotFound,
  type KvOp,
  type KvRange,
  type KvStore,
  type KvTxnResult,
  KvUnavailable,
  type KvWatch,
  type KvWatchListener,
  prefixRangeEnd,
} from "./kv-store.js";
export { KEEPALIVE_INTERVAL_MAX_MS, LeaseKeeper } from "./lease-keeper.js";
export { type KvNetworkFaults, MemoryKvCore, MemoryKvStore } from "./memory-kv-store.js";
export {
  type BrokerSession,
  type BrokerSessionInfo,
  type Campaign,
  type CampaignListener,
  type ControllerCandidate,
  type ControllerInfo,
  type ControllerLeadership,
  type MetadataEntry,
  type MetadataFollower,
  type MetadataQuorum,
  type MetadataSnapshot,
  NotControllerError,
  type OfflineReplicaRef,
  type SessionListener,
  type Subscription,
} from "./metadata-quorum.js";
