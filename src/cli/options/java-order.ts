/**
 * The order Kafka's tools print a java.util.HashMap's or HashSet's entries in, since several of
 * them print partitions, brokers or JSON keys straight from one: by bucket of the hash table as it
 * has grown, and in insertion order within a bucket (a resize keeps that order). Java's treeified
 * buckets (8 or more colliding keys) are not modelled.
 */

/** Java's String.hashCode (UTF-16 code units, 32-bit wrap-around). */
export function javaStringHash(text: string): number {
  let hash = 0;
  for (let i = 0; i < text.length; i++) hash = (Math.imul(hash, 31) + text.charCodeAt(i)) | 0;
  return hash;
}

/** Kafka's TopicPartition.hashCode. */
export function topicPartitionHash(tp: { topic: string; partition: number }): number {
  return (Math.imul(31, (31 + tp.partition) | 0) + javaStringHash(tp.topic)) | 0;
}

/** HashMap's default capacity; `new HashSet<>(collection)` takes at least this much too. */
const JAVA_DEFAULT_CAPACITY = 16;

/** The capacity `new HashSet<>(collection)` of `size` elements starts with. */
export function javaCopyCapacity(size: number): number {
  return Math.max(Math.floor(size / 0.75) + 1, JAVA_DEFAULT_CAPACITY);
}

/**
 * `items` (distinct keys) in the order a HashMap created with `initialCapacity` iterates them after
 * they were put in one by one in the given order.
 */
export function javaHashOrder<T>(
  items: readonly T[],
  hashOf: (item: T) => number,
  initialCapacity = JAVA_DEFAULT_CAPACITY,
): T[] {
  // HashMap(n) rounds n up to a power of two; the table doubles when its size passes 3/4 of it.
  let capacity = 1;
  while (capacity < initialCapacity) capacity *= 2;
  for (let size = 1; size <= items.length; size++) {
    if (size > Math.floor(capacity * 0.75)) capacity *= 2;
  }
  const bucket = (item: T) => {
    const h = hashOf(item);
    return (h ^ (h >>> 16)) & (capacity - 1);
  };
  // Array.prototype.sort is stable: insertion order within a bucket stays.
  return items
    .map((item) => ({ item, bucket: bucket(item) }))
    .sort((a, b) => a.bucket - b.bucket)
    .map((e) => e.item);
}
