import { AssertionError, describeError, type Logger } from "../base/index.js";
import type { Connection, RequestHandler, RequestOrdering, ResponseChunks } from "../network/index.js";
import {
  ApiKey,
  apiSpec,
  decodeRequestFrameHeader,
  ErrorCode,
  encodeApiVersionsResponse,
  encodeResponseFrameHeader,
  errorCodeInfo,
  errorName,
  KafkaError,
  ProtocolDecodeError,
  Reader,
  Writer,
} from "../protocol/index.js";
import { type AnyApiHandler, NO_RESPONSE, type RequestContext } from "./api-handler.js";

/** Upper bounds (ms) of the request latency histogram's buckets; one more bucket holds the rest. */
export const REQUEST_LATENCY_BUCKETS_MS: readonly number[] = [
  0.5, 1, 2.5, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000,
];

/** Client quotas as the dispatcher applies them (ClientQuotas). */
export interface RequestThrottling {
  /**
   * Called once per request handled, with the time its handler ran on the event loop: the
   * throttle time to answer with (throttle_time_ms) and to mute the connection for, or 0.
   */
  throttleTimeMs(context: RequestContext, handlerMs: number): number;
}

/** Per-API request counters, read by the console and the metrics endpoint. */
export interface RequestStats {
  count: number;
  /** Requests whose handler threw (answered with an error code or UNKNOWN_SERVER_ERROR). */
  errors: number;
  totalMs: number;
  /** Requests per latency bucket (not cumulative): index i is <= REQUEST_LATENCY_BUCKETS_MS[i], the last the rest. */
  latencyBucketCounts: number[];
}

/**
 * Turns request frames into handler calls and handler results into response frames.
 *
 * Failure policy, as Kafka's: a frame that cannot be parsed (bad header, unknown API key, a body
 * that does not decode) closes its connection; a known API at a version Brook does not implement
 * gets UNSUPPORTED_VERSION in that version's response; an ApiVersions request newer than Brook
 * knows gets a v0 answer with UNSUPPORTED_VERSION and the supported ranges, so the client can
 * retry lower (KIP-511). A handler that throws answers with its error code instead of crashing,
 * except when it broke one of Brook's own invariants (an AssertionError): then the node must not
 * serve on with state it can no longer trust, and `onFatal` stops it loudly.
 */
export class RequestDispatcher implements RequestHandler {
  private readonly handlers = new Map<number, AnyApiHandler>();
  private advertised: { apiKey: number; minVersion: number; maxVersion: number }[] | null = null;
  private readonly log: Logger;
  readonly stats = new Map<number, RequestStats>();

  private readonly onFatal: (error: AssertionError) => void;
  private opened: boolean;
  private readonly waiting: (() => void)[] = [];
  private readonly throttling: RequestThrottling | null;

  constructor(
    handlers: readonly AnyApiHandler[],
    log: Logger,
    options: {
      onFatal?: (error: AssertionError) => void;
      heldUntilOpen?: boolean;
      /** Client quotas: throttle times for responses, and muted connections (KIP-219). */
      throttling?: RequestThrottling;
    } = {},
  ) {
    for (const h of handlers) this.handlers.set(h.apiKey, h);
    this.log = log;
    this.onFatal = options.onFatal ?? crashProcess;
    this.opened = options.heldUntilOpen !== true;
    this.throttling = options.throttling ?? null;
  }

  /** The ranges ApiVersions advertises: exactly the registered handlers. */
  advertisedVersions(): { apiKey: number; minVersion: number; maxVersion: number }[] {
    // Every connection asks (ApiVersions first): computed once, the handlers are fixed at construction.
    this.advertised ??= [...this.handlers.values()]
      .filter((h) => h.advertised !== false)
      .sort((a, b) => a.apiKey - b.apiKey)
      .map((h) => ({
        apiKey: h.apiKey,
        minVersion: h.advertisedMinVersion ?? h.minVersion,
        maxVersion: h.maxVersion,
      }));
    return this.advertised;
  }

  /**
   * Fetch is "free" (a long poll holds nothing back), Produce "pipelined" (appended at once, as
   * Kafka would append it once its turn came), every other request "serial": handled once the
   * connection's earlier requests are answered, so its answer sees what they did, as with Kafka.
   * A Metadata request behind an acks=all Produce that waits for a dead replica to be fenced is
   * answered with the leaders after the fencing, not before: librdkafka 2.0 takes a late answer
   * with the old leaders for the truth, and can stall a partition on it until its messages time out.
   */
  orderingOf(frame: Buffer): RequestOrdering {
    if (frame.length < 2) return "serial";
    const apiKey = frame.readInt16BE(0);
    return apiKey === ApiKey.Fetch ? "free" : apiKey === ApiKey.Produce ? "pipelined" : "serial";
  }

