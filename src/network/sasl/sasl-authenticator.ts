import {
  ApiKey,
  apiSpec,
  decodeRequestFrameHeader,
  ErrorCode,
  encodeResponseFrameHeader,
  ProtocolDecodeError,
  Reader,
  type SaslAuthenticateRequest,
  SaslAuthenticationError,
  type SaslHandshakeRequest,
  type SaslServerMechanism,
  Writer,
} from "../../protocol/index.js";
import type { Connection, RequestHandler, ResponseChunks } from "../connection.js";

/** A SASL listener's mechanisms and how to authenticate with each. */
export interface ListenerSasl {
  /** sasl.enabled.mechanisms for the listener, in the order the broker announces them. */
  readonly enabledMechanisms: readonly string[];
  /** A fresh server side of an enabled mechanism, for one exchange. */
  createServer(mechanism: string): SaslServerMechanism;
  /** Kafka's sasl.server.max.receive.size: the largest request before authentication; default no lower limit. */
  readonly receiveBytesMax?: number;
}

export interface SaslEvents {
  onSuccess?(connection: Connection, mechanism: string, principal: string): void;
  /** `mechanism` is null before the client chose one; `reason` is for the broker's log only. */
  onFailure?(connection: Connection, mechanism: string | null, reason: string): void;
}

type State =
  /** ApiVersions and SaslHandshake are allowed. */
  | "handshake"
  /** SaslAuthenticate requests carry the tokens (after SaslHandshake v1). */
  | "authenticate"
  /** Raw size-prefixed tokens (after SaslHandshake v0, Kafka before 1.0). */
  | "raw-tokens"
  /** Refused: the answer is on its way and the connection closes after it; later frames are dropped. */
  | "failed";

/**
 * The request handler of a connection on a SASL listener until it authenticates, as Kafka's
 * SaslServerAuthenticator serves it: ApiVersions (answered by the broker), SaslHandshake, then the
 * mechanism's tokens in SaslAuthenticate requests (or raw after SaslHandshake v0). On success the
 * connection takes the user as its principal and the broker's handler for everything after, so an
 * authenticated connection pays nothing per request. Any failure answers once (Kafka's error code
 * and message) and closes the connection.
 *
 * Every step is synchronous: a frame that follows the successful SaslAuthenticate in the same
 * read already goes to the broker's handler.
 */
export class SaslAuthenticator implements RequestHandler {
  private state: State = "handshake";
  private server: SaslServerMechanism | null = null;
  private readonly sasl: ListenerSasl;
  private readonly next: RequestHandler;
  private readonly events: SaslEvents;

  constructor(sasl: ListenerSasl, next: RequestHandler, events: SaslEvents = {}) {
    this.sasl = sasl;
    this.next = next;
    this.events = events;
  }

  handle(frame: Buffer, connection: Connection): ResponseChunks | Promise<ResponseChunks> {
    switch (this.state) {
      case "failed":
        return null;
      case "raw-tokens":
        return this.rawToken(frame, connection);
      default:
        break;
    }
    if (frame.length < 8)
      throw new ProtocolDecodeError(`request of ${frame.length} bytes is shorter than a header`);
    const apiKey = frame.readInt16BE(0);
    if (this.state === "handshake") {
      if (apiKey === ApiKey.ApiVersions) return this.next.handle(frame, connection);
      if (apiKey === ApiKey.SaslHandshake) return this.handshake(frame, connection);
      return this.illegal(frame, connection, "during SASL handshake");
    }
    if (apiKey === ApiKey.SaslAuthenticate) return this.authenticate(frame, connection);
    return this.illegal(frame, connection, "during SASL authentication");
  }

  private handshake(frame: Buffer, connection: Connection): ResponseChunks {
    const { request, version, correlationId } = decode<SaslHandshakeRequest>(frame);
    const mechanisms = this.sasl.enabledMechanisms;
    if (!mechanisms.includes(request.mechanism)) {
      this.fail(connection, null, `unsupported SASL mechanism ${request.mechanism}`);
      return closing(
        connection,
        encode(ApiKey.SaslHandshake, version, correlationId, {
          errorCode: ErrorCode.UNSUPPORTED_SASL_MECHANISM,
          mechanisms,
        }),
      );
    }
    this.server = this.sasl.createServer(request.mechanism);
    this.state = version === 0 ? "raw-tokens" : "authenticate";
    return encode(ApiKey.SaslHandshake, version, correlationId, { errorCode: ErrorCode.NONE, mechanisms });
  }

