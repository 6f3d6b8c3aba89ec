/**
 * Which `__consumer_offsets` partition owns a group: Kafka's `Utils.abs(groupId.hashCode()) %
 * offsets.topic.num.partitions`, so that a Brook cluster and its clients agree with Kafka's tools
 * about where a group lives (and so that an imported `__consumer_offsets` loads onto the right
 * partitions). The transaction coordinator maps transactional ids to `__transaction_state` the
 * same way.
 */

/** Java's `String.hashCode()`: `s[0]*31^(n-1) + ... + s[n-1]` over UTF-16 code units, in int32. */
export function javaStringHashCode(s: string): number {
  let h = 0;
  for (let i = 0; i < s.length; i++) {
    h = (Math.imul(h, 31) + s.charCodeAt(i)) | 0;
  }
  return h;
}

/** Kafka's `Utils.abs`: like Math.abs, except that Integer.MIN_VALUE maps to 0, not to itself. */
export function kafkaAbs(n: number): number {
  return n === -2147483648 ? 0 : Math.abs(n);
}

/** The partition of `__consumer_offsets` (or `__transaction_state`) that owns `key`. */
export function partitionForKey(key: string, partitionCount: number): number {
  if (!Number.isInteger(partitionCount) || partitionCount < 1) {
    throw new RangeError(`partition count must be a positive integer, got ${partitionCount}`);
  }
  return kafkaAbs(javaStringHashCode(key)) % partitionCount;
}
