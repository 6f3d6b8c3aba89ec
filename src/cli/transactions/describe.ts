import type { TransactionDescription } from "../../client/index.js";
import { ErrorCode } from "../../protocol/index.js";
import { prettyPrintTable } from "../options/index.js";
import { fail, type TransactionsAdmin } from "./command-support.js";

export const DESCRIBE_HEADERS = [
  "CoordinatorId",
  "TransactionalId",
  "ProducerId",
  "ProducerEpoch",
  "TransactionState",
  "TransactionTimeoutMs",
  "CurrentTransactionStartTimeMs",
  "TransactionDurationMs",
  "TopicPartitions",
] as const;

/** `describe --transactional-id`: the id's state at its coordinator, one row. */
export async function describeTransactionCommand(
  admin: TransactionsAdmin,
  transactionalId: string,
  nowMs: () => number,
): Promise<string> {
  const failure = `Failed to describe transaction state of transactional-id \`${transactionalId}\``;
  let description: TransactionDescription;
  try {
    [description] = (await admin.describeTransactions([transactionalId])) as [TransactionDescription];
  } catch (error) {
    fail(failure, error);
  }
  if (description.errorCode !== ErrorCode.NONE) fail(failure, description.errorMessage ?? "");
  return prettyPrintTable(DESCRIBE_HEADERS, [describeRow(description, nowMs())]);
}

export function describeRow(d: TransactionDescription, nowMs: number): string[] {
  const start = d.transactionStartTimeMs;
  return [
    String(d.coordinatorId),
    d.transactionalId,
    String(d.producerId),
    String(d.producerEpoch),
    d.state,
    String(d.transactionTimeoutMs),
    start === null ? "None" : String(start),
    start === null ? "None" : String(BigInt(nowMs) - start),
    d.topicPartitions.map((tp) => `${tp.topic}-${tp.partition}`).join(","),
  ];
}
