import { randomBytes } from "node:crypto";
import {
  type AlterUserScramCredentialsResponse,
  ApiKey,
  type DescribeUserScramCredentialsResponse,
  ErrorCode,
  KafkaError,
  type ScramMechanism,
  saltedPassword,
  scramMechanismOfType,
  scramMechanismType,
} from "../protocol/index.js";
import { errorMessageOf } from "./admin-results.js";
import {
  type AdminAlterOptions,
  type AdminCallOptions,
  type AdminTransport,
  shouldRetry,
} from "./admin-transport.js";

/* The admin client's SCRAM user operations (Kafka's Admin describeUserScramCredentials, alterUserScramCredentials). */

export interface ScramCredentialInfo {
  readonly mechanism: ScramMechanism;
  readonly iterations: number;
}

/** One user's answer: its credentials, or Kafka's error for it. */
export interface UserScramCredentialsDescription {
  readonly user: string;
  readonly credentials: readonly ScramCredentialInfo[];
  readonly error: KafkaError | null;
}

export type UserScramCredentialAlteration =
  | {
      readonly user: string;
      readonly mechanism: ScramMechanism;
      readonly iterations: number;
      readonly password: string;
    }
  | { readonly user: string; readonly mechanism: ScramMechanism; readonly delete: true };

export interface UserScramCredentialAlterationResult {
  readonly user: string;
  readonly error: KafkaError | null;
}

/** Users null: every user with a credential. */
export async function describeUserScramCredentials(
  t: AdminTransport,
  users: readonly string[] | null,
  options: AdminCallOptions = {},
): Promise<UserScramCredentialsDescription[]> {
  const deadline = t.deadline(options);
  for (;;) {
    const response = await t.withBroker(deadline, null, (connection, timeoutMs) =>
      connection.request<DescribeUserScramCredentialsResponse>(
        ApiKey.DescribeUserScramCredentials,
        connection.negotiatedVersion(ApiKey.DescribeUserScramCredentials, 0, 0),
        { users: users === null ? null : users.map((name) => ({ name })) },
        { timeoutMs },
      ),
    );
    if (response.errorCode === ErrorCode.NONE) {
      return response.results.map((r) => ({
        user: r.user,
        credentials: r.credentialInfos.flatMap((c) => {
          const mechanism = scramMechanismOfType(c.mechanism);
          return mechanism === null ? [] : [{ mechanism, iterations: c.iterations }];
        }),
        error:
          r.errorCode === ErrorCode.NONE
            ? null
            : new KafkaError(r.errorCode, errorMessageOf(r.errorCode, r.errorMessage) ?? undefined),
      }));
    }
    if (!shouldRetry(response.errorCode) || deadline.expired()) {
      throw new KafkaError(
        response.errorCode,
        errorMessageOf(response.errorCode, response.errorMessage) ?? undefined,
      );
    }
    await deadline.sleep(t.retryBackoffMs);
  }
}

/**
 * Upserts salt and hash the password here, as Kafka's Admin does: a random salt, then the salted
 * password with the mechanism's PBKDF2; the broker never sees the password.
 */
export async function alterUserScramCredentials(
  t: AdminTransport,
  alterations: readonly UserScramCredentialAlteration[],
  options: AdminAlterOptions = {},
): Promise<UserScramCredentialAlterationResult[]> {
  const deadline = t.deadline(options);
  const deletions = alterations.flatMap((a) =>
    "delete" in a ? [{ name: a.user, mechanism: scramMechanismType(a.mechanism) }] : [],
  );
  const upsertions = alterations.flatMap((a) => {
    if ("delete" in a) return [];
    const salt = randomBytes(32);
    return [
      {
        name: a.user,
        mechanism: scramMechanismType(a.mechanism),
        iterations: a.iterations,
        salt,
        saltedPassword: saltedPassword(a.mechanism, a.password, salt, a.iterations),
      },
    ];
  });
  const response = await t.withBroker(deadline, null, (connection, timeoutMs) =>
    connection.request<AlterUserScramCredentialsResponse>(
      ApiKey.AlterUserScramCredentials,
      connection.negotiatedVersion(ApiKey.AlterUserScramCredentials, 0, 0),
      { deletions, upsertions },
      { timeoutMs },
    ),
  );
  return response.results.map((r) => ({
    user: r.user,
    error:
      r.errorCode === ErrorCode.NONE
        ? null
        : new KafkaError(r.errorCode, errorMessageOf(r.errorCode, r.errorMessage) ?? undefined),
  }));
}
