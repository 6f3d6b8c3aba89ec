import { connect as netConnect, type Socket } from "node:net";
import { connect as tlsConnect } from "node:tls";
import { tlsErrorText } from "../base/index.js";
import {
  ApiKey,
  type ApiSpec,
  type ApiVersionsResponse,
  apiSpec,
  decodeResponseFrameHeader,
  ErrorCode,
  encodeRequestFrameHeader,
  KafkaError,
  ProtocolEncodeError,
  Reader,
  Writer,
} from "../protocol/index.js";
import { ApiVersionRanges } from "./api-version-ranges.js";
import { ClientError, ClientErrorCode } from "./client-error.js";
import { type ClientSasl, saslAuthenticate } from "./client-sasl.js";
import { type ClientTls, isTlsAuthenticationError, tlsConnectOptions } from "./client-tls.js";
import { ResponseFrameReader } from "./response-frame-reader.js";

export const REQUEST_TIMEOUT_MS_DEFAULT = 30_000;
/** Kafka's clients refuse larger responses too (a stray HTTP or TLS answer reads as a huge size). */
export const RESPONSE_BYTES_MAX_DEFAULT = 100 * 1024 * 1024;
export const IN_FLIGHT_REQUESTS_MAX_DEFAULT = 1000;
const CORRELATION_ID_MASK = 0x7fffffff;
/** KIP-511: the broker shows it (Brook's console does), so it must match Kafka's pattern. */
const CLIENT_SOFTWARE_NAME = "brook";

export interface KafkaConnectionOptions {
  host: string;
  port: number;
  clientId: string;
  /** For the TCP connection, the TLS handshake and the ApiVersions exchange together. */
  connectTimeoutMs: number;
  /** Connect with TLS (Kafka's security.protocol=SSL or SASL_SSL); default plaintext. */
  ssl?: ClientTls;
  /** Authenticate with SASL after ApiVersions (security.protocol=SASL_PLAINTEXT or SASL_SSL). */
  sasl?: ClientSasl;
  /** The timeout of a request that names none. */
  requestTimeoutMs?: number;
  /** A response announcing more bytes than this closes the connection. */
  responseBytesMax?: number;
  /**
   * The caller is done with each response (and every view into it, such as fetched records)
   * before it sends the next request: responses spread over several socket reads are gathered in
   * one reused buffer (see ResponseFrameReader). The replica fetcher's connections.
   */
  reuseResponseBuffer?: boolean;
  /** Requests sent and not yet answered; more are refused with BRK_ERR_CLIENT_TOO_MANY_IN_FLIGHT. */
  inFlightRequestsMax?: number;
  /** Sent in ApiVersions v3+ (letters, digits, '-' and '.'). */
  clientSoftwareVersion?: string;
}

export interface RequestOptions {
  /** Long polls (a Fetch's maxWaitMs) need it above their wait. */
  timeoutMs?: number;
  /** This request's header client id instead of the connection's (a broker forwarding a client's request names it). */
  clientId?: string;
}

/** `cause` is what broke the connection, or null after `close()`. */
export type CloseListener = (cause: Error | null) => void;

interface PendingRequest {
  readonly correlationId: number;
  readonly apiKey: number;
  readonly apiVersion: number;
  readonly decode: (r: Reader) => unknown;
  readonly resolve: (response: unknown) => void;
  readonly reject: (error: Error) => void;
  timer: NodeJS.Timeout | null;
}

/**
 * One TCP (or TLS) connection to a Kafka broker. Requests are pipelined: each is written at once with the
 * next correlation id, and since a broker answers a connection's requests in order, each response
 * belongs to the oldest pending request (its correlation id is checked, not searched for).
 *
 * A connection is usable only after its ApiVersions exchange (`connect` does it), which gives
 * `negotiatedVersion`. Whatever breaks the byte stream closes the connection and fails every
 * pending request: a timeout (the late response would be taken for the next request's), a bad
 * size prefix, an unexpected correlation id. A response body that does not decode fails only its
 * request: the frame boundaries are intact.
 *
 * Responses are decoded from the frame without copying it, so `records` fields are views on the
 * socket's buffers.
 */
