import { ErrorCode } from "../protocol/index.js";
import { partitionKey, type TopicPartition } from "./admin-group-results.js";
import type { TopicMetadata } from "./admin-results.js";
import { type AdminTransport, shouldRetry } from "./admin-transport.js";
import type { Deadline } from "./deadline.js";
import type { KafkaConnection } from "./kafka-connection.js";

/** A partition's outcome as sendToLeaders keeps it. */
type PartitionOutcome = TopicPartition & { errorCode: number };

/**
 * Requests that only a partition's leader answers (ListOffsets, DeleteRecords), as Kafka's
 * PartitionLeaderStrategy sends them: the leaders from a Metadata request, one request per leader
 * with its partitions, then again, with fresh metadata, those answered with a retriable error (a
 * leader that moved answers NOT_LEADER_OR_FOLLOWER) or not at all, until none is left or the
 * deadline passes; then the last answer stands. A partition the cluster does not know fails at
 * once with UNKNOWN_TOPIC_OR_PARTITION; one without a leader is retried as LEADER_NOT_AVAILABLE.
 * Results come in the order of `partitions`; `failed` makes one for a partition no leader answered.
 */
export async function sendToLeaders<P extends TopicPartition, R extends PartitionOutcome>(
  t: AdminTransport,
  partitions: readonly P[],
  deadline: Deadline,
  send: (connection: KafkaConnection, batch: P[], timeoutMs: number) => Promise<R[]>,
  failed: (partition: P, errorCode: number, errorMessage: string | null) => R,
): Promise<R[]> {
  const results = new Map<string, R>();
  let todo = [...partitions];
  while (todo.length > 0) {
    const topics = [...new Set(todo.map((tp) => tp.topic))];
    const metadata = await t.metadata(topics, { timeoutMs: deadline.remainingMs() });
    const byName = new Map(metadata.topics.map((topic) => [topic.name, topic]));
    const byLeader = new Map<number, P[]>();
    for (const tp of todo) {
      const leader = leaderOf(byName.get(tp.topic), tp);
      if (typeof leader !== "number") {
        results.set(partitionKey(tp), failed(tp, leader.errorCode, leader.errorMessage));
        continue;
      }
      const batch = byLeader.get(leader);
      if (batch === undefined) byLeader.set(leader, [tp]);
      else batch.push(tp);
    }
    await Promise.all(
      [...byLeader].map(([leader, batch]) =>
        t.withBroker(deadline, leader, async (connection, timeoutMs) => {
          for (const r of await send(connection, batch, timeoutMs)) results.set(partitionKey(r), r);
        }),
      ),
    );
    todo = partitions.filter((tp) => {
      const r = results.get(partitionKey(tp));
      return r === undefined || shouldRetry(r.errorCode);
    });
    if (todo.length === 0 || deadline.expired()) break;
    await deadline.sleep(t.retryBackoffMs);
  }
  return partitions.map(
    (tp) => results.get(partitionKey(tp)) ?? failed(tp, ErrorCode.UNKNOWN_SERVER_ERROR, null),
  );
}

/**
 * The partitions by their leaders in fresh metadata; a partition without one (unknown topic or
 * partition, no leader elected) is in `failed` with the reason. For calls that retry their own way
 * (DescribeProducers to a chosen broker, an abort marker).
 */
export async function partitionLeaders(
  t: AdminTransport,
  partitions: readonly TopicPartition[],
  deadline: Deadline,
): Promise<{ byLeader: Map<number, TopicPartition[]>; failed: PartitionOutcome[] }> {
  const topics = [...new Set(partitions.map((tp) => tp.topic))];
  const metadata = await t.metadata(topics, { timeoutMs: deadline.remainingMs() });
  const byName = new Map(metadata.topics.map((topic) => [topic.name, topic]));
  const byLeader = new Map<number, TopicPartition[]>();
  const failed: PartitionOutcome[] = [];
  for (const tp of partitions) {
    const leader = leaderOf(byName.get(tp.topic), tp);
    if (typeof leader !== "number") {
      failed.push({ topic: tp.topic, partition: tp.partition, errorCode: leader.errorCode });
      continue;
    }
    const list = byLeader.get(leader);
    if (list === undefined) byLeader.set(leader, [{ topic: tp.topic, partition: tp.partition }]);
    else list.push({ topic: tp.topic, partition: tp.partition });
  }
  return { byLeader, failed };
}

/** The partition's leader in the metadata, or why there is none to ask. */
function leaderOf(
  topic: TopicMetadata | undefined,
  tp: TopicPartition,
): number | { errorCode: number; errorMessage: string | null } {
  if (topic === undefined || topic.errorCode === ErrorCode.UNKNOWN_TOPIC_OR_PARTITION) {
    return {
      errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION,
      // Kafka's admin client's words for a topic its Metadata request did not find.
      errorMessage: `Failed to fetch metadata for partition ${tp.topic}-${tp.partition} because metadata for topic \`${tp.topic}\` could not be found`,
    };
  }
  if (topic.errorCode !== ErrorCode.NONE) return { errorCode: topic.errorCode, errorMessage: null };
  const partition = topic.partitions.find((p) => p.partitionIndex === tp.partition);
  if (partition === undefined) return { errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, errorMessage: null };
  if (partition.leaderId < 0) return { errorCode: ErrorCode.LEADER_NOT_AVAILABLE, errorMessage: null };
  return partition.leaderId;
}
