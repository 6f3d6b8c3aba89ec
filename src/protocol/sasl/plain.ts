import { createHash, timingSafeEqual } from "node:crypto";

/** SASL/PLAIN (RFC 4616) as Kafka's PlainSaslServer reads it. */

/** A failure whose message the client is told (Kafka's SaslAuthenticationException). */
export class SaslAuthenticationError extends Error {
  override readonly name = "SaslAuthenticationError";
}

export const INVALID_CREDENTIALS_MESSAGE = "Authentication failed: Invalid username or password";

export interface PlainCredentials {
  readonly authorizationId: string;
  readonly username: string;
  readonly password: string;
}

/** Splits the client's message `[authzid] NUL authcid NUL passwd`, with Kafka's messages for the malformed. */
export function parsePlainToken(token: Uint8Array): PlainCredentials {
  const parts = Buffer.from(token).toString("utf8").split("\u0000");
  if (parts.length !== 3) {
    throw new SaslAuthenticationError(`Invalid SASL/PLAIN response: expected 3 tokens, got ${parts.length}`);
  }
  const [authorizationId, username, password] = parts as [string, string, string];
  if (username === "") throw new SaslAuthenticationError("Authentication failed: username not specified");
  if (password === "") throw new SaslAuthenticationError("Authentication failed: password not specified");
  if (authorizationId !== "" && authorizationId !== username) {
    throw new SaslAuthenticationError(
      "Authentication failed: Client requested an authorization id that is different from username",
    );
  }
  return { authorizationId, username, password };
}

export function plainToken(username: string, password: string): Buffer {
  return Buffer.from(`\u0000${username}\u0000${password}`, "utf8");
}

/** A mechanism's server side for one exchange (PLAIN: one message; SCRAM: two). */
export interface SaslServerMechanism {
  readonly mechanism: string;
  /** The answer to the client's next message; throws SaslAuthenticationError or another error. */
  evaluate(response: Uint8Array): Buffer;
  readonly isComplete: boolean;
  /** The authenticated user, once complete. */
  readonly username: string | null;
}

/**
 * PLAIN's server: the password compared with the one the broker's JAAS configuration gives the
 * user (`user_<name>`), in constant time so that a timing does not tell how much of it matched.
 */
export class PlainServer implements SaslServerMechanism {
  readonly mechanism = "PLAIN";
  private user: string | null = null;
  private readonly passwordOf: (username: string) => string | null;

  constructor(passwordOf: (username: string) => string | null) {
    this.passwordOf = passwordOf;
  }

  get isComplete(): boolean {
    return this.user !== null;
  }

  get username(): string | null {
    return this.user;
  }

  evaluate(response: Uint8Array): Buffer {
    if (this.user !== null)
      throw new SaslAuthenticationError("Unexpected challenge in Sasl server state COMPLETE");
    const credentials = parsePlainToken(response);
    const expected = this.passwordOf(credentials.username);
    if (expected === null || !sameSecret(expected, credentials.password)) {
      throw new SaslAuthenticationError(INVALID_CREDENTIALS_MESSAGE);
    }
    this.user = credentials.username;
    return Buffer.alloc(0);
  }
}

function sameSecret(a: string, b: string): boolean {
  const x = createHash("sha256").update(a, "utf8").digest();
  const y = createHash("sha256").update(b, "utf8").digest();
  return timingSafeEqual(x, y);
}
