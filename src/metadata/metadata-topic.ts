/** The topic of the embedded metadata log (a single node's `__cluster_metadata-0`). */
export const METADATA_TOPIC = "__cluster_metadata";
