import {
  ApiKey,
  ErrorCode,
  errorName,
  isScramMechanism,
  plainToken,
  type SaslAuthenticateResponse,
  type SaslHandshakeResponse,
  ScramClient,
} from "../protocol/index.js";
import { ClientError, ClientErrorCode } from "./client-error.js";

/** SASL for a connection (Kafka's security.protocol SASL_PLAINTEXT / SASL_SSL, sasl.mechanism, sasl.jaas.config). */
export interface ClientSasl {
  readonly mechanism: "PLAIN" | "SCRAM-SHA-256" | "SCRAM-SHA-512";
  readonly username: string;
  readonly password: string;
}

export const CLIENT_SASL_MECHANISMS: readonly ClientSasl["mechanism"][] = [
  "PLAIN",
  "SCRAM-SHA-256",
  "SCRAM-SHA-512",
];

/** The part of a connection the exchange needs: requests with a timeout, and the negotiated versions. */
export interface SaslExchange {
  request<Res>(
    apiKey: number,
    apiVersion: number,
    body: object,
    options?: { timeoutMs?: number },
  ): Promise<Res>;
  negotiatedVersion(apiKey: number, wantedMax: number, wantedMin?: number): number;
}

/**
 * Authenticates a connection as Kafka's clients do after ApiVersions: SaslHandshake v1, then the
 * mechanism's tokens in SaslAuthenticate requests. A refusal is BRK_ERR_CLIENT_AUTHENTICATION
 * with the broker's message: retrying with the same credentials cannot help.
 */
export async function saslAuthenticate(
  connection: SaslExchange,
  sasl: ClientSasl,
  where: string,
  timeoutMs: () => number,
): Promise<void> {
  const refused = (message: string): ClientError =>
    new ClientError(ClientErrorCode.authentication, `SASL authentication with ${where} failed: ${message}`);
  const handshakeVersion = connection.negotiatedVersion(ApiKey.SaslHandshake, 1, 1);
  const handshake = await connection.request<SaslHandshakeResponse>(
    ApiKey.SaslHandshake,
    handshakeVersion,
    { mechanism: sasl.mechanism },
    { timeoutMs: timeoutMs() },
  );
  if (handshake.errorCode === ErrorCode.UNSUPPORTED_SASL_MECHANISM) {
    throw refused(
      `the broker does not accept mechanism ${sasl.mechanism} (it accepts ${handshake.mechanisms.join(", ") || "none"})`,
    );
  }
  if (handshake.errorCode !== ErrorCode.NONE) throw refused(errorName(handshake.errorCode));
  const version = connection.negotiatedVersion(ApiKey.SaslAuthenticate, 2, 0);
  const exchange = async (token: Buffer): Promise<Buffer> => {
    const answer = await connection.request<SaslAuthenticateResponse>(
      ApiKey.SaslAuthenticate,
      version,
      { authBytes: token },
      { timeoutMs: timeoutMs() },
    );
    if (answer.errorCode !== ErrorCode.NONE) {
      throw refused(answer.errorMessage ?? errorName(answer.errorCode));
    }
    return answer.authBytes;
  };
  if (sasl.mechanism === "PLAIN") {
    await exchange(plainToken(sasl.username, sasl.password));
    return;
  }
  if (!isScramMechanism(sasl.mechanism)) throw refused(`mechanism ${sasl.mechanism} is not supported`);
  const scram = new ScramClient(sasl.mechanism, sasl.username, sasl.password);
  const serverFirst = await exchange(scram.firstMessage());
  let final: Buffer;
  try {
    final = scram.finalMessage(serverFirst);
  } catch (error) {
    throw refused((error as Error).message);
  }
  const serverFinal = await exchange(final);
  try {
    scram.verifyServerFinal(serverFinal);
  } catch (error) {
    throw refused((error as Error).message);
  }
}
