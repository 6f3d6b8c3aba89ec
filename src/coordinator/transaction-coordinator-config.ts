import { assert } from "../base/index.js";

/** The transaction coordinator's settings (Kafka's TransactionConfig), from server.properties. */
export interface TransactionCoordinatorConfig {
  /** transaction.state.log.num.partitions (the existing topic's count when it exists). */
  readonly transactionStateTopicPartitionCount: number;
  /** transaction.max.timeout.ms: the largest transaction.timeout.ms a producer may ask for. */
  readonly transactionMaxTimeoutMs: number;
  /** transactional.id.expiration.ms: an id idle this long (no transaction in progress) is removed. */
  readonly transactionalIdExpirationMs: number;
  /** transaction.abort.timed.out.transaction.cleanup.interval.ms */
  readonly abortTimedOutTransactionsIntervalMs: number;
  /** transaction.remove.expired.transaction.cleanup.interval.ms */
  readonly removeExpiredTransactionalIdsIntervalMs: number;
}

export const TRANSACTION_COORDINATOR_DEFAULTS: TransactionCoordinatorConfig = {
  transactionStateTopicPartitionCount: 50,
  transactionMaxTimeoutMs: 900_000,
  transactionalIdExpirationMs: 604_800_000,
  abortTimedOutTransactionsIntervalMs: 10_000,
  removeExpiredTransactionalIdsIntervalMs: 3_600_000,
};

export function transactionCoordinatorConfig(
  overrides: Partial<TransactionCoordinatorConfig> = {},
): TransactionCoordinatorConfig {
  const config = { ...TRANSACTION_COORDINATOR_DEFAULTS, ...overrides };
  for (const [name, value] of Object.entries(config))
    assert(Number.isInteger(value) && value > 0, () => `${name} must be a positive integer, got ${value}`);
  return config;
}
