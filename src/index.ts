/** Brook's public API: start a broker in-process, and the building blocks for tools. */
export { type BrookServer, type StartBrokerOptions, startBroker, startServer } from "./server/index.js";
