export {
  type DivergingEpoch,
  type FollowerProgress,
  IsolationLevel,
  Partition,
  type PartitionState,
} from "./partition.js";
export { ReplicaFetcher, type ReplicaFetcherConfig } from "./replica-fetcher.js";
export { ReplicaFetcherManager } from "./replica-fetcher-manager.js";
export {
  type FollowerFetching,
  type IsrChangeCounts,
  type OfflineReplica,
  type ReplicaAssignment,
  type ReplicaChanges,
  ReplicaManager,
} from "./replica-manager.js";
export {
  divergingEpoch,
  effectiveMinIsr,
  followerHighWatermark,
  followerProgressAfterFetch,
  hasEnoughReplicas,
  highWatermarkCandidate,
  type IsrEligibility,
  type IsrProposalAction,
  initialFollowerProgress,
  isrAfterExpand,
  isrAfterShrink,
  isrProposalAction,
  leaderEpochError,
  maximalIsr,
  type ReadReplicaCandidate,
  rackAwareReadReplica,
  truncationOffset,
} from "./replica-rules.js";
