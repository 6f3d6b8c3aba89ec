import type { PartitionProducerState, ProducerState } from "../../client/index.js";
import { ErrorCode } from "../../protocol/index.js";
import { prettyPrintTable } from "../options/index.js";
import { fail, type TransactionsAdmin } from "./command-support.js";

export const DESCRIBE_PRODUCERS_HEADERS = [
  "ProducerId",
  "ProducerEpoch",
  "LatestCoordinatorEpoch",
  "LastSequence",
  "LastTimestamp",
  "CurrentTransactionStartOffset",
] as const;

/** `describe-producers`: the producers the partition's leader (or --broker-id's replica) remembers. */
export async function describeProducersCommand(
  admin: TransactionsAdmin,
  args: { topic: string; partition: number; brokerId: number | null },
): Promise<string> {
  const where = args.brokerId === null ? "leader" : `broker ${args.brokerId}`;
  const failure = `Failed to describe producers for partition ${args.topic}-${args.partition} on ${where}`;
  let state: PartitionProducerState;
  try {
    [state] = (await admin.describeProducers(
      [{ topic: args.topic, partition: args.partition }],
      args.brokerId === null ? {} : { brokerId: args.brokerId },
    )) as [PartitionProducerState];
  } catch (error) {
    fail(failure, error);
  }
  if (state.errorCode !== ErrorCode.NONE) fail(failure, state.errorMessage ?? "");
  return prettyPrintTable(DESCRIBE_PRODUCERS_HEADERS, state.activeProducers.map(producerRow));
}

export function producerRow(p: ProducerState): string[] {
  return [
    String(p.producerId),
    String(p.producerEpoch),
    String(p.coordinatorEpoch ?? -1),
    String(p.lastSequence),
    String(p.lastTimestamp),
    p.currentTransactionStartOffset === null ? "None" : String(p.currentTransactionStartOffset),
  ];
}