  /** Frames of APIs whose handler only borrows the request's bytes may be recycled (see ApiHandler). */
  releasesFrameOnCompletion(apiKey: number): boolean {
    return this.handlers.get(apiKey)?.requestBytesBorrowed === true;
  }

  /**
   * Lets requests through. Until then they wait: a broker binds its listeners first (its
   * registration names the bound ports) but serves only once it is part of the cluster, as
   * Kafka's broker enables request processing only once unfenced.
   */
  open(): void {
    this.opened = true;
    const waiting = this.waiting.splice(0);
    for (const resume of waiting) resume();
  }

  handle(frame: Buffer, connection: Connection): ResponseChunks | Promise<ResponseChunks> {
    if (!this.opened) {
      // The frame may be a recycled buffer: keep a copy while the request waits.
      const copy = Buffer.from(frame);
      return new Promise<void>((resume) => this.waiting.push(resume)).then(() =>
        this.handle(copy, connection),
      );
    }
    if (frame.length < 8)
      throw new ProtocolDecodeError(`request of ${frame.length} bytes is shorter than a header`);
    const apiKey = frame.readInt16BE(0);
    const apiVersion = frame.readInt16BE(2);
    const correlationId = frame.readInt32BE(4);
    const spec = apiSpec(apiKey);
    if (spec === undefined)
      throw new ProtocolDecodeError(`unknown api key ${apiKey}`, "BRK_ERR_PROTOCOL_UNKNOWN_API");
    if (apiVersion < spec.minVersion || apiVersion > spec.maxVersion) {
      if (apiKey === ApiKey.ApiVersions) return this.apiVersionsTooNew(correlationId);
      throw new ProtocolDecodeError(
        `${spec.name} v${apiVersion} is not a version Kafka defines`,
        "BRK_ERR_PROTOCOL_VERSION",
      );
    }
    const r = new Reader(frame);
    const header = decodeRequestFrameHeader(r);
    const request = spec.decodeRequest(r, apiVersion);
    const context: RequestContext = {
      header,
      apiKey,
      apiVersion,
      correlationId,
      clientId: header.clientId,
      connection,
      listenerName: connection.listenerName,
      receivedMs: performance.now(),
      requestBytes: frame.length,
      quota: { bandwidthThrottleMs: 0, requestQuotaExempt: false },
    };
    const handler = this.handlers.get(apiKey);
    if (handler === undefined || apiVersion < handler.minVersion || apiVersion > handler.maxVersion) {
      this.log.debug(`${spec.name} v${apiVersion} from ${connection.remoteAddress} is not supported`);
      return this.errorBody(handler, request, ErrorCode.UNSUPPORTED_VERSION, context);
    }
    let result: unknown;
    const startedMs = performance.now();
    try {
      result = handler.handle(request, context);
    } catch (error) {
      return this.failed(handler, request, context, error, performance.now() - startedMs);
    }
    // The handler's time on the event loop: what request_percentage measures (its waits are not).
    const handlerMs = performance.now() - startedMs;
    if (result instanceof Promise) {
      return result.then(
        (value) => this.finish(context, value, handlerMs),
        (error: unknown) => this.failed(handler, request, context, error, handlerMs),
      );
    }
    return this.finish(context, result, handlerMs);
  }

  /**
   * The frame's request answered with `errorCode` by its handler's error response, or null when it
   * has none: a SASL listener's refusal of a request before authentication (ILLEGAL_SASL_STATE).
   */
  errorResponse(frame: Buffer, connection: Connection, errorCode: number): ResponseChunks {
    const apiKey = frame.readInt16BE(0);
    const apiVersion = frame.readInt16BE(2);
    const handler = this.handlers.get(apiKey);
    const spec = apiSpec(apiKey);
    if (handler?.errorResponse === undefined || spec === undefined) return null;
    if (apiVersion < handler.minVersion || apiVersion > handler.maxVersion) return null;
    const r = new Reader(frame);
    const header = decodeRequestFrameHeader(r);
    const request = spec.decodeRequest(r, apiVersion);
    const context: RequestContext = {
      header,
      apiKey,
      apiVersion,
      correlationId: header.correlationId,
      clientId: header.clientId,
      connection,
      listenerName: connection.listenerName,
      receivedMs: performance.now(),
      requestBytes: frame.length,
      quota: { bandwidthThrottleMs: 0, requestQuotaExempt: false },
    };
    return this.encode(context, handler.errorResponse(request, errorCode, context));
  }

  private finish(context: RequestContext, result: unknown, handlerMs: number): ResponseChunks {
    this.count(context, false);
    const throttleMs = this.throttle(context, handlerMs);
    const lease = context.lease;
    if (result === NO_RESPONSE) {
      lease?.release();
      return null;
    }
    const chunks = this.encode(context, withThrottleTime(result, throttleMs));
    if (lease !== undefined) {
      if (chunks === null) lease.release();
      else (chunks as Buffer[] & { onWritten?: () => void }).onWritten = () => lease.release();
    }
    return chunks;
  }

