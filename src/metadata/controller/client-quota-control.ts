import { ErrorCode } from "../../protocol/index.js";
import {
  type ClientQuotaEntity,
  ClientQuotaEntityType,
  type ClientQuotas,
  clientQuotaEntityKey,
} from "../client-quotas-image.js";
import type { MetadataRecord } from "../metadata-records.js";

/**
 * AlterClientQuotas as the controller decides it (Kafka's ClientQuotaControlManager): each
 * entity's alterations are checked alone, with Kafka's messages, and turned into ClientQuota
 * records (only for values that change); an entity that fails writes nothing, the others are
 * committed together. Pure: the image's quotas in, records and one result per entity out.
 */

/** The quota keys Kafka accepts on user and client-id entities, with their config types. */
export const USER_CLIENT_QUOTA_KEYS: ReadonlyMap<string, "long" | "double"> = new Map([
  ["producer_byte_rate", "long"],
  ["consumer_byte_rate", "long"],
  ["request_percentage", "double"],
  ["controller_mutation_rate", "double"],
]);
/** The quota keys Kafka accepts on IP entities. */
export const IP_QUOTA_KEYS: ReadonlyMap<string, "int"> = new Map([["connection_creation_rate", "int"]]);

export interface ClientQuotaAlteration {
  /** Entity parts as the request lists them (a type named twice: the last wins, as in Kafka's map). */
  entity: readonly { entityType: string; entityName: string | null }[];
  /** value null: remove the key. */
  ops: readonly { key: string; value: number | null }[];
}

export interface ClientQuotaAlterationResult {
  entity: ClientQuotaEntity;
  errorCode: number;
  errorMessage: string | null;
}

const INT_MAX = 2 ** 31 - 1;
const LONG_MAX = 2 ** 63;

/**
 * `validIp(name)`: whether an IP entity's name is an address or a host that resolves (Kafka's
 * InetAddress.getByName check; resolving is the caller's, so that this stays pure).
 */
export function alterClientQuotas(
  quotas: ClientQuotas,
  alterations: readonly ClientQuotaAlteration[],
  validIp: (name: string) => boolean,
): { records: MetadataRecord[]; results: ClientQuotaAlterationResult[] } {
  const records: MetadataRecord[] = [];
  // One result per entity, in first-seen order: Kafka answers from a map keyed by entity.
  const results = new Map<string, ClientQuotaAlterationResult>();
  const fail = (entity: ClientQuotaEntity, errorCode: number, errorMessage: string) => {
    results.set(clientQuotaEntityKey(entity), { entity, errorCode, errorMessage });
  };
  for (const alteration of alterations) {
    const entity = new Map(alteration.entity.map((e) => [e.entityType, e.entityName] as const));
    const key = clientQuotaEntityKey(entity);
    const changes = new Map<string, number | null>();
    let duplicateKey = false;
    for (const op of alteration.ops) {
      if (changes.has(op.key)) duplicateKey = true;
      else changes.set(op.key, op.value);
    }
    // Kafka records the duplicate key, then finds the entity already answered and says this.
    if (duplicateKey || results.has(key)) {
      fail(entity, ErrorCode.INVALID_REQUEST, `Ignoring duplicate entity ${entityText(entity)}`);
      continue;
    }
    const outcome = alterEntity(quotas, entity, changes, validIp);
    if (typeof outcome === "string") {
      fail(entity, ErrorCode.INVALID_REQUEST, outcome);
      continue;
    }
    records.push(...outcome);
    results.set(key, { entity, errorCode: ErrorCode.NONE, errorMessage: null });
  }
  return { records, results: [...results.values()] };
}

/** The records of one entity's changes, or the message of what is wrong with them. */
function alterEntity(
  quotas: ClientQuotas,
  entity: ClientQuotaEntity,
  changes: ReadonlyMap<string, number | null>,
  validIp: (name: string) => boolean,
): MetadataRecord[] | string {
  const entityProblem = validateEntity(entity);
  if (entityProblem !== null) return entityProblem;
  const keys = keysOf(entity, validIp);
  if (typeof keys === "string") return keys;
  const current = quotas.get(clientQuotaEntityKey(entity))?.values ?? new Map<string, number>();
  const recordEntity = () => [...entity].map(([entityType, entityName]) => ({ entityType, entityName }));
  const records: MetadataRecord[] = [];
  for (const [key, value] of changes) {
    if (value === null) {
      if (current.has(key))
        records.push({ type: "ClientQuota", entity: recordEntity(), key, value: 0, remove: true });
      continue;
    }
    const problem = validateQuotaValue(keys, key, value);
    if (problem !== null) return problem;
    if (current.get(key) !== value)
      records.push({ type: "ClientQuota", entity: recordEntity(), key, value, remove: false });
  }
  return records;
}

function validateEntity(entity: ClientQuotaEntity): string | null {
  if (entity.size === 0) return "Invalid empty client quota entity";
  for (const [type, name] of entity) {
    if (
      type !== ClientQuotaEntityType.user &&
      type !== ClientQuotaEntityType.clientId &&
      type !== ClientQuotaEntityType.ip
    )
      return `Unhandled client quota entity type: ${type}`;
    if (name !== null && name === "") return `Empty ${type} not supported`;
  }
  return null;
}

/** Which keys the entity's combination of types allows (Kafka's configKeysForEntityType). */
function keysOf(
  entity: ClientQuotaEntity,
  validIp: (name: string) => boolean,
): ReadonlyMap<string, string> | string {
  const hasUser = entity.has(ClientQuotaEntityType.user);
  const hasClientId = entity.has(ClientQuotaEntityType.clientId);
  if (entity.has(ClientQuotaEntityType.ip)) {
    // Kafka's message, missing space included.
    if (hasUser || hasClientId)
      return "Invalid quota entity combination, IP entity shouldnot be combined with User or ClientId";
    const ip = entity.get(ClientQuotaEntityType.ip) ?? null;
    if (ip !== null && !validIp(ip)) return `${ip} is not a valid IP or resolvable host.`;
    return IP_QUOTA_KEYS;
  }
  if (hasUser || hasClientId) return USER_CLIENT_QUOTA_KEYS;
  return "Invalid empty client quota entity";
}

/** Kafka's validateQuotaKeyValue. */
function validateQuotaValue(keys: ReadonlyMap<string, string>, key: string, value: number): string | null {
  const type = keys.get(key);
  if (type === undefined) return `Invalid configuration key ${key}`;
  if (!(value > 0)) return `Quota ${key} must be greater than 0`;
  if (type === "double") return null;
  if (type === "int" && value > INT_MAX) return `Proposed value for ${key} is too large for an INT.`;
  if (type === "long" && value > LONG_MAX) return `Proposed value for ${key} is too large for a LONG.`;
  if (Math.abs(value % 1) > 1e-6) return `${key} cannot be a fractional value.`;
  return null;
}

/** Kafka's ClientQuotaEntity.toString: `ClientQuotaEntity(entries={user=alice, client-id=null})`. */
export function entityText(entity: ClientQuotaEntity): string {
  const parts = [...entity].map(([type, name]) => `${type}=${name ?? "null"}`);
  return `ClientQuotaEntity(entries={${parts.join(", ")}})`;
}
