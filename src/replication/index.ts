export { IsolationLevel, Partition, type PartitionState } from "./partition.js";
export { type ReplicaAssignment, type ReplicaChanges, ReplicaManager } from "./replica-manager.js";
