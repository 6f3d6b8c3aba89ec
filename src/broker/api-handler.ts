import type { BufferLease } from "../base/index.js";
import type { Connection } from "../network/index.js";
import type { RequestHeader } from "../protocol/index.js";

/** What a handler knows about the request besides its body. */
export interface RequestContext {
  readonly header: RequestHeader;
  readonly apiKey: number;
  readonly apiVersion: number;
  readonly correlationId: number;
  readonly clientId: string | null;
  readonly connection: Connection;
  readonly listenerName: string;
  /** Monotonic time the request was read, for timeouts. */
  readonly receivedMs: number;
  /**
   * Memory the response references without owning it (records read for a Fetch): set by the
   * handler, released by the dispatcher once the response is written, or at once when there is
   * none or it failed.
   */
  lease?: BufferLease;
  /** Bytes of the request frame, header included (Kafka's request size, what producer_byte_rate counts). */
  readonly requestBytes: number;
  /** Client quota state of the request, filled in by its handler (client-quotas.ts). */
  readonly quota: RequestQuotaState;
}

/** What a handler tells the dispatcher about client quotas (see ClientQuotas). */
export interface RequestQuotaState {
  /** Set by Produce and Fetch: the throttle time their bandwidth quota calls for. */
  bandwidthThrottleMs: number;
  /** Set by Produce with acks=0: Kafka does not apply the request quota to it. */
  requestQuotaExempt: boolean;
}

/** Returned by a handler when Kafka sends no response (Produce with acks=0). */
export const NO_RESPONSE: unique symbol = Symbol("brook.noResponse");
export type HandlerResult<Res> = Res | typeof NO_RESPONSE;

/**
 * One Kafka API: the versions it implements, and a function from the decoded request to the
 * response (the generated `...Input` type of the response). A handler may answer later by
 * returning a promise; the connection keeps responses in request order.
 */
export interface ApiHandler<Req, Res> {
  readonly apiKey: number;
  readonly minVersion: number;
  readonly maxVersion: number;
  /** false for inter-broker APIs that Kafka does not advertise to clients (AllocateProducerIds, AlterPartition). */
  readonly advertised?: boolean;
  /** What ApiVersions advertises as the minimum, when it differs (Produce: 0, see the matrix). */
  readonly advertisedMinVersion?: number;
  /**
   * true when `handle` and `errorResponse` read the request only until the response is returned
   * (or its promise settles): nothing they keep, return or hand on refers to the request's bytes
   * afterwards (decoded strings are copies; `bytes` fields are views of the frame). Requests of
   * such APIs may arrive in recycled buffers, reused as soon as their handling completes.
   */
  readonly requestBytesBorrowed?: boolean;
  handle(request: Req, context: RequestContext): HandlerResult<Res> | Promise<HandlerResult<Res>>;
  /**
   * The response that reports `errorCode` for everything the request asked (an unsupported
   * version, or a handler failure). Without it the dispatcher sets a top-level ErrorCode.
   * `errorMessage` is the failure's own message, null when it has none beyond the code's (Kafka's
   * ApiError.fromThrowable), for responses that carry messages.
   */
  errorResponse?(request: Req, errorCode: number, context: RequestContext, errorMessage?: string | null): Res;
}

// biome-ignore lint/suspicious/noExplicitAny: the registry holds handlers of every request type
export type AnyApiHandler = ApiHandler<any, any>;

export function defineHandler<Req, Res>(handler: ApiHandler<Req, Res>): AnyApiHandler {
  return handler;
}
