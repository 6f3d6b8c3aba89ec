import { createHash, createHmac, pbkdf2Sync, randomBytes, timingSafeEqual } from "node:crypto";
import { SaslAuthenticationError, type SaslServerMechanism } from "./plain.js";

/** SCRAM (RFC 5802, RFC 7677) as Kafka's ScramSaslServer, ScramSaslClient and ScramFormatter do it. */

export type ScramMechanism = "SCRAM-SHA-256" | "SCRAM-SHA-512";
export const SCRAM_MECHANISMS: readonly ScramMechanism[] = ["SCRAM-SHA-256", "SCRAM-SHA-512"];
/** Kafka's ScramMechanism.minIterations, for both. */
export const SCRAM_ITERATIONS_MIN = 4096;
/** Kafka's ScramMechanism.maxIterations (AlterUserScramCredentials refuses more). */
export const SCRAM_ITERATIONS_MAX = 16384;

interface Hash {
  readonly name: "sha256" | "sha512";
  readonly bytes: number;
}

const HASHES: Record<ScramMechanism, Hash> = {
  "SCRAM-SHA-256": { name: "sha256", bytes: 32 },
  "SCRAM-SHA-512": { name: "sha512", bytes: 64 },
};

/** Kafka's ScramMechanism type codes, what UserScramCredentialRecord and the admin APIs carry. */
export function scramMechanismType(mechanism: ScramMechanism): number {
  return mechanism === "SCRAM-SHA-256" ? 1 : 2;
}

export function scramMechanismOfType(type: number): ScramMechanism | null {
  return type === 1 ? "SCRAM-SHA-256" : type === 2 ? "SCRAM-SHA-512" : null;
}

export function isScramMechanism(name: string): name is ScramMechanism {
  return name === "SCRAM-SHA-256" || name === "SCRAM-SHA-512";
}

/** What a broker keeps of a password (never the password). */
export interface ScramCredential {
  readonly salt: Buffer;
  readonly storedKey: Buffer;
  readonly serverKey: Buffer;
  readonly iterations: number;
}

/** Hi() of RFC 5802: PBKDF2 with the mechanism's HMAC. */
export function saltedPassword(
  mechanism: ScramMechanism,
  password: string,
  salt: Uint8Array,
  iterations: number,
): Buffer {
  const hash = HASHES[mechanism];
  return pbkdf2Sync(Buffer.from(password, "utf8"), salt, iterations, hash.bytes, hash.name);
}

function hmac(mechanism: ScramMechanism, key: Uint8Array, data: string | Uint8Array): Buffer {
  return createHmac(HASHES[mechanism].name, key).update(data).digest();
}

function digest(mechanism: ScramMechanism, data: Uint8Array): Buffer {
  return createHash(HASHES[mechanism].name).update(data).digest();
}

function xor(a: Uint8Array, b: Uint8Array): Buffer {
  const out = Buffer.alloc(a.length);
  for (let i = 0; i < a.length; i++) out[i] = (a[i] as number) ^ (b[i] as number);
  return out;
}

/** The credential a password gives, with a given salt (the admin tool's salt is random). */
export function scramCredential(
  mechanism: ScramMechanism,
  password: string,
  salt: Uint8Array,
  iterations: number,
): ScramCredential {
  const salted = saltedPassword(mechanism, password, salt, iterations);
  const clientKey = hmac(mechanism, salted, "Client Key");
  return {
    salt: Buffer.from(salt),
    storedKey: digest(mechanism, clientKey),
    serverKey: hmac(mechanism, salted, "Server Key"),
    iterations,
  };
}

/**
 * The credential from a salted password (what AlterUserScramCredentials carries: the client
 * salts and hashes, so the password itself never leaves it).
 */
export function scramCredentialFromSalted(
  mechanism: ScramMechanism,
  salted: Uint8Array,
  salt: Uint8Array,
  iterations: number,
): ScramCredential {
  return {
    salt: Buffer.from(salt),
    storedKey: digest(mechanism, hmac(mechanism, salted, "Client Key")),
    serverKey: hmac(mechanism, salted, "Server Key"),
    iterations,
  };
}

/** Kafka's ScramFormatter.secureRandomString: what nonces are made of. */
export function scramNonce(): string {
  return randomBytes(24).toString("base64").replace(/[+/=]/g, "");
}

/** RFC 5802's saslname: ',' and '=' escaped. */
export function saslName(username: string): string {
  return username.replace(/=/g, "=3D").replace(/,/g, "=2C");
}

