/** Brook's public API: start a broker in-process, the producer, consumer and admin clients, and the building blocks for tools. */

export {
  AdminClient,
  type AdminClientOptions,
  type ClientTls,
  type CompressionName,
  Consumer,
  type ConsumerGroupMetadata,
  type ConsumerOptions,
  type ConsumerRecord,
  Producer,
  type ProducerOptions,
  type ProducerRecord,
  type RecordMetadata,
  type TransactionOffset,
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
