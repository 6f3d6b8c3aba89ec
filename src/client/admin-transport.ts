import { ErrorCode, isRetriable } from "../protocol/index.js";
import type { BrokerDescription, ClusterMetadata, ItemResult } from "./admin-results.js";
import type { Deadline } from "./deadline.js";
import type { KafkaConnection } from "./kafka-connection.js";

export interface AdminCallOptions {
  timeoutMs?: number;
}

export interface AdminAlterOptions extends AdminCallOptions {
  validateOnly?: boolean;
}

/**
 * What the admin client's operation modules (groups, quotas) use of it: a deadline per operation,
 * an attempt on a connection to a broker (any, or one by id) retried on lost connections until
 * the deadline, the cluster's metadata, and brokers learned from answers.
 */
export interface AdminTransport {
  readonly retryBackoffMs: number;
  deadline(options: AdminCallOptions): Deadline;
  withBroker<T>(
    deadline: Deadline,
    nodeId: number | null,
    attempt: (connection: KafkaConnection, timeoutMs: number) => Promise<T>,
  ): Promise<T>;
  metadata(topics: readonly string[] | null, options: AdminCallOptions): Promise<ClusterMetadata>;
  /** A broker an answer named (FindCoordinator's), so that withBroker reaches it by id. */
  learnBroker(broker: BrokerDescription): void;
}

/**
 * Retriable in Kafka's table, yet the final answer to an admin request: the controller, which
 * Brook brokers forward admin requests to, knows every topic.
 */
const FINAL_FOR_ADMIN: ReadonlySet<number> = new Set([
  ErrorCode.UNKNOWN_TOPIC_OR_PARTITION,
  ErrorCode.UNKNOWN_TOPIC_ID,
]);

export function shouldRetry(errorCode: number): boolean {
  return errorCode !== ErrorCode.NONE && isRetriable(errorCode) && !FINAL_FOR_ADMIN.has(errorCode);
}

/** The broker's answer left the item out: not retried, since the broker chose not to answer it. */
export function missingResult(): ItemResult {
  return {
    errorCode: ErrorCode.UNKNOWN_SERVER_ERROR,
    errorMessage: "the broker's answer did not include this item",
  };
}
