/** Brook's public API: start a broker in-process, and the building blocks for tools. */
export {
  type BrookCluster,
  type BrookServer,
  type StartBrokerOptions,
  type StartClusterOptions,
  startBroker,
  startCluster,
  startServer,
} from "./server/index.js";
