import { ErrorCode, KafkaError } from "../protocol/index.js";

/**
 * Client quotas as the metadata image holds them (Kafka's ClientQuotasImage): per entity, the
 * quota values set on it. An entity names a user, a client id, both, or an IP; a null name is the
 * `<default>` entity of its type (the protocol's null entity name).
 */
export const ClientQuotaEntityType = { user: "user", clientId: "client-id", ip: "ip" } as const;

/** Entity type -> entity name (null: the default entity). Never empty. */
export type ClientQuotaEntity = ReadonlyMap<string, string | null>;

export interface ClientQuotaEntry {
  readonly entity: ClientQuotaEntity;
  /** Quota key (producer_byte_rate, ...) -> value. Never empty: an entity without values is dropped. */
  readonly values: ReadonlyMap<string, number>;
}

/** Entity key -> its quotas (see clientQuotaEntityKey). */
export type ClientQuotas = ReadonlyMap<string, ClientQuotaEntry>;

/**
 * One string per entity, whatever order its parts came in: `type=name` pairs sorted by type,
 * a default entity written without `=`. Control characters separate the parts, so no name can
 * make two entities collide.
 */
export function clientQuotaEntityKey(entity: ClientQuotaEntity): string {
  return [...entity]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([type, name]) => (name === null ? `${type}\u0001` : `${type}\u0002${name}`))
    .join("\u0000");
}

/** Kafka's MATCH_TYPE_EXACT / DEFAULT / SPECIFIED of a DescribeClientQuotas filter component. */
export const ClientQuotaMatchType = { exact: 0, default: 1, specified: 2 } as const;

export interface ClientQuotaFilterComponent {
  entityType: string;
  matchType: number;
  match: string | null;
}

/**
 * The entries a DescribeClientQuotas filter selects, with Kafka's checks of the filter
 * (ClientQuotasImage.describe): a bad filter throws KafkaError with Kafka's message
 * (INVALID_REQUEST; UNSUPPORTED_VERSION for an entity type Kafka does not know).
 */
export function describeClientQuotas(
  quotas: ClientQuotas,
  components: readonly ClientQuotaFilterComponent[],
  strict: boolean,
): ClientQuotaEntry[] {
  const exactMatch = new Map<string, string | null>();
  const typeMatch = new Set<string>();
  for (const c of components) {
    if (c.entityType === "") throw invalid("Invalid empty entity type.");
    if (exactMatch.has(c.entityType) || typeMatch.has(c.entityType))
      throw invalid(`Entity type ${c.entityType} cannot appear more than once in the filter.`);
    if (!isKnownEntityType(c.entityType))
      throw new KafkaError(ErrorCode.UNSUPPORTED_VERSION, `Unsupported entity type ${c.entityType}`);
    switch (c.matchType) {
      case ClientQuotaMatchType.exact:
        if (c.match === null)
          throw invalid("Request specified MATCH_TYPE_EXACT, but set match string to null.");
        exactMatch.set(c.entityType, c.match);
        break;
      case ClientQuotaMatchType.default:
        if (c.match !== null)
          throw invalid("Request specified MATCH_TYPE_DEFAULT, but also specified a match string.");
        exactMatch.set(c.entityType, null);
        break;
      case ClientQuotaMatchType.specified:
        if (c.match !== null)
          throw invalid("Request specified MATCH_TYPE_SPECIFIED, but also specified a match string.");
        typeMatch.add(c.entityType);
        break;
      default:
        throw invalid(`Unknown match type ${c.matchType}`);
    }
  }
  const named = (type: string) => exactMatch.has(type) || typeMatch.has(type);
  if (
    named(ClientQuotaEntityType.ip) &&
    (named(ClientQuotaEntityType.user) || named(ClientQuotaEntityType.clientId))
  )
    throw invalid(
      "Invalid entity filter component combination. IP filter component should not be used with user or clientId filter component.",
    );
  const selected: ClientQuotaEntry[] = [];
  for (const entry of quotas.values()) {
    if (matches(entry.entity, exactMatch, typeMatch, strict)) selected.push(entry);
  }
  return selected;
}

function matches(
  entity: ClientQuotaEntity,
  exactMatch: ReadonlyMap<string, string | null>,
  typeMatch: ReadonlySet<string>,
  strict: boolean,
): boolean {
  if (strict && entity.size !== exactMatch.size + typeMatch.size) return false;
  for (const [type, name] of exactMatch) {
    if (!entity.has(type) || entity.get(type) !== name) return false;
  }
  for (const type of typeMatch) if (!entity.has(type)) return false;
  return true;
}

export function isKnownEntityType(type: string): boolean {
  return (
    type === ClientQuotaEntityType.user ||
    type === ClientQuotaEntityType.clientId ||
    type === ClientQuotaEntityType.ip
  );
}

function invalid(message: string): KafkaError {
  return new KafkaError(ErrorCode.INVALID_REQUEST, message);
}
