/** A partition of a topic, as Kafka names it. */
export interface TopicPartition {
  readonly topic: string;
  readonly partition: number;
}

/** A map key for a partition: `<topic>-<partition>`, unique because the partition is numeric. */
export function topicPartitionKey(tp: TopicPartition): string {
  return `${tp.topic}-${tp.partition}`;
}
