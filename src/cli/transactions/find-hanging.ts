import type {
  PartitionProducerState,
  ProducerState,
  TopicPartition,
  TransactionDescription,
} from "../../client/index.js";
import { ErrorCode, errorCodeInfo } from "../../protocol/index.js";
import { prettyPrintTable } from "../options/index.js";
import type { TransactionsSubcommand } from "./arguments.js";
import { fail, type TransactionsAdmin } from "./command-support.js";

/*
 * `find-hanging`: open transactions on partitions (of a topic, or hosted by a broker) that have run
 * longer than the longest transaction timeout allowed, and that no coordinator will end: their
 * producer id maps to no transactional id, or the id's current transaction does not include the
 * partition. Kafka's FindHangingTransactionsCommand: DescribeProducers, then ListTransactions by
 * producer id, then DescribeTransactions.
 */

export const FIND_HANGING_HEADERS = [
  "Topic",
  "Partition",
  "ProducerId",
  "ProducerEpoch",
  "CoordinatorEpoch",
  "StartOffset",
  "LastTimestamp",
  "Duration(min)",
] as const;

/** Topics per DescribeTopics and partitions per DescribeProducers, at most (not to overwhelm a broker). */
const MAX_BATCH_SIZE = 500;
const MS_PER_MINUTE = 60_000n;

type FindHangingArguments = Extract<TransactionsSubcommand, { name: "find-hanging" }>;

/** A producer's open transaction on a partition. */
export interface OpenTransaction extends TopicPartition {
  producer: ProducerState;
}

export async function findHangingCommand(
  admin: TransactionsAdmin,
  args: FindHangingArguments,
  nowMs: () => number,
): Promise<string> {
  if (args.topic === null && args.brokerId === null) {
    fail(
      "The `find-hanging` command requires either --topic or --broker-id to limit the scope of the search",
    );
  }
  if (args.partition !== null && args.topic === null) {
    fail("The --partition argument requires --topic to be provided");
  }
  const maxTransactionTimeoutMs = BigInt(args.maxTransactionTimeout) * MS_PER_MINUTE;
  const partitions = await partitionsToSearch(admin, args);
  const candidates: OpenTransaction[] = [];
  for (const batch of batches(partitions)) {
    const states = await describeProducers(admin, args.brokerId, batch);
    candidates.push(...openTransactionsOlderThan(states, maxTransactionTimeoutMs, nowMs()));
  }
  if (candidates.length === 0) return hangingTable([], nowMs());
  const byProducer = groupByProducerId(candidates);
  const transactionalIds = await transactionalIdsOf(admin, [...byProducer.keys()]);
  const descriptions = await describeTransactions(admin, [...transactionalIds.values()]);
  return hangingTable(hangingTransactions(byProducer, transactionalIds, descriptions), nowMs());
}

async function partitionsToSearch(
  admin: TransactionsAdmin,
  args: FindHangingArguments,
): Promise<TopicPartition[]> {
  if (args.topic !== null && args.partition !== null)
    return [{ topic: args.topic, partition: args.partition }];
  let topics: string[];
  if (args.topic !== null) {
    topics = [args.topic];
  } else {
    try {
      topics = (await admin.listTopics({ listInternal: true })).map((t) => t.name);
    } catch (error) {
      fail("Failed to list topics", error);
    }
  }
  const partitions: TopicPartition[] = [];
  for (const batch of batches(topics)) {
    const failure = `Failed to describe ${batch.length} topics`;
    let described: Awaited<ReturnType<TransactionsAdmin["describeTopics"]>>;
    try {
      described = await admin.describeTopics(batch);
    } catch (error) {
      fail(failure, error);
    }
    const failed = described.find((t) => t.errorCode !== ErrorCode.NONE);
    if (failed !== undefined) fail(failure, messageOf(failed.errorCode));
    for (const topic of described) {
      for (const p of topic.partitions) {
        if (args.brokerId === null || p.replicas.includes(args.brokerId))
          partitions.push({ topic: topic.name, partition: p.partitionIndex });
      }
    }
  }
  return partitions;
}

async function describeProducers(
  admin: TransactionsAdmin,
  brokerId: number | null,
  batch: TopicPartition[],
): Promise<PartitionProducerState[]> {
  // Kafka prints the broker as Java prints its Optional.
  const failure = `Failed to describe producers for ${batch.length} partitions on broker ${brokerId === null ? "Optional.empty" : `Optional[${brokerId}]`}`;
  let states: PartitionProducerState[];
  try {
    states = await admin.describeProducers(batch, brokerId === null ? {} : { brokerId });
  } catch (error) {
    fail(failure, error);
  }
  const failed = states.find((s) => s.errorCode !== ErrorCode.NONE);
  if (failed !== undefined) fail(failure, failed.errorMessage ?? messageOf(failed.errorCode));
  return states;
}

