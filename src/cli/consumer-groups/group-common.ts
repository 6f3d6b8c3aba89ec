import type { AdminClient, ConsumerGroupDescription, TopicPartition } from "../../client/index.js";
import { ErrorCode, errorName, KafkaError } from "../../protocol/index.js";
import { type ToolIo, UsageError } from "../options/index.js";
import type { ConsumerGroupsOptions } from "./arguments.js";

/* What the consumer-groups commands share: where they print, how a group and a partition are named. */

/** Where a command prints: stdout and stderr. */
export type Printer = ToolIo;

/** Kafka's printError: a blank line, then the message, on stdout. */
export function printError(io: Printer, message: string): void {
  io.out(`\nError: ${message}\n`);
}

export const byTopicPartition = (a: TopicPartition, b: TopicPartition) =>
  a.topic < b.topic ? -1 : a.topic > b.topic ? 1 : a.partition - b.partition;

export async function selectedGroups(options: ConsumerGroupsOptions, admin: AdminClient): Promise<string[]> {
  if (options.has("all-groups")) {
    return (await admin.listConsumerGroups({ timeoutMs: options.timeoutMs })).map((g) => g.groupId);
  }
  return [...options.values("group")];
}

/** A group the coordinator does not know is described as Dead, as Kafka's classic groups are. */
export function stateOf(group: ConsumerGroupDescription): string {
  if (group.errorCode === ErrorCode.GROUP_ID_NOT_FOUND) return "Dead";
  if (group.errorCode !== ErrorCode.NONE) {
    throw new KafkaError(
      group.errorCode,
      `describing group '${group.groupId}': ${errorName(group.errorCode)}`,
    );
  }
  return group.state;
}

/** `--topic` values: `topic` (every partition) or `topic:0,1,2` (Kafka's parseTopicPartitionsToReset). */
export async function topicPartitions(
  args: readonly string[],
  admin: AdminClient,
  timeoutMs: number,
): Promise<TopicPartition[]> {
  const explicit: TopicPartition[] = [];
  const whole: string[] = [];
  for (const arg of args) {
    if (!arg.includes(":")) {
      whole.push(arg);
      continue;
    }
    const parts = arg.split(":");
    if (parts.length !== 2)
      throw new UsageError(`Invalid topic arg '${arg}', expected topic name and partitions`);
    const [topic, list] = parts as [string, string];
    for (const p of list.split(",")) {
      if (!/^[+-]?\d+$/.test(p) || Math.abs(Number(p)) >= 2 ** 31) {
        throw new UsageError(`Invalid partition '${p}' specified in topic arg '${arg}''`);
      }
      explicit.push({ topic, partition: Number(p) });
    }
  }
  if (whole.length > 0) {
    for (const t of await admin.describeTopics(whole, { timeoutMs })) {
      if (t.errorCode !== ErrorCode.NONE) throw new KafkaError(t.errorCode);
      for (const p of t.partitions) explicit.push({ topic: t.name, partition: p.partitionIndex });
    }
  }
  return explicit;
}
