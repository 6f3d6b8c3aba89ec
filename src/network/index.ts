export {
  ANONYMOUS_PRINCIPAL,
  Connection,
  type ConnectionEvents,
  type ConnectionLimits,
  type RequestHandler,
  type RequestOrdering,
  type ResponseChunks,
} from "./connection.js";
export {
  type Admission,
  ConnectionQuotas,
  type ConnectionQuotasConfig,
  ConnectionRefusalReason,
  IP_RATE_SENSORS_MAX,
  normalizeAddress,
} from "./connection-quotas.js";
export {
  FRAME_POISON_BYTE,
  FRAME_POOL_BYTES_MAX,
  FRAME_POOL_CLASS_BYTES_MIN,
  FrameBufferPool,
  type FrameBufferPoolOptions,
} from "./frame-buffer-pool.js";
export {
  FRAME_PREALLOCATED_BYTES_MAX,
  FrameReader,
  type FrameReaderOptions,
  type FrameSink,
  InvalidFrameSizeError,
} from "./frame-reader.js";
export { javaHostAddress } from "./host-address.js";
export { type QueueReader, RequestQueue } from "./request-queue.js";
export { type ListenerSasl, SaslAuthenticator, type SaslEvents } from "./sasl/sasl-authenticator.js";
export {
  type BoundListener,
  CONNECTION_LOG_LINES_PER_REASON,
  CONNECTION_LOG_LINES_PER_WINDOW,
  type ListenerSpec,
  type NetworkStats,
  SocketServer,
  type SocketServerOptions,
} from "./socket-server.js";
export {
  type ClientAuth,
  type ListenerTls,
  principalOf,
  TLS_HANDSHAKE_TIMEOUT_MS,
  TlsAcceptor,
  type TlsAcceptorEvents,
  TlsFailureReason,
} from "./tls-acceptor.js";
