import type { TransactionListing } from "../../client/index.js";
import { prettyPrintTable } from "../options/index.js";
import { fail, type TransactionsAdmin } from "./command-support.js";

export const LIST_HEADERS = ["TransactionalId", "Coordinator", "ProducerId", "TransactionState"] as const;

/** `list`: every transactional id of every coordinator, with --duration-filter (ms) when given. */
export async function listTransactionsCommand(
  admin: TransactionsAdmin,
  durationFilter: bigint | null,
): Promise<string> {
  let byBroker: Map<number, TransactionListing[]>;
  try {
    byBroker = await admin.listTransactions(
      durationFilter === null ? {} : { filterOnDuration: durationFilter },
    );
  } catch (error) {
    fail("Failed to list transactions", error);
  }
  const rows = [...byBroker].flatMap(([brokerId, listings]) =>
    listings.map((l) => [l.transactionalId, String(brokerId), String(l.producerId), l.state]),
  );
  return prettyPrintTable(LIST_HEADERS, rows);
}