export class KafkaConnection {
  readonly host: string;
  readonly port: number;
  readonly clientId: string;
  private readonly socket: Socket;
  private readonly reader: ResponseFrameReader;
  private readonly requestTimeoutMs: number;
  private readonly inFlightRequestsMax: number;
  /** Invariant: the requests written and not yet answered, oldest first. */
  private readonly pending: PendingRequest[] = [];
  private readonly closeListeners: CloseListener[] = [];
  private nextCorrelationId = 0;
  private closed = false;
  private closeCause: Error | null = null;
  private versions: ApiVersionRanges | null = null;

  private constructor(socket: Socket, options: KafkaConnectionOptions) {
    this.host = options.host;
    this.port = options.port;
    this.clientId = options.clientId;
    this.socket = socket;
    this.reader = new ResponseFrameReader(options.responseBytesMax ?? RESPONSE_BYTES_MAX_DEFAULT, {
      reuseGathered: options.reuseResponseBuffer === true,
    });
    this.requestTimeoutMs = options.requestTimeoutMs ?? REQUEST_TIMEOUT_MS_DEFAULT;
    this.inFlightRequestsMax = options.inFlightRequestsMax ?? IN_FLIGHT_REQUESTS_MAX_DEFAULT;
    socket.setNoDelay(true);
    socket.on("data", (chunk: Buffer) => this.onData(chunk));
    socket.on("error", (error) => this.shutdown(this.disconnected(error), null));
    socket.on("close", () => this.shutdown(this.disconnected(null), null));
  }

  /**
   * Connects (with the TLS handshake when `ssl` is set) and exchanges ApiVersions; a failure is
   * BRK_ERR_CLIENT_AUTHENTICATION when TLS refused the broker or the broker refused this client,
   * else BRK_ERR_CLIENT_CONNECT_FAILED with its cause. With `sasl` the connection then
   * authenticates, after ApiVersions as Kafka's clients do; a refusal is BRK_ERR_CLIENT_AUTHENTICATION.
   */
  static async connect(options: KafkaConnectionOptions): Promise<KafkaConnection> {
    const deadlineMs = performance.now() + options.connectTimeoutMs;
    const socket = await openSocket(options.host, options.port, options.connectTimeoutMs, options.ssl);
    const connection = new KafkaConnection(socket, options);
    try {
      connection.versions = await connection.exchangeApiVersions(
        deadlineMs,
        options.clientSoftwareVersion ?? "unknown",
      );
    } catch (error) {
      connection.close();
      // With TLS 1.3 the broker's verdict on the client's certificate comes after the client's
      // handshake is done: it arrives as an alert that breaks the first exchange.
      const cause = (error as Error).cause;
      if (options.ssl !== undefined && isTlsAuthenticationError(cause)) {
        throw new ClientError(
          ClientErrorCode.authentication,
          `the broker at ${options.host}:${options.port} refused the TLS connection: ${tlsErrorText(cause as Error)}`,
          { cause },
        );
      }
      throw new ClientError(
        ClientErrorCode.connectFailed,
        `ApiVersions with ${options.host}:${options.port} failed: ${(error as Error).message}`,
        { cause: error },
      );
    }
    if (options.sasl !== undefined) {
      try {
        await saslAuthenticate(connection, options.sasl, `${options.host}:${options.port}`, () =>
          Math.max(1, Math.ceil(deadlineMs - performance.now())),
        );
      } catch (error) {
        connection.close();
        if (error instanceof ClientError && error.code === ClientErrorCode.authentication) throw error;
        throw new ClientError(
          ClientErrorCode.connectFailed,
          `SASL authentication with ${options.host}:${options.port} failed: ${(error as Error).message}`,
          { cause: error },
        );
      }
    }
    return connection;
  }

