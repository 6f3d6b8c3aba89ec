export { type BrookCluster, type StartClusterOptions, startCluster } from "./cluster.js";
export { type BrookServer, type StartBrokerOptions, startBroker, startServer } from "./server.js";
