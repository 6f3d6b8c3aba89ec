import type { Socket } from "node:net";
import { createServer, type SecureContextOptions, type Server, type TLSSocket } from "node:tls";
import { tlsErrorText } from "../base/index.js";

/** Kafka's `ssl.client.auth`: whether a listener asks clients for a certificate, and insists. */
export type ClientAuth = "none" | "requested" | "required";

/** What an SSL listener needs: Node's secure context (key, chain, trusted CAs, protocols, ciphers) and client auth. */
export interface ListenerTls {
  readonly context: SecureContextOptions;
  readonly clientAuth: ClientAuth;
}

/**
 * A TLS connection's handshake did not finish in time: a client that opened a connection and
 * sends nothing (or too little) would otherwise hold it, and its admission, until
 * connections.max.idle.ms. Kafka has no such setting (its idle reaper covers handshakes); Node's
 * own TLS server waits 120 s.
 */
export const TLS_HANDSHAKE_TIMEOUT_MS = 10_000;

/** Why a handshake failed; the label of `brook_network_tls_handshake_failures_total`. */
export const TlsFailureReason = {
  /** The bytes were not TLS: a plaintext Kafka client (or HTTP) on an SSL listener. */
  notTls: "not_tls",
  /** ssl.client.auth=required and the client sent no certificate. */
  noClientCertificate: "no_client_certificate",
  /** The client's certificate does not verify against the listener's trust store. */
  clientCertificateRejected: "client_certificate_rejected",
  /** The client ended the handshake with an alert: mostly, it does not trust the broker's certificate. */
  clientAlert: "client_alert",
  /** No protocol version, cipher or signature algorithm both sides accept. */
  noCommonParameters: "no_common_parameters",
  timeout: "timeout",
  /** The client closed the connection during the handshake without saying why. */
  disconnected: "disconnected",
  other: "other",
} as const;
export type TlsFailureReason = (typeof TlsFailureReason)[keyof typeof TlsFailureReason];

export interface TlsAcceptorEvents {
  /** The handshake is done and the client is accepted; `principal` is its certificate's subject, or null. */
  onSecure(socket: TLSSocket, principal: string | null): void;
  onFailure(reason: TlsFailureReason, detail: string, remoteAddress: string): void;
}

const NOT_TLS = new Set([
  "ERR_SSL_WRONG_VERSION_NUMBER",
  "ERR_SSL_HTTP_REQUEST",
  "ERR_SSL_HTTPS_PROXY_REQUEST",
  "ERR_SSL_PACKET_LENGTH_TOO_LONG",
  "ERR_SSL_UNKNOWN_PROTOCOL",
  "ERR_SSL_RECORD_LENGTH_MISMATCH",
  "ERR_SSL_UNEXPECTED_MESSAGE",
]);
const NO_COMMON_PARAMETERS = new Set([
  "ERR_SSL_NO_SHARED_CIPHER",
  "ERR_SSL_UNSUPPORTED_PROTOCOL",
  "ERR_SSL_NO_PROTOCOLS_AVAILABLE",
  "ERR_SSL_VERSION_TOO_LOW",
  "ERR_SSL_NO_SUITABLE_SIGNATURE_ALGORITHM",
  "ERR_SSL_NO_SHARED_SIGNATURE_ALGORITHMS",
  "ERR_SSL_NO_SHARED_GROUPS",
]);

/**
 * The TLS side of one SSL listener. Accepted TCP sockets (already admitted by the connection
 * quotas) are handed to a tls.Server that never listens itself: Node's server-side TLS does the
 * handshake, its timeout and the verification of client certificates, and `ssl.client.auth`
 * maps onto its requestCert / rejectUnauthorized. Failures are classified for the log and metrics.
 */
export class TlsAcceptor {
  private readonly server: Server;
  private readonly clientAuth: ClientAuth;
  private readonly events: TlsAcceptorEvents;

  constructor(tls: ListenerTls, events: TlsAcceptorEvents, handshakeTimeoutMs = TLS_HANDSHAKE_TIMEOUT_MS) {
    this.clientAuth = tls.clientAuth;
    this.events = events;
    this.server = createServer({
      ...tls.context,
      requestCert: tls.clientAuth !== "none",
      // "requested" takes a client without a certificate, and refuses one whose certificate does
      // not verify (Java's wantClientAuth): that check is onSecureConnection's.
      rejectUnauthorized: tls.clientAuth === "required",
      handshakeTimeout: handshakeTimeoutMs,
    });
    this.server.on("secureConnection", (socket: TLSSocket) => this.onSecureConnection(socket));
    this.server.on("tlsClientError", (error: Error, socket: TLSSocket) => this.onClientError(error, socket));
  }

