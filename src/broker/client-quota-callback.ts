/**
 * Which quota applies to a client (Kafka's DefaultQuotaCallback inside ClientQuotaManager), for
 * one quota key (producer_byte_rate, consumer_byte_rate or request_percentage): the quotas set on
 * user and client-id entities, and Kafka's precedence among them, most specific first:
 *
 *   1. /config/users/<user>/clients/<client-id>
 *   2. /config/users/<user>/clients/<default>
 *   3. /config/users/<user>
 *   4. /config/users/<default>/clients/<client-id>
 *   5. /config/users/<default>/clients/<default>
 *   6. /config/users/<default>
 *   7. /config/clients/<client-id>
 *   8. /config/clients/<default>
 *
 * A client is measured under metric tags (user, client-id), either possibly empty: clients with
 * the same tags share one rate, so a user-level quota is shared by all the user's client ids.
 * `metricTags` picks the tags of the level that applies, `quotaLimit` the quota of those tags.
 * Pure and synchronous.
 */

/** A user or client-id part of an entity: absent (undefined), the default (null), or a name. */
export type EntityPart = string | null | undefined;

export interface QuotaMetricTags {
  /** The user the rate is measured for, or "" when the quota is not per user. */
  readonly user: string;
  /** The client id the rate is measured for, or "" when the quota is not per client id. */
  readonly clientId: string;
}

/** Kafka's QuotaTypes: which kinds of entity have ever had a quota (it stays set, as in Kafka). */
export const QuotaTypes = { none: 0, clientId: 1, user: 2, userClientId: 4 } as const;

export function entityPartsKey(user: EntityPart, clientId: EntityPart): string {
  const part = (p: EntityPart) => (p === undefined ? "-" : p === null ? "*" : `=${p}`);
  return `${part(user)}\u0000${part(clientId)}`;
}

export class ClientQuotaCallback {
  private readonly overridden = new Map<string, number>();
  /** QuotaTypes bits of the entities ever given a quota since start (Kafka never clears them). */
  private typesEnabled: number = QuotaTypes.none;

  get quotasEnabled(): boolean {
    return this.typesEnabled !== QuotaTypes.none;
  }

  /** Sets (`value` a number) or removes (`value` null) the quota of an entity. */
  update(user: EntityPart, clientId: EntityPart, value: number | null): void {
    if (user !== undefined) {
      this.typesEnabled |= clientId !== undefined ? QuotaTypes.userClientId : QuotaTypes.user;
    } else if (clientId !== undefined) {
      this.typesEnabled |= QuotaTypes.clientId;
    }
    const key = entityPartsKey(user, clientId);
    if (value === null) this.overridden.delete(key);
    else this.overridden.set(key, value);
  }

  private has(user: EntityPart, clientId: EntityPart): boolean {
    return this.overridden.has(entityPartsKey(user, clientId));
  }

  private get(user: EntityPart, clientId: EntityPart): number | undefined {
    return this.overridden.get(entityPartsKey(user, clientId));
  }

  /** The tags `user` and `clientId` are measured under (Kafka's quotaMetricTags). */
  metricTags(user: string, clientId: string): QuotaMetricTags {
    switch (this.typesEnabled) {
      case QuotaTypes.none:
      case QuotaTypes.clientId:
        return { user: "", clientId };
      case QuotaTypes.user:
        return { user, clientId: "" };
      case QuotaTypes.userClientId:
        return { user, clientId };
    }
    // Several kinds of quota: the tags of the most specific level that has one.
    if (this.has(user, clientId) || this.has(user, null)) return { user, clientId };
    if (this.has(user, undefined)) return { user, clientId: "" };
    if (this.has(null, clientId) || this.has(null, null)) return { user, clientId };
    if (this.has(null, undefined)) return { user, clientId: "" };
    return { user: "", clientId };
  }

  /** The quota of the clients measured under `tags`, or null when none applies (Kafka's quotaLimit). */
  quotaLimit(tags: QuotaMetricTags): number | null {
    const { user, clientId } = tags;
    if (user !== "" && clientId !== "") {
      return (
        this.get(user, clientId) ??
        this.get(user, null) ??
        this.get(null, clientId) ??
        this.get(null, null) ??
        null
      );
    }
    if (user !== "") return this.get(user, undefined) ?? this.get(null, undefined) ?? null;
    if (clientId !== "") return this.get(undefined, clientId) ?? this.get(undefined, null) ?? null;
    return null;
  }

  /** The quota that applies to a client: its tags, then their limit. */
  quotaFor(user: string, clientId: string): number | null {
    return this.quotaLimit(this.metricTags(user, clientId));
  }
}
