/** Brook's public API: start a broker in-process, the producer and admin clients, and the building blocks for tools. */

export {
  AdminClient,
  type AdminClientOptions,
  type CompressionName,
  Producer,
  type ProducerOptions,
  type ProducerRecord,
  type RecordMetadata,
} from "./client/index.js";
export {
  type BrookCluster,
  type BrookServer,
  type StartBrokerOptions,
  type StartClusterOptions,
  startBroker,
  startCluster,
  startServer,
} from "./server/index.js";
