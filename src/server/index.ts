export { type BrookServer, type StartBrokerOptions, startBroker, startServer } from "./server.js";