/** The open transactions whose producer wrote nothing for longer than the timeout. */
export function openTransactionsOlderThan(
  states: readonly PartitionProducerState[],
  maxTransactionTimeoutMs: bigint,
  nowMs: number,
): OpenTransaction[] {
  return states.flatMap((state) =>
    state.activeProducers
      .filter(
        (p) =>
          p.currentTransactionStartOffset !== null &&
          BigInt(nowMs) - p.lastTimestamp > maxTransactionTimeoutMs,
      )
      .map((producer) => ({ topic: state.topic, partition: state.partition, producer })),
  );
}

/** By producer id, ascending. */
function groupByProducerId(transactions: readonly OpenTransaction[]): Map<bigint, OpenTransaction[]> {
  const sorted = [...transactions].sort((a, b) =>
    a.producer.producerId < b.producer.producerId
      ? -1
      : a.producer.producerId > b.producer.producerId
        ? 1
        : 0,
  );
  const byProducer = new Map<bigint, OpenTransaction[]>();
  for (const t of sorted) {
    const list = byProducer.get(t.producer.producerId) ?? [];
    list.push(t);
    byProducer.set(t.producer.producerId, list);
  }
  return byProducer;
}

/** The transactional id each producer id belongs to, for those a coordinator lists. */
async function transactionalIdsOf(
  admin: TransactionsAdmin,
  producerIds: bigint[],
): Promise<Map<bigint, string>> {
  try {
    const byBroker = await admin.listTransactions({ filterProducerIds: producerIds });
    const wanted = new Set(producerIds);
    const ids = new Map<bigint, string>();
    for (const listings of byBroker.values()) {
      for (const l of listings) if (wanted.has(l.producerId)) ids.set(l.producerId, l.transactionalId);
    }
    return ids;
  } catch (error) {
    fail(`Failed to list transactions for ${producerIds.length} producers`, error);
  }
}

/** Each id's description, null for an id its coordinator no longer knows. */
async function describeTransactions(
  admin: TransactionsAdmin,
  transactionalIds: string[],
): Promise<Map<string, TransactionDescription | null>> {
  const failure = `Failed to describe ${transactionalIds.length} transactions`;
  const descriptions = new Map<string, TransactionDescription | null>();
  if (transactionalIds.length === 0) return descriptions;
  let described: TransactionDescription[];
  try {
    described = await admin.describeTransactions([...new Set(transactionalIds)]);
  } catch (error) {
    fail(failure, error);
  }
  for (const d of described) {
    if (d.errorCode === ErrorCode.TRANSACTIONAL_ID_NOT_FOUND) descriptions.set(d.transactionalId, null);
    else if (d.errorCode !== ErrorCode.NONE) fail(failure, d.errorMessage ?? messageOf(d.errorCode));
    else descriptions.set(d.transactionalId, d);
  }
  return descriptions;
}

/**
 * The open transactions no coordinator will end: a producer without a transactional id, an id no
 * longer known, or an id whose transaction (DescribeTransactions lists the partitions of an ongoing
 * one and those still waiting for markers) does not include the partition.
 */
export function hangingTransactions(
  byProducer: ReadonlyMap<bigint, readonly OpenTransaction[]>,
  transactionalIds: ReadonlyMap<bigint, string>,
  descriptions: ReadonlyMap<string, TransactionDescription | null>,
): OpenTransaction[] {
  const hanging: OpenTransaction[] = [];
  for (const [producerId, open] of byProducer) {
    const transactionalId = transactionalIds.get(producerId);
    const description = transactionalId === undefined ? null : (descriptions.get(transactionalId) ?? null);
    for (const t of open) {
      const included = description?.topicPartitions.some(
        (tp) => tp.topic === t.topic && tp.partition === t.partition,
      );
      if (included !== true) hanging.push(t);
    }
  }
  return hanging;
}

export function hangingTable(hanging: readonly OpenTransaction[], nowMs: number): string {
  return prettyPrintTable(
    FIND_HANGING_HEADERS,
    hanging.map((t) => [
      t.topic,
      String(t.partition),
      String(t.producer.producerId),
      String(t.producer.producerEpoch),
      String(t.producer.coordinatorEpoch ?? -1),
      String(t.producer.currentTransactionStartOffset ?? -1),
      String(t.producer.lastTimestamp),
      // Java's TimeUnit.toMinutes: truncated toward zero, as bigint division is.
      String((BigInt(nowMs) - t.producer.lastTimestamp) / MS_PER_MINUTE),
    ]),
  );
}

function batches<T>(items: readonly T[]): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += MAX_BATCH_SIZE) out.push(items.slice(i, i + MAX_BATCH_SIZE));
  return out;
}

const messageOf = (errorCode: number) => errorCodeInfo.get(errorCode)?.message ?? `Kafka error ${errorCode}`;