  /** Starts the handshake on an accepted socket. */
  accept(socket: Socket): void {
    this.server.emit("connection", socket);
  }

  private onSecureConnection(socket: TLSSocket): void {
    const certificate = this.clientAuth === "none" ? undefined : socket.getPeerX509Certificate();
    if (certificate !== undefined && !socket.authorized) {
      this.events.onFailure(
        TlsFailureReason.clientCertificateRejected,
        `the client's certificate (${certificate.subject.split("\n").join(", ")}) does not verify: ${socket.authorizationError}`,
        remoteOf(socket),
      );
      socket.destroy();
      return;
    }
    this.events.onSecure(socket, certificate === undefined ? null : principalOf(certificate.subject));
  }

  private onClientError(error: Error, socket: TLSSocket): void {
    const remote = remoteOf(socket);
    // Node leaves a timed-out handshake's socket open.
    socket.destroy();
    const { reason, detail } = classify(error, socket);
    this.events.onFailure(reason, detail, remote);
  }
}

/**
 * The client's address: a TLSSocket that failed its handshake was destroyed before the failure is
 * reported, and forgets its peer; the TCP socket it wraps (`_parent`, Node's name for it since
 * TLS existed) remembers it, as the socket server read it on accept. Only a log line depends on it.
 */
function remoteOf(socket: TLSSocket): string {
  const tcp = (socket as unknown as { _parent?: { remoteAddress?: string; remotePort?: number } })._parent;
  const address = socket.remoteAddress ?? tcp?.remoteAddress;
  const port = socket.remotePort ?? tcp?.remotePort;
  return address === undefined ? "an unknown address" : `${address}:${port ?? 0}`;
}

function classify(error: Error, socket: TLSSocket): { reason: TlsFailureReason; detail: string } {
  const code = (error as NodeJS.ErrnoException).code ?? "";
  const text = tlsErrorText(error);
  if (code === "ERR_TLS_HANDSHAKE_TIMEOUT") {
    return { reason: TlsFailureReason.timeout, detail: "no handshake within the time allowed" };
  }
  if (code === "ECONNRESET" || code === "EPIPE") {
    // Node's server drops a client whose certificate failed verification (ssl.client.auth=required)
    // and reports it as a hang-up; the verification's result stays on the socket.
    const rejected = socket.authorizationError;
    if (rejected !== undefined && rejected !== null) {
      return {
        reason: TlsFailureReason.clientCertificateRejected,
        detail: `the client's certificate does not verify: ${String(rejected)}`,
      };
    }
    return {
      reason: TlsFailureReason.disconnected,
      detail: "the client closed the connection during the handshake",
    };
  }
  if (code === "ERR_SSL_PEER_DID_NOT_RETURN_A_CERTIFICATE") {
    return {
      reason: TlsFailureReason.noClientCertificate,
      detail: "the client sent no certificate, and ssl.client.auth=required",
    };
  }
  if (NOT_TLS.has(code)) {
    return {
      reason: TlsFailureReason.notTls,
      detail: `not TLS (a plaintext client on an SSL listener?): ${text}`,
    };
  }
  if (code.includes("_ALERT_")) {
    return { reason: TlsFailureReason.clientAlert, detail: `the client ended the handshake: ${text}` };
  }
  if (NO_COMMON_PARAMETERS.has(code)) {
    return {
      reason: TlsFailureReason.noCommonParameters,
      detail: `nothing in common with the client: ${text}`,
    };
  }
  return { reason: TlsFailureReason.other, detail: code === "" ? text : `${text} (${code})` };
}

/**
 * The principal Kafka's DefaultKafkaPrincipalBuilder gives a client certificate: its subject in
 * RFC 2253 form (X500Principal.getName(): most specific part first, comma-separated), e.g.
 * `CN=client,O=Acme\, Inc.,C=US`. Node lists the parts the other way round, one per line, with
 * RFC 2253's escapes already applied.
 */
export function principalOf(subject: string): string {
  return subject.split("\n").reverse().join(",");
}