  private authenticate(frame: Buffer, connection: Connection): ResponseChunks {
    const { request, version, correlationId } = decode<SaslAuthenticateRequest>(frame);
    const server = this.server as SaslServerMechanism;
    let token: Buffer;
    try {
      token = server.evaluate(request.authBytes);
    } catch (error) {
      const message = failureMessage(error, server.mechanism);
      this.fail(connection, server.mechanism, describe(error));
      return closing(
        connection,
        encode(ApiKey.SaslAuthenticate, version, correlationId, {
          errorCode: ErrorCode.SASL_AUTHENTICATION_FAILED,
          errorMessage: message,
          authBytes: Buffer.alloc(0),
        }),
      );
    }
    // connections.max.reauth.ms is not supported: a session never expires (lifetime 0).
    const response = encode(ApiKey.SaslAuthenticate, version, correlationId, {
      errorCode: ErrorCode.NONE,
      errorMessage: null,
      authBytes: token,
      sessionLifetimeMs: 0n,
    });
    if (server.isComplete) this.complete(connection, server);
    return response;
  }

  private rawToken(frame: Buffer, connection: Connection): ResponseChunks {
    const server = this.server as SaslServerMechanism;
    let token: Buffer;
    try {
      token = server.evaluate(frame);
    } catch (error) {
      // Without Kafka headers there is no way to say why: Kafka closes the connection.
      this.fail(connection, server.mechanism, describe(error));
      connection.close();
      return null;
    }
    if (server.isComplete) this.complete(connection, server);
    return [token];
  }

  private complete(connection: Connection, server: SaslServerMechanism): void {
    this.server = null;
    connection.authenticated(server.username as string, this.next);
    this.events.onSuccess?.(connection, server.mechanism, server.username as string);
  }

  /** Kafka's IllegalSaslStateException: the request's error response, if it has one, then the close. */
  private illegal(frame: Buffer, connection: Connection, when: string): ResponseChunks {
    const apiKey = frame.readInt16BE(0);
    const name = apiSpec(apiKey)?.name ?? `api key ${apiKey}`;
    this.fail(connection, this.server?.mechanism ?? null, `Unexpected Kafka request of type ${name} ${when}`);
    let response: ResponseChunks = null;
    try {
      response = this.next.errorResponse?.(frame, connection, ErrorCode.ILLEGAL_SASL_STATE) ?? null;
    } catch {
      response = null;
    }
    if (response === null) {
      connection.close();
      return null;
    }
    return closing(connection, response);
  }

  private fail(connection: Connection, mechanism: string | null, reason: string): void {
    this.state = "failed";
    this.server = null;
    this.events.onFailure?.(connection, mechanism, reason);
  }
}

/** Kafka tells the client a SaslAuthenticationException's message, and nothing of other failures. */
function failureMessage(error: unknown, mechanism: string): string {
  if (error instanceof SaslAuthenticationError) return error.message;
  return `Authentication failed during authentication due to invalid credentials with SASL mechanism ${mechanism}`;
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function decode<T>(frame: Buffer): { request: T; version: number; correlationId: number } {
  const apiKey = frame.readInt16BE(0);
  const version = frame.readInt16BE(2);
  const spec = apiSpec(apiKey);
  if (spec === undefined || version < spec.minVersion || version > spec.maxVersion) {
    // Kafka cannot answer a version it does not know either: the connection closes.
    throw new ProtocolDecodeError(`${spec?.name ?? apiKey} v${version} is not a version Kafka defines`);
  }
  const r = new Reader(frame);
  const header = decodeRequestFrameHeader(r);
  return { request: spec.decodeRequest(r, version) as T, version, correlationId: header.correlationId };
}

function encode(apiKey: number, version: number, correlationId: number, body: object): Buffer[] {
  const w = new Writer(128);
  encodeResponseFrameHeader(w, apiKey, version, correlationId);
  (apiSpec(apiKey) as NonNullable<ReturnType<typeof apiSpec>>).encodeResponse(w, body, version, true);
  return w.toChunks();
}

/** The response, and the connection closed once the socket has taken it. */
function closing(connection: Connection, chunks: ResponseChunks): ResponseChunks {
  if (chunks === null) return null;
  const out = [...chunks] as Buffer[] & { onWritten?: () => void };
  out.onWritten = () => connection.close();
  return out;
}