  get isClosed(): boolean {
    return this.closed;
  }

  /** Requests written and not yet answered. */
  get inFlightCount(): number {
    return this.pending.length;
  }

  /**
   * The version to send of an API: the highest of [wantedMin, wantedMax] that the broker (per its
   * ApiVersions answer) and Brook's codecs support. Throws BRK_ERR_CLIENT_UNSUPPORTED_VERSION if none.
   */
  negotiatedVersion(apiKey: number, wantedMax: number, wantedMin = 0): number {
    return (this.versions as ApiVersionRanges).negotiate(apiKey, wantedMax, wantedMin);
  }

  /**
   * Sends one request and resolves with its decoded response (`Res` is the generated response type
   * of the API, e.g. `MetadataResponse`). The body is encoded strictly at `apiVersion`: a field
   * that version cannot carry is refused before anything is sent.
   */
  request<Res>(apiKey: number, apiVersion: number, body: object, options: RequestOptions = {}): Promise<Res> {
    const spec = apiSpec(apiKey);
    if (spec === undefined) {
      return Promise.reject(
        new ProtocolEncodeError(`unknown api key ${apiKey}`, "BRK_ERR_PROTOCOL_UNKNOWN_API"),
      );
    }
    if (apiKey === ApiKey.Produce && (body as { acks?: number }).acks === 0) {
      return Promise.reject(
        new ClientError(ClientErrorCode.noResponse, "Produce with acks=0 gets no response; use acks 1 or -1"),
      );
    }
    const decode = (r: Reader) => spec.decodeResponse(r, apiVersion);
    return this.send(
      spec,
      apiVersion,
      body,
      options.timeoutMs ?? this.requestTimeoutMs,
      decode,
      options.clientId ?? this.clientId,
    ) as Promise<Res>;
  }

  /**
   * Sends a Produce request with acks=0, which Kafka answers with nothing: no correlation slot is
   * taken, so later responses still pair with their requests. Resolves once the bytes are handed
   * to the socket; a broker that refuses the batch closes the connection (Kafka's way of telling
   * an acks=0 producer).
   */
  sendAcksZeroProduce(apiVersion: number, body: object & { acks: 0 }): Promise<void> {
    if (this.closed) return Promise.reject(this.disconnected(this.closeCause));
    let chunks: Buffer[];
    try {
      chunks = this.frame(apiSpec(ApiKey.Produce) as ApiSpec, apiVersion, body).chunks;
    } catch (error) {
      return Promise.reject(error);
    }
    this.write(chunks);
    return Promise.resolve();
  }

  /** Calls `listener` once, when the connection closes (at once if it is closed already). */
  onClose(listener: CloseListener): void {
    if (this.closed) queueMicrotask(() => listener(this.closeCause));
    else this.closeListeners.push(listener);
  }

  /** Closes the connection; pending requests fail with BRK_ERR_CLIENT_DISCONNECTED. */
  close(): void {
    this.shutdown(null, null);
  }

  /** The request's frame under the next correlation id, which it takes (throws if the body cannot be encoded). */
  private frame(
    spec: ApiSpec,
    apiVersion: number,
    body: object,
    clientId = this.clientId,
  ): { correlationId: number; chunks: Buffer[] } {
    const correlationId = this.nextCorrelationId;
    const chunks = encodeRequestFrame(spec, apiVersion, correlationId, clientId, body);
    this.nextCorrelationId = (correlationId + 1) & CORRELATION_ID_MASK;
    return { correlationId, chunks };
  }