  /**
   * The request's throttle time under the client quotas; the connection is muted for it once the
   * response is on its way (KIP-219: the answer is not delayed, the client's next requests are).
   */
  private throttle(context: RequestContext, handlerMs: number): number {
    const throttleMs = this.throttling?.throttleTimeMs(context, handlerMs) ?? 0;
    if (throttleMs > 0) context.connection.throttle(throttleMs);
    return throttleMs;
  }

  private failed(
    handler: AnyApiHandler,
    request: unknown,
    context: RequestContext,
    error: unknown,
    handlerMs: number,
  ): ResponseChunks {
    this.count(context, true);
    // The error body references nothing the handler read.
    context.lease?.release();
    if (error instanceof AssertionError) {
      this.log.error(
        `${apiSpec(context.apiKey)?.name} v${context.apiVersion} broke an invariant: ${describeError(error)}`,
      );
      this.onFatal(error);
    }
    const errorCode = error instanceof KafkaError ? error.errorCode : ErrorCode.UNKNOWN_SERVER_ERROR;
    // Kafka's ApiError.fromThrowable: a message only when it says more than the code's own.
    const errorMessage =
      error instanceof KafkaError && error.message !== errorCodeInfo.get(errorCode)?.message
        ? error.message
        : null;
    if (!(error instanceof KafkaError)) {
      this.log.error(
        `${apiSpec(context.apiKey)?.name} v${context.apiVersion} failed: ${describeError(error)}`,
      );
      if (error instanceof Error && error.stack !== undefined) this.log.debug(error.stack);
    }
    return this.errorBody(
      handler,
      request,
      errorCode,
      context,
      this.throttle(context, handlerMs),
      errorMessage,
    );
  }

  /**
   * The body that reports `errorCode`: the handler's, which sets it on every item the request
   * named. Without a handler there is no response that could carry the error, and an empty one
   * would look like success, so the connection is closed instead (what Kafka does for requests
   * it cannot serve).
   */
  private errorBody(
    handler: AnyApiHandler | undefined,
    request: unknown,
    errorCode: number,
    context: RequestContext,
    throttleMs = 0,
    errorMessage: string | null = null,
  ): ResponseChunks {
    if (handler?.errorResponse !== undefined)
      return this.encode(
        context,
        withThrottleTime(handler.errorResponse(request, errorCode, context, errorMessage), throttleMs),
      );
    throw new ProtocolDecodeError(
      `${apiSpec(context.apiKey)?.name} v${context.apiVersion} cannot be answered with ${errorName(errorCode)}; closing the connection`,
      "BRK_ERR_PROTOCOL_VERSION",
    );
  }

  private encode(context: RequestContext, body: unknown): ResponseChunks {
    const spec = apiSpec(context.apiKey);
    if (spec === undefined) return null;
    const w = new Writer(256);
    encodeResponseFrameHeader(w, context.apiKey, context.apiVersion, context.correlationId);
    spec.encodeResponse(w, body, context.apiVersion, true);
    return w.toChunks();
  }

  private count(context: RequestContext, failed: boolean): void {
    let s = this.stats.get(context.apiKey);
    if (s === undefined) {
      s = { count: 0, errors: 0, totalMs: 0, latencyBucketCounts: REQUEST_LATENCY_BUCKETS_MS.map(() => 0) };
      s.latencyBucketCounts.push(0);
      this.stats.set(context.apiKey, s);
    }
    const elapsedMs = performance.now() - context.receivedMs;
    s.count++;
    if (failed) s.errors++;
    s.totalMs += elapsedMs;
    let bucket = 0;
    while (
      bucket < REQUEST_LATENCY_BUCKETS_MS.length &&
      elapsedMs > (REQUEST_LATENCY_BUCKETS_MS[bucket] as number)
    )
      bucket++;
    s.latencyBucketCounts[bucket] = (s.latencyBucketCounts[bucket] ?? 0) + 1;
  }

  /** KIP-511: an ApiVersions version above ours gets a v0 body (header v0) with our ranges. */
  private apiVersionsTooNew(correlationId: number): ResponseChunks {
    const w = new Writer(512);
    w.int32(correlationId);
    encodeApiVersionsResponse(
      w,
      { errorCode: ErrorCode.UNSUPPORTED_VERSION, apiKeys: this.advertisedVersions() },
      0,
    );
    return w.toChunks();
  }
}

/** The response with its throttle_time_ms set (a copy: handlers may return shared objects). */
function withThrottleTime(body: unknown, throttleMs: number): unknown {
  if (throttleMs <= 0 || typeof body !== "object" || body === null) return body;
  return { ...body, throttleTimeMs: throttleMs };
}

/** A broken invariant ends the process (or, in-process, fails the test that caused it) loudly. */
function crashProcess(error: AssertionError): void {
  process.nextTick(() => {
    throw error;
  });
}