function usernameOf(name: string): string {
  if (/=(?!2C|3D)/.test(name)) throw new SaslAuthenticationError(`Invalid username: ${name}`);
  return name.replace(/=2C/g, ",").replace(/=3D/g, "=");
}

function attributes(message: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const part of message.split(",")) {
    const eq = part.indexOf("=");
    if (eq !== 1) throw new SaslAuthenticationError(`Invalid SCRAM message: ${message}`);
    out.set(part.slice(0, 1), part.slice(2));
  }
  return out;
}

/** A failed SCRAM exchange that Kafka reports to the client only by its mechanism (a SaslException). */
export class ScramCredentialsError extends Error {
  override readonly name = "ScramCredentialsError";
}

export interface ClientFirst {
  readonly authorizationId: string;
  readonly username: string;
  readonly nonce: string;
  /** The message without its GS2 header ("n=...,r=..."), part of the AuthMessage. */
  readonly bare: string;
}

/** `n,[a=authzid],n=name,r=nonce[,extensions]`: channel binding is never offered (`n`), as Kafka's clients. */
export function parseClientFirst(bytes: Uint8Array): ClientFirst {
  const text = Buffer.from(bytes).toString("utf8");
  const match = /^n,(a=([^,]*))?,(n=([^,]*),r=([^,]*)(,.*)?)$/.exec(text);
  if (match === null) throw new ScramCredentialsError("Invalid SCRAM client first message format");
  return {
    authorizationId: match[2] ?? "",
    username: usernameOf(match[4] ?? ""),
    nonce: match[5] ?? "",
    bare: match[3] ?? "",
  };
}

/**
 * The server side of one SCRAM exchange: two client messages, two answers. `lookup` gives the
 * user's credential for the mechanism, or null. Failures throw SaslAuthenticationError (the
 * client is told its message) or ScramCredentialsError (told only that authentication failed).
 */
export class ScramServer implements SaslServerMechanism {
  private state: "first" | "final" | "complete" | "failed" = "first";
  private clientFirst: ClientFirst | null = null;
  private serverFirst = "";
  private nonce = "";
  private credential: ScramCredential | null = null;
  private user: string | null = null;
  readonly mechanism: ScramMechanism;
  private readonly lookup: (username: string) => ScramCredential | null;
  private readonly serverNonce: () => string;

  constructor(
    mechanism: ScramMechanism,
    lookup: (username: string) => ScramCredential | null,
    serverNonce: () => string = scramNonce,
  ) {
    this.mechanism = mechanism;
    this.lookup = lookup;
    this.serverNonce = serverNonce;
  }

  get isComplete(): boolean {
    return this.state === "complete";
  }

  /** The authenticated user, once complete. */
  get username(): string | null {
    return this.state === "complete" ? this.user : null;
  }

  evaluate(response: Uint8Array): Buffer {
    try {
      if (this.state === "first") return this.first(response);
      if (this.state === "final") return this.final(response);
      throw new SaslAuthenticationError(
        `Unexpected challenge in Sasl server state ${this.state.toUpperCase()}`,
      );
    } catch (error) {
      this.state = "failed";
      this.credential = null;
      throw error;
    }
  }

  private first(response: Uint8Array): Buffer {
    const first = parseClientFirst(response);
    const credential = this.lookup(first.username);
    if (credential === null)
      throw new ScramCredentialsError("Authentication failed: Invalid user credentials");
    if (first.authorizationId !== "" && first.authorizationId !== first.username) {
      throw new SaslAuthenticationError(
        "Authentication failed: Client requested an authorization id that is different from username",
      );
    }
    if (credential.iterations < SCRAM_ITERATIONS_MIN) {
      throw new ScramCredentialsError(
        `Iterations ${credential.iterations} is less than the minimum ${SCRAM_ITERATIONS_MIN} for ${this.mechanism}`,
      );
    }
    this.clientFirst = first;
    this.credential = credential;
    this.user = first.username;
    this.nonce = first.nonce + this.serverNonce();
    this.serverFirst = `r=${this.nonce},s=${credential.salt.toString("base64")},i=${credential.iterations}`;
    this.state = "final";
    return Buffer.from(this.serverFirst, "utf8");
  }