  private send(
    spec: ApiSpec,
    apiVersion: number,
    body: object,
    timeoutMs: number,
    decode: (r: Reader) => unknown,
    clientId: string,
  ): Promise<unknown> {
    if (this.closed) return Promise.reject(this.disconnected(this.closeCause));
    if (this.pending.length >= this.inFlightRequestsMax) {
      return Promise.reject(
        new ClientError(
          ClientErrorCode.tooManyInFlight,
          `${this.pending.length} requests already in flight to ${this.host}:${this.port}`,
        ),
      );
    }
    let correlationId: number;
    let chunks: Buffer[];
    try {
      ({ correlationId, chunks } = this.frame(spec, apiVersion, body, clientId));
    } catch (error) {
      return Promise.reject(error);
    }
    return new Promise((resolve, reject) => {
      const request: PendingRequest = {
        correlationId,
        apiKey: spec.apiKey,
        apiVersion,
        decode,
        resolve,
        reject,
        timer: null,
      };
      request.timer = setTimeout(() => this.onTimeout(request, timeoutMs), timeoutMs);
      this.pending.push(request);
      this.write(chunks);
    });
  }

  private write(chunks: readonly Buffer[]): void {
    if (chunks.length === 1) {
      this.socket.write(chunks[0] as Buffer);
      return;
    }
    this.socket.cork();
    for (const chunk of chunks) this.socket.write(chunk);
    this.socket.uncork();
  }

  /**
   * ApiVersions at the highest version Brook knows; a broker that does not know it answers
   * UNSUPPORTED_VERSION with a v0 body listing its own range (KIP-511), and the exchange is
   * repeated once at the broker's highest version.
   */
  private async exchangeApiVersions(deadlineMs: number, softwareVersion: string): Promise<ApiVersionRanges> {
    const spec = apiSpec(ApiKey.ApiVersions) as ApiSpec;
    let version = spec.maxVersion;
    for (;;) {
      const body =
        version >= 3
          ? { clientSoftwareName: CLIENT_SOFTWARE_NAME, clientSoftwareVersion: softwareVersion }
          : {};
      const timeoutMs = Math.max(1, Math.ceil(deadlineMs - performance.now()));
      const response = (await this.send(
        spec,
        version,
        body,
        timeoutMs,
        (r) => decodeApiVersionsAnswer(spec, r, version),
        this.clientId,
      )) as ApiVersionsResponse;
      if (response.errorCode === ErrorCode.NONE) return new ApiVersionRanges(response.apiKeys);
      const theirs = response.apiKeys.find((k) => k.apiKey === ApiKey.ApiVersions);
      if (
        response.errorCode !== ErrorCode.UNSUPPORTED_VERSION ||
        theirs === undefined ||
        theirs.maxVersion >= version
      ) {
        throw new KafkaError(response.errorCode);
      }
      version = theirs.maxVersion;
    }
  }

  private onData(chunk: Buffer): void {
    try {
      this.reader.push(chunk, (frame) => this.onFrame(frame));
    } catch (error) {
      this.shutdown(error as Error, this.pending[0] ?? null);
    }
  }

  private onFrame(frame: Buffer): void {
    if (this.closed) return;
    const request = this.pending[0];
    if (request === undefined) {
      this.shutdown(
        new ClientError(ClientErrorCode.unexpectedResponse, "a response came with no request pending"),
        null,
      );
      return;
    }
    const r = new Reader(frame);
    let correlationId: number;
    try {
      correlationId = decodeResponseFrameHeader(r, request.apiKey, request.apiVersion).correlationId;
    } catch (error) {
      this.shutdown(error as Error, request);
      return;
    }
    if (correlationId !== request.correlationId) {
      const message = `a response for correlation id ${correlationId} came when ${request.correlationId} was next`;
      this.shutdown(new ClientError(ClientErrorCode.unexpectedResponse, message), request);
      return;
    }
    this.pending.shift();
    if (request.timer !== null) clearTimeout(request.timer);
    let response: unknown;
    try {
      response = request.decode(r);
    } catch (error) {
      request.reject(error as Error);
      return;
    }
    request.resolve(response);
  }

