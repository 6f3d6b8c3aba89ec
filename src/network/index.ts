export {
  Connection,
  type ConnectionEvents,
  type ConnectionLimits,
  type RequestHandler,
  type ResponseChunks,
} from "./connection.js";
export { FRAME_PREALLOCATED_BYTES_MAX, FrameReader, InvalidFrameSizeError } from "./frame-reader.js";
export {
  type BoundListener,
  type ListenerSpec,
  type NetworkStats,
  SocketServer,
  type SocketServerOptions,
} from "./socket-server.js";
