import { type AbortTransactionSpec, abortSpecText, type PartitionProducerState } from "../../client/index.js";
import { ErrorCode } from "../../protocol/index.js";
import type { TransactionsSubcommand } from "./arguments.js";
import { fail, type TransactionsAdmin } from "./command-support.js";

type AbortArguments = Extract<TransactionsSubcommand, { name: "abort" }>;

/**
 * `abort`: ends a hanging transaction on one partition with an abort marker. With --start-offset
 * (brokers from 3.0) the producer is the one whose open transaction starts there; older brokers
 * need the producer id and epochs given. Prints nothing when it worked.
 */
export async function abortTransactionCommand(
  admin: TransactionsAdmin,
  args: AbortArguments,
): Promise<string> {
  const tp = { topic: args.topic, partition: args.partition };
  if (args.startOffset === null && args.producerId === null) {
    fail(
      "The transaction to abort must be identified either with --start-offset (for brokers on 3.0 or above) or with --producer-id, --producer-epoch, and --coordinator-epoch (for older brokers)",
    );
  }
  let spec: AbortTransactionSpec;
  if (args.startOffset === null) {
    if (args.producerEpoch === null) fail("Missing required argument --producer-epoch");
    if (args.coordinatorEpoch === null) fail("Missing required argument --coordinator-epoch");
    spec = {
      ...tp,
      producerId: args.producerId as bigint,
      producerEpoch: args.producerEpoch,
      // A transaction hanging before its producer's first marker shows coordinator epoch -1; 0 is
      // at most any epoch the partition has seen, so the marker is not refused as fenced.
      coordinatorEpoch: Math.max(args.coordinatorEpoch, 0),
    };
  } else {
    spec = await specAt(admin, tp, args.startOffset);
  }
  try {
    await admin.abortTransaction(spec);
  } catch (error) {
    fail(`Failed to abort transaction ${abortSpecText(spec)}`, error);
  }
  return "";
}

/** The producer whose open transaction on the partition starts at `startOffset`. */
async function specAt(
  admin: TransactionsAdmin,
  tp: { topic: string; partition: number },
  startOffset: bigint,
): Promise<AbortTransactionSpec> {
  const partition = `${tp.topic}-${tp.partition}`;
  const failure = `Failed to validate producer state for partition ${partition}`;
  let state: PartitionProducerState;
  try {
    [state] = (await admin.describeProducers([tp])) as [PartitionProducerState];
  } catch (error) {
    fail(failure, error);
  }
  if (state.errorCode !== ErrorCode.NONE) fail(failure, state.errorMessage ?? "");
  const producer = state.activeProducers.find((p) => p.currentTransactionStartOffset === startOffset);
  if (producer === undefined) {
    fail(`Could not find any open transactions starting at offset ${startOffset} on partition ${partition}`);
  }
  return {
    ...tp,
    producerId: producer.producerId,
    producerEpoch: producer.producerEpoch,
    coordinatorEpoch: producer.coordinatorEpoch ?? 0,
  };
}
