import { BrookError } from "../base/index.js";
import { ClientError, ClientErrorCode, isConnectionFailure } from "../client/index.js";
import { ErrorCode, errorCodeInfo, KafkaError } from "../protocol/index.js";

/**
 * An answer the REST Proxy gives instead of a result: the HTTP `status` and Confluent's
 * `error_code` (a status, or a status and two digits: 40401), with Confluent's message. Clients
 * branch on `error_code`, so each factory below is the one place a code is chosen, with the
 * message kafka-rest's Errors.java (and rest-utils' mappers) give it.
 */
export class RestProxyError extends BrookError {
  readonly status: number;
  readonly errorCode: number;
  readonly headers: Readonly<Record<string, string>>;

  constructor(
    status: number,
    errorCode: number,
    message: string,
    headers: Record<string, string> = {},
    options?: ErrorOptions,
  ) {
    super("BRK_ERR_REST_PROXY", message, options);
    this.name = "RestProxyError";
    this.status = status;
    this.errorCode = errorCode;
    this.headers = headers;
  }

  /**
   * The JSON body. API v3 (and its streamed produce answers) names constraint violations by their
   * status (`{"error_code": 422, ...}`), as kafka-rest's v3 mapper does; v2 keeps the 422xx code.
   */
  body(api: "v2" | "v3"): { error_code: number; message: string } {
    const code = api === "v3" && this.status === 422 ? 422 : this.errorCode;
    return { error_code: code, message: this.message };
  }
}

const error = (status: number, errorCode: number) => (message: string) =>
  new RestProxyError(status, errorCode, message);

export const restErrors = {
  notFound: (message = "HTTP 404 Not Found") => error(404, 404)(message),
  methodNotAllowed: () => error(405, 405)("HTTP 405 Method Not Allowed"),
  notAcceptable: () => error(406, 406)("HTTP 406 Not Acceptable"),
  unsupportedMediaType: () => error(415, 415)("HTTP 415 Unsupported Media Type"),
  payloadTooLarge: () =>
    error(
      413,
      413,
    )("The request included a message larger than the maximum message size the server can accept."),
  /** kafka-rest's BadRequestException through its v2/v3 mappers: "title: detail". */
  badRequest: (detail: string) => error(400, 400)(`Bad Request: ${detail}`),
  /** A body that is not JSON, or JSON of the wrong shape (Jackson's mappers answer 400 with its message). */
  malformedJson: (message: string) => error(400, 400)(message),
  /** Bean validation of a request body (rest-utils' ConstraintViolationExceptionMapper). */
  constraintViolation: (message: string) => error(422, 422)(message),
  clusterNotFound: (clusterId: string) => error(404, 404)(`Cluster ${clusterId} cannot be found.`),
  topicNotFound: () => error(404, 40401)("Topic not found."),
  partitionNotFound: () => error(404, 40402)("Partition not found."),
  consumerInstanceNotFound: () => error(404, 40403)("Consumer instance not found."),
  unknownTopicOrPartition: (message = "This server does not host this topic-partition.") =>
    error(404, 40403)(message),
  consumerFormatMismatch: () =>
    error(
      406,
      40601,
    )("The requested embedded data format does not match the deserializer for this consumer instance"),
  consumerAlreadySubscribed: () =>
    error(
      409,
      40901,
    )(
      "Consumer cannot subscribe the the specified target because it has already subscribed to other topics.",
    ),
  consumerAlreadyExists: () =>
    error(409, 40902)("Consumer with specified consumer ID already exists in the specified consumer group."),
  illegalState: (detail: string) => error(409, 40903)(`Illegal state: ${detail}`),
  keySchemaMissing: () => error(422, 42201)("Request includes keys but does not include key schema"),
  valueSchemaMissing: () => error(422, 42202)("Request includes values but does not include value schema"),
  jsonConversion: (detail: string) => error(422, 42203)(`Conversion of JSON to Object failed: ${detail}`),
  invalidConsumerConfig: (detail: string) => error(422, 42204)(`Invalid consumer configuration: ${detail}`),
  invalidSchema: (detail: string) => error(422, 42205)(`Invalid schema: ${detail}`),
  invalidPayload: (detail: string) => error(422, 42206)(`Payload error. ${detail}`),
  serialization: (detail: string) => error(422, 42207)(`Error serializing message. ${detail}`),
  /** Kafka's SerializationException (a value the consumer's deserializer cannot read), as kafka-rest maps it. */
  deserialization: (detail: string) => error(408, 40801)(detail),
  /** The proxy's producer buffer or consumer instance table is full: retry later. */
  tooManyRequests: (detail: string) =>
    new RestProxyError(429, 429, `Request rate limit exceeded: ${detail}`, { "retry-after": "1" }),
  internal: () => error(500, 500)("Internal Server Error"),
} as const;

