import {
  ErrorCode,
  SCRAM_ITERATIONS_MAX,
  SCRAM_ITERATIONS_MIN,
  scramCredentialFromSalted,
  scramMechanismOfType,
} from "../../protocol/index.js";
import type { ScramCredentials } from "../metadata-image.js";
import type { MetadataRecord } from "../metadata-records.js";

export interface ScramDeletion {
  readonly name: string;
  readonly mechanism: number;
}

export interface ScramUpsertion {
  readonly name: string;
  readonly mechanism: number;
  readonly iterations: number;
  readonly salt: Uint8Array;
  readonly saltedPassword: Uint8Array;
}

export interface ScramAlterationResult {
  readonly user: string;
  readonly errorCode: number;
  readonly errorMessage: string | null;
}

/**
 * AlterUserScramCredentials as the controller decides it (Kafka's ScramControlManager): one
 * alteration per user and request (a second one fails both with DUPLICATE_RESOURCE), each checked
 * alone, the salted passwords turned into stored and server keys so that no broker ever holds a
 * password. Pure: the image's credentials in, records and one result per user out, successes first.
 */
export function alterScramCredentials(
  credentials: ScramCredentials,
  deletions: readonly ScramDeletion[],
  upsertions: readonly ScramUpsertion[],
): { records: MetadataRecord[]; results: ScramAlterationResult[] } {
  const toDelete = new Map<string, ScramDeletion>();
  const toUpsert = new Map<string, ScramUpsertion>();
  const errors = new Map<string, { errorCode: number; errorMessage: string }>();
  const duplicate = {
    errorCode: ErrorCode.DUPLICATE_RESOURCE,
    errorMessage: "A user credential cannot be altered twice in the same request",
  };
  for (const deletion of deletions) {
    if (errors.has(deletion.name)) continue;
    if (toDelete.delete(deletion.name)) {
      errors.set(deletion.name, duplicate);
      continue;
    }
    const error =
      nameAndMechanismError(deletion.name, deletion.mechanism) ??
      (credentials.get(deletion.name)?.has(deletion.mechanism) === true
        ? null
        : {
            errorCode: ErrorCode.RESOURCE_NOT_FOUND,
            errorMessage: "Attempt to delete a user credential that does not exist",
          });
    if (error !== null) errors.set(deletion.name, error);
    else toDelete.set(deletion.name, deletion);
  }
  for (const upsertion of upsertions) {
    if (errors.has(upsertion.name)) continue;
    if (toDelete.delete(upsertion.name) || toUpsert.delete(upsertion.name)) {
      errors.set(upsertion.name, duplicate);
      continue;
    }
    const error =
      nameAndMechanismError(upsertion.name, upsertion.mechanism) ?? iterationsError(upsertion.iterations);
    if (error !== null) errors.set(upsertion.name, error);
    else toUpsert.set(upsertion.name, upsertion);
  }
  const records: MetadataRecord[] = [];
  const results: ScramAlterationResult[] = [];
  for (const d of toDelete.values()) {
    records.push({ type: "RemoveUserScramCredential", name: d.name, mechanism: d.mechanism });
    results.push({ user: d.name, errorCode: ErrorCode.NONE, errorMessage: null });
  }
  for (const u of toUpsert.values()) {
    const mechanism = scramMechanismOfType(u.mechanism);
    if (mechanism === null) continue;
    const c = scramCredentialFromSalted(mechanism, u.saltedPassword, u.salt, u.iterations);
    records.push({ type: "UserScramCredential", name: u.name, mechanism: u.mechanism, ...c });
    results.push({ user: u.name, errorCode: ErrorCode.NONE, errorMessage: null });
  }
  for (const [user, e] of errors) results.push({ user, ...e });
  return { records, results };
}

function nameAndMechanismError(name: string, mechanism: number) {
  if (name === "")
    return { errorCode: ErrorCode.UNACCEPTABLE_CREDENTIAL, errorMessage: "Username must not be empty" };
  if (scramMechanismOfType(mechanism) === null) {
    return { errorCode: ErrorCode.UNSUPPORTED_SASL_MECHANISM, errorMessage: "Unknown SCRAM mechanism" };
  }
  return null;
}

function iterationsError(iterations: number) {
  if (iterations < SCRAM_ITERATIONS_MIN)
    return { errorCode: ErrorCode.UNACCEPTABLE_CREDENTIAL, errorMessage: "Too few iterations" };
  if (iterations > SCRAM_ITERATIONS_MAX)
    return { errorCode: ErrorCode.UNACCEPTABLE_CREDENTIAL, errorMessage: "Too many iterations" };
  return null;
}