  private onTimeout(request: PendingRequest, timeoutMs: number): void {
    request.timer = null;
    const name = apiSpec(request.apiKey)?.name ?? request.apiKey;
    const message = `no response to ${name} v${request.apiVersion} from ${this.host}:${this.port} within ${timeoutMs} ms`;
    this.shutdown(new ClientError(ClientErrorCode.timeout, message), request);
  }

  /**
   * Closes the socket and fails every pending request: `culprit` (the request whose response broke
   * the stream, or that timed out) with `cause`, the others as disconnected because of it.
   */
  private shutdown(cause: Error | null, culprit: PendingRequest | null): void {
    if (this.closed) return;
    this.closed = true;
    this.closeCause = cause;
    this.socket.destroy();
    const shared =
      cause instanceof ClientError && cause.code === ClientErrorCode.disconnected
        ? cause
        : this.disconnected(cause);
    for (const request of this.pending.splice(0)) {
      if (request.timer !== null) clearTimeout(request.timer);
      request.reject(request === culprit && cause !== null ? cause : shared);
    }
    for (const listener of this.closeListeners.splice(0)) listener(cause);
  }

  private disconnected(cause: Error | null): ClientError {
    const why = cause === null ? "closed" : `closed: ${cause.message}`;
    return new ClientError(
      ClientErrorCode.disconnected,
      `connection to ${this.host}:${this.port} ${why}`,
      cause === null ? undefined : { cause },
    );
  }
}

function encodeRequestFrame(
  spec: ApiSpec,
  apiVersion: number,
  correlationId: number,
  clientId: string,
  body: object,
): Buffer[] {
  const w = new Writer();
  w.int32(0);
  encodeRequestFrameHeader(w, {
    requestApiKey: spec.apiKey,
    requestApiVersion: apiVersion,
    correlationId,
    clientId,
  });
  spec.encodeRequest(w, body, apiVersion);
  w.patchInt32(0, w.length - 4);
  return w.toChunks();
}

/** An UNSUPPORTED_VERSION answer to ApiVersions has a v0 body whatever version was asked (KIP-511). */
function decodeApiVersionsAnswer(spec: ApiSpec, r: Reader, version: number): unknown {
  const errorCode = r.remaining >= 2 ? r.buf.readInt16BE(r.pos) : ErrorCode.NONE;
  return spec.decodeResponse(r, errorCode === ErrorCode.UNSUPPORTED_VERSION ? 0 : version);
}

/** A connected socket: TCP, or TLS with its handshake done. */
function openSocket(
  host: string,
  port: number,
  timeoutMs: number,
  ssl: ClientTls | undefined,
): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket =
      ssl === undefined ? netConnect({ host, port }) : tlsConnect(tlsConnectOptions(host, port, ssl));
    const fail = (error: ClientError) => {
      clearTimeout(timer);
      socket.destroy();
      reject(error);
    };
    const timer = setTimeout(() => {
      const what = ssl !== undefined && !socket.connecting ? "TLS handshake with" : "connection to";
      fail(
        new ClientError(ClientErrorCode.connectFailed, `no ${what} ${host}:${port} within ${timeoutMs} ms`),
      );
    }, timeoutMs);
    const onError = (error: Error) => {
      if (ssl !== undefined && isTlsAuthenticationError(error)) {
        const message = `TLS handshake with ${host}:${port} failed: ${tlsErrorText(error)}`;
        fail(new ClientError(ClientErrorCode.authentication, message, { cause: error }));
        return;
      }
      const message = `cannot connect to ${host}:${port}: ${error.message}`;
      fail(new ClientError(ClientErrorCode.connectFailed, message, { cause: error }));
    };
    socket.once("error", onError);
    socket.once(ssl === undefined ? "connect" : "secureConnect", () => {
      clearTimeout(timer);
      socket.removeListener("error", onError);
      resolve(socket);
    });
  });
}