/** Kafka errors kafka-rest's KafkaExceptionMapper answers with 400 and 40002. */
const BAD_REQUEST: ReadonlySet<number> = new Set([
  ErrorCode.INVALID_REPLICATION_FACTOR,
  ErrorCode.SECURITY_DISABLED,
  ErrorCode.UNSUPPORTED_VERSION,
  ErrorCode.INVALID_PARTITIONS,
  ErrorCode.INVALID_REQUEST,
  ErrorCode.UNKNOWN_SERVER_ERROR,
  ErrorCode.POLICY_VIOLATION,
  ErrorCode.TOPIC_ALREADY_EXISTS,
  ErrorCode.INVALID_CONFIG,
  ErrorCode.TOPIC_DELETION_DISABLED,
  ErrorCode.INVALID_TOPIC_EXCEPTION,
]);

const AUTHORIZATION: ReadonlySet<number> = new Set([
  ErrorCode.TOPIC_AUTHORIZATION_FAILED,
  ErrorCode.GROUP_AUTHORIZATION_FAILED,
  ErrorCode.CLUSTER_AUTHORIZATION_FAILED,
  ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED,
  ErrorCode.DELEGATION_TOKEN_AUTHORIZATION_FAILED,
]);

/**
 * A Kafka error code (with the broker's message, or Kafka's description of the code) as
 * kafka-rest's KafkaExceptionMapper answers it: authentication 401/40101, authorization
 * 403/40301, the admin errors of its table (400/40002, 404/40403, 413, 429/42901, 503/50302),
 * other retriable errors 500/50003, the rest 500/50002.
 */
export function kafkaErrorAnswer(errorCode: number, message: string | null): RestProxyError {
  const info = errorCodeInfo.get(errorCode);
  const text = message ?? info?.message ?? `Kafka error ${errorCode}`;
  if (errorCode === ErrorCode.SASL_AUTHENTICATION_FAILED) return new RestProxyError(401, 40101, text);
  if (AUTHORIZATION.has(errorCode)) return new RestProxyError(403, 40301, text);
  if (errorCode === ErrorCode.BROKER_NOT_AVAILABLE) return new RestProxyError(503, 50302, text);
  if (BAD_REQUEST.has(errorCode)) return new RestProxyError(400, 40002, text);
  if (errorCode === ErrorCode.UNKNOWN_TOPIC_OR_PARTITION || errorCode === ErrorCode.UNKNOWN_TOPIC_ID)
    return new RestProxyError(404, 40403, text);
  if (errorCode === ErrorCode.MESSAGE_TOO_LARGE) return new RestProxyError(413, 413, text);
  if (errorCode === ErrorCode.THROTTLING_QUOTA_EXCEEDED) return new RestProxyError(429, 42901, text);
  if (info?.retriable === true) return new RestProxyError(500, 50003, text);
  return new RestProxyError(500, 50002, text);
}

/**
 * Any failure of a call to the cluster as the answer to give: Kafka errors as above, the client's
 * timeouts and lost connections as Kafka's retriable TimeoutException (500/50003), a refused login
 * as 401/40101. Anything else is a bug of the proxy, not an answer: it is rethrown.
 */
export function clusterFailure(failure: unknown): RestProxyError {
  if (failure instanceof RestProxyError) return failure;
  if (failure instanceof KafkaError) return kafkaErrorAnswer(failure.errorCode, failure.message);
  if (failure instanceof ClientError) {
    const { message } = failure;
    if (failure.code === ClientErrorCode.authentication) return new RestProxyError(401, 40101, message);
    return new RestProxyError(500, isConnectionFailure(failure) ? 50003 : 50002, message);
  }
  throw failure;
}

/** Calls the cluster; its failures become the answers kafka-rest gives for them. */
export async function clusterCall<T>(call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    throw clusterFailure(error);
  }
}

/**
 * The `error_code` of one record of a v2 produce answer (kafka-rest's
 * errorCodeFromProducerException): authentication and authorization keep theirs, retriable
 * errors are 50003, other Kafka errors 50002; a topic or partition the proxy found missing keeps
 * its 40401/40402.
 */
export function produceErrorCode(failure: RestProxyError): number {
  const kept = [40101, 40301, 40401, 40402, 50003];
  return kept.includes(failure.errorCode) ? failure.errorCode : 50002;
}