  private final(response: Uint8Array): Buffer {
    const text = Buffer.from(response).toString("utf8");
    const proofAt = text.lastIndexOf(",p=");
    if (proofAt < 0) throw new ScramCredentialsError("Invalid SCRAM client final message format");
    const withoutProof = text.slice(0, proofAt);
    const attrs = attributes(withoutProof);
    // Kafka checks only that the nonce ends with the server's: librdkafka (2.0) sends its own
    // nonce again in front of the combined one, and Kafka's brokers accept it.
    if (!(attrs.get("r") ?? "").endsWith(this.nonce)) {
      throw new ScramCredentialsError("Invalid client nonce in the final client message.");
    }
    const credential = this.credential as ScramCredential;
    const authMessage = `${(this.clientFirst as ClientFirst).bare},${this.serverFirst},${withoutProof}`;
    const proof = Buffer.from(text.slice(proofAt + 3), "base64");
    const clientSignature = hmac(this.mechanism, credential.storedKey, authMessage);
    if (proof.length !== clientSignature.length)
      throw new ScramCredentialsError("Invalid client credentials");
    const clientKey = xor(proof, clientSignature);
    if (!timingSafeEqual(digest(this.mechanism, clientKey), credential.storedKey)) {
      throw new ScramCredentialsError("Invalid client credentials");
    }
    const serverSignature = hmac(this.mechanism, credential.serverKey, authMessage);
    this.state = "complete";
    this.credential = null;
    return Buffer.from(`v=${serverSignature.toString("base64")}`, "utf8");
  }
}

/** The client side of one SCRAM exchange (Brook's own clients). */
export class ScramClient {
  private readonly clientNonce: string;
  private clientFirstBare = "";
  private serverSignature: Buffer | null = null;
  readonly mechanism: ScramMechanism;
  private readonly username: string;
  private readonly password: string;

  constructor(
    mechanism: ScramMechanism,
    username: string,
    password: string,
    clientNonce: string = scramNonce(),
  ) {
    this.mechanism = mechanism;
    this.username = username;
    this.password = password;
    this.clientNonce = clientNonce;
  }

  firstMessage(): Buffer {
    this.clientFirstBare = `n=${saslName(this.username)},r=${this.clientNonce}`;
    return Buffer.from(`n,,${this.clientFirstBare}`, "utf8");
  }

  /** The answer to the server's first message: the proof. */
  finalMessage(serverFirstBytes: Uint8Array): Buffer {
    const serverFirst = Buffer.from(serverFirstBytes).toString("utf8");
    const attrs = attributes(serverFirst);
    const nonce = attrs.get("r") ?? "";
    const salt = Buffer.from(attrs.get("s") ?? "", "base64");
    const iterations = Number(attrs.get("i"));
    if (!nonce.startsWith(this.clientNonce) || nonce.length === this.clientNonce.length) {
      throw new SaslAuthenticationError("Invalid server nonce: does not start with client nonce");
    }
    if (!Number.isInteger(iterations) || iterations < SCRAM_ITERATIONS_MIN) {
      throw new SaslAuthenticationError(
        `Requested iterations ${attrs.get("i")} is less than the minimum ${SCRAM_ITERATIONS_MIN} for ${this.mechanism}`,
      );
    }
    const salted = saltedPassword(this.mechanism, this.password, salt, iterations);
    const clientKey = hmac(this.mechanism, salted, "Client Key");
    const storedKey = digest(this.mechanism, clientKey);
    const withoutProof = `c=biws,r=${nonce}`;
    const authMessage = `${this.clientFirstBare},${serverFirst},${withoutProof}`;
    const proof = xor(clientKey, hmac(this.mechanism, storedKey, authMessage));
    this.serverSignature = hmac(this.mechanism, hmac(this.mechanism, salted, "Server Key"), authMessage);
    return Buffer.from(`${withoutProof},p=${proof.toString("base64")}`, "utf8");
  }

  /** Checks the server's final message: a server that does not know the password is refused. */
  verifyServerFinal(serverFinalBytes: Uint8Array): void {
    const attrs = attributes(Buffer.from(serverFinalBytes).toString("utf8"));
    const error = attrs.get("e");
    if (error !== undefined)
      throw new SaslAuthenticationError(
        `Sasl authentication using ${this.mechanism} failed with error: ${error}`,
      );
    const signature = Buffer.from(attrs.get("v") ?? "", "base64");
    const expected = this.serverSignature;
    if (expected === null || signature.length !== expected.length || !timingSafeEqual(signature, expected)) {
      throw new SaslAuthenticationError("Invalid server signature in server final message");
    }
  }
}
