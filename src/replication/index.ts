export { IsolationLevel, Partition, type PartitionState } from "./partition.js";
export { type ReplicaAssignment, ReplicaManager } from "./replica-manager.js";
