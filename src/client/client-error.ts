import { BrookError } from "../base/index.js";

/**
 * The client's own error codes. Kafka errors that a broker answers with stay Kafka's (per item in
 * results, or a `KafkaError` for a top-level error); these are what went wrong on the way.
 */
export const ClientErrorCode = {
  /** The connection closed (by the broker, the network, or `close()`) before the response came. */
  disconnected: "BRK_ERR_CLIENT_DISCONNECTED",
  /** No response within the request's timeout; the connection is closed with it. */
  timeout: "BRK_ERR_CLIENT_TIMEOUT",
  /** No connection: refused, unreachable, the ApiVersions exchange failed, or connectTimeoutMs passed. */
  connectFailed: "BRK_ERR_CLIENT_CONNECT_FAILED",
  /**
   * The broker and the client did not accept each other (Kafka's AuthenticationException): a TLS
   * handshake failed on a certificate, a protocol or a cipher. Retrying would fail the same way.
   */
  authentication: "BRK_ERR_CLIENT_AUTHENTICATION",
  /** A response size prefix that is negative or above the limit; the connection is closed. */
  frameSize: "BRK_ERR_CLIENT_FRAME_SIZE",
  /** A response whose correlation id is not the oldest pending request's, or one nobody asked for. */
  unexpectedResponse: "BRK_ERR_CLIENT_UNEXPECTED_RESPONSE",
  /** The broker does not support the API, or no version in the range the caller can use. */
  unsupportedVersion: "BRK_ERR_CLIENT_UNSUPPORTED_VERSION",
  /** More requests pending on one connection than its limit. */
  tooManyInFlight: "BRK_ERR_CLIENT_TOO_MANY_IN_FLIGHT",
  /** A request Kafka answers with nothing (Produce with acks=0), which would desynchronise the stream. */
  noResponse: "BRK_ERR_CLIENT_NO_RESPONSE",
  /** A call the client's state does not allow now (Kafka's IllegalStateException): a transactional method out of order. */
  illegalState: "BRK_ERR_CLIENT_ILLEGAL_STATE",
  /** A record of a transaction that was aborted before it was sent (Kafka's TransactionAbortedException). */
  transactionAborted: "BRK_ERR_CLIENT_TRANSACTION_ABORTED",
} as const;
export type ClientErrorCode = (typeof ClientErrorCode)[keyof typeof ClientErrorCode];

export class ClientError extends BrookError {
  override readonly code: ClientErrorCode;

  constructor(code: ClientErrorCode, message: string, options?: ErrorOptions) {
    super(code, message, options);
    this.code = code;
    this.name = "ClientError";
  }
}

/** Failures after which the same request may succeed on a new connection (to the same broker or another). */
export function isConnectionFailure(error: unknown): error is ClientError {
  return (
    error instanceof ClientError &&
    (error.code === ClientErrorCode.disconnected ||
      error.code === ClientErrorCode.timeout ||
      error.code === ClientErrorCode.connectFailed)
  );
}
