import {
  type AlterClientQuotasResponse,
  ApiKey,
  type DescribeClientQuotasResponse,
  ErrorCode,
  KafkaError,
} from "../protocol/index.js";
import type {
  QuotaAlteration,
  QuotaAlterationResult,
  QuotaEntity,
  QuotaEntry,
  QuotaFilterComponent,
} from "./admin-quota-results.js";
import { errorMessageOf } from "./admin-results.js";
import {
  type AdminAlterOptions,
  type AdminCallOptions,
  type AdminTransport,
  missingResult,
  shouldRetry,
} from "./admin-transport.js";

/* The admin client's client-quota operations (Kafka's Admin describeClientQuotas, alterClientQuotas). */

const VERSIONS = {
  describeClientQuotas: { min: 0, max: 1 },
  alterClientQuotas: { min: 0, max: 1 },
} as const;

/**
 * Client quotas matching a filter (Kafka's describeClientQuotas): `strict`, only entities made of
 * exactly the components' types (ClientQuotaFilter.containsOnly).
 */
export async function describeClientQuotas(
  t: AdminTransport,
  components: readonly QuotaFilterComponent[],
  strict: boolean,
  options: AdminCallOptions = {},
): Promise<QuotaEntry[]> {
  const deadline = t.deadline(options);
  for (;;) {
    const response = await t.withBroker(deadline, null, (connection, timeoutMs) => {
      const { min, max } = VERSIONS.describeClientQuotas;
      const version = connection.negotiatedVersion(ApiKey.DescribeClientQuotas, max, min);
      return connection.request<DescribeClientQuotasResponse>(
        ApiKey.DescribeClientQuotas,
        version,
        {
          components: components.map((c) => ({
            entityType: c.entityType,
            matchType: c.matchType,
            match: c.matchType === 0 ? (c.match ?? null) : null,
          })),
          strict,
        },
        { timeoutMs },
      );
    });
    if (response.errorCode === ErrorCode.NONE) {
      return (response.entries ?? []).map((e) => ({
        entity: Object.fromEntries(e.entity.map((x) => [x.entityType, x.entityName])),
        values: Object.fromEntries(e.values.map((v) => [v.key, v.value])),
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

/** Sets and removes client quotas (Kafka's alterClientQuotas); one result per alteration, in order. */
export async function alterClientQuotas(
  t: AdminTransport,
  alterations: readonly QuotaAlteration[],
  options: AdminAlterOptions = {},
): Promise<QuotaAlterationResult[]> {
  const deadline = t.deadline(options);
  const entityKey = (entity: QuotaEntity) =>
    JSON.stringify(Object.entries(entity).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
  const response = await t.withBroker(deadline, null, (connection, timeoutMs) => {
    const { min, max } = VERSIONS.alterClientQuotas;
    const version = connection.negotiatedVersion(ApiKey.AlterClientQuotas, max, min);
    return connection.request<AlterClientQuotasResponse>(
      ApiKey.AlterClientQuotas,
      version,
      {
        entries: alterations.map((a) => ({
          entity: Object.entries(a.entity).map(([entityType, entityName]) => ({ entityType, entityName })),
          ops: a.ops.map((op) => ({ key: op.key, value: op.value ?? 0, remove: op.value === null })),
        })),
        validateOnly: options.validateOnly ?? false,
      },
      { timeoutMs },
    );
  });
  const byEntity = new Map(
    response.entries.map((e) => [
      entityKey(Object.fromEntries(e.entity.map((x) => [x.entityType, x.entityName]))),
      e,
    ]),
  );
  return alterations.map((a) => {
    const answer = byEntity.get(entityKey(a.entity));
    if (answer === undefined) return { entity: a.entity, ...missingResult() };
    return {
      entity: a.entity,
      errorCode: answer.errorCode,
      errorMessage: errorMessageOf(answer.errorCode, answer.errorMessage),
    };
  });
}
