/** Kafka's ClientQuotaEntity types. */
export const QuotaEntityType = { user: "user", clientId: "client-id", ip: "ip" } as const;

/** An entity of a quota: its type -> its name, null for the type's default (`<default>`). */
export type QuotaEntity = Readonly<Record<string, string | null>>;

/** How a ClientQuotaFilter component matches (DescribeClientQuotas' match_type). */
export const QuotaMatchType = { exact: 0, default: 1, specified: 2 } as const;

export interface QuotaFilterComponent {
  entityType: string;
  matchType: (typeof QuotaMatchType)[keyof typeof QuotaMatchType];
  /** The name for `exact`; ignored otherwise. */
  match?: string | null;
}

/** One entity's quotas as DescribeClientQuotas answers them. */
export interface QuotaEntry {
  entity: QuotaEntity;
  values: Readonly<Record<string, number>>;
}

/** One AlterClientQuotas change: `value` null removes the key. */
export interface QuotaAlteration {
  entity: QuotaEntity;
  ops: readonly { key: string; value: number | null }[];
}

export interface QuotaAlterationResult {
  entity: QuotaEntity;
  errorCode: number;
  errorMessage: string | null;
}
