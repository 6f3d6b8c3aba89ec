import type { MetadataImage } from "../../metadata/index.js";
import { ErrorCode } from "../../protocol/index.js";

interface RequestedTopic<P> {
  readonly name: string;
  readonly partitions: readonly P[];
}

interface AnsweredTopic {
  readonly name: string;
  readonly partitions: readonly { readonly partitionIndex: number; readonly errorCode: number }[];
}

/**
 * The requested topics cut down to the partitions that exist, dropping topics left empty and
 * topics the client may not use (`denied`): what Kafka's OffsetCommit, TxnOffsetCommit and
 * OffsetDelete handlers pass to the group coordinator (the others are answered
 * TOPIC_AUTHORIZATION_FAILED or UNKNOWN_TOPIC_OR_PARTITION without it, see `withUnknownPartitions`).
 */
export function knownPartitions<P extends { readonly partitionIndex: number }, T extends RequestedTopic<P>>(
  image: MetadataImage,
  topics: readonly T[],
  denied: ReadonlySet<string> | null = null,
): T[] {
  const known: T[] = [];
  for (const topic of topics) {
    if (denied?.has(topic.name) === true) continue;
    const partitions = topic.partitions.filter(
      (p) => image.partition(topic.name, p.partitionIndex) !== undefined,
    );
    if (partitions.length > 0) known.push({ ...topic, partitions });
  }
  return known;
}

/**
 * The coordinator's per-partition answers merged back into the request's order, plus
 * TOPIC_AUTHORIZATION_FAILED for the partitions of `denied` topics (whether they exist or not, so
 * nothing tells the client) and UNKNOWN_TOPIC_OR_PARTITION for the partitions that do not exist.
 * Partitions the coordinator left out on purpose (OffsetDelete leaves out those with nothing
 * committed) stay out.
 */
export function withUnknownPartitions(
  image: MetadataImage,
  requested: readonly RequestedTopic<{ readonly partitionIndex: number }>[],
  answered: readonly AnsweredTopic[],
  denied: ReadonlySet<string> | null = null,
): { name: string; partitions: { partitionIndex: number; errorCode: number }[] }[] {
  const errors = new Map<string, Map<number, number>>();
  for (const topic of answered) {
    const byPartition = errors.get(topic.name) ?? new Map<number, number>();
    for (const p of topic.partitions) byPartition.set(p.partitionIndex, p.errorCode);
    errors.set(topic.name, byPartition);
  }
  return requested.map((topic) => ({
    name: topic.name,
    partitions: topic.partitions.flatMap((p) => {
      if (denied?.has(topic.name) === true)
        return [{ partitionIndex: p.partitionIndex, errorCode: ErrorCode.TOPIC_AUTHORIZATION_FAILED }];
      const errorCode = errors.get(topic.name)?.get(p.partitionIndex);
      if (errorCode !== undefined) return [{ partitionIndex: p.partitionIndex, errorCode }];
      if (image.partition(topic.name, p.partitionIndex) === undefined)
        return [{ partitionIndex: p.partitionIndex, errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION }];
      return [];
    }),
  }));
}
