import type { BrokerSettings, MetadataView } from "./handler-context.js";

/** Kafka's feature name for the transactions protocol version (KIP-890, KIP-1022). */
export const TRANSACTION_VERSION_FEATURE = "transaction.version";
/** Level 2: transactions version 2 (EndTxn v5 bumps the epoch, leaders add partitions implicitly). */
export const TRANSACTION_VERSION_MAX = 2;

/**
 * `transaction.version` as ApiVersions lists it: levels 0-2 supported; the finalized level is the
 * metadata's FeatureLevel record when the cluster has one, else the `transaction.version` setting.
 * Clients (Java 4.x, franz-go) use transactions version 2 only when it is finalized at 2; the
 * broker serves both protocols whatever the level, per request version, as Kafka does.
 */
export function transactionVersionFeature(broker: MetadataView & BrokerSettings): {
  name: string;
  minVersion: number;
  maxVersion: number;
  finalizedLevel: number;
} {
  const level =
    broker.image.features.get(TRANSACTION_VERSION_FEATURE) ?? broker.config.int("transaction.version");
  return {
    name: TRANSACTION_VERSION_FEATURE,
    minVersion: 0,
    maxVersion: TRANSACTION_VERSION_MAX,
    finalizedLevel: Math.min(Math.max(level, 0), TRANSACTION_VERSION_MAX),
  };
}
