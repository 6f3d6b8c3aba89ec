/**
 * Kafka's default partitioning (the Java producer's BuiltInPartitioner): a record with a key goes
 * to `toPositive(murmur2(key)) % partitions`, so the same non-empty key lands on the same partition
 * whichever Kafka client wrote it (librdkafka's `murmur2_random` partitioner agrees); a record
 * without a key goes to a "sticky" partition that changes once a batch for it is full or sent
 * (KIP-480), so that keyless records fill batches instead of spreading one record per batch.
 */

const SEED = 0x9747b28c;
const M = 0x5bd1e995;

/** Kafka's `Utils.murmur2`: MurmurHash2, 32-bit, seed 0x9747b28c, as a signed int32. */
export function murmur2(data: Uint8Array): number {
  const length = data.length;
  let h = (SEED ^ length) | 0;
  const length4 = length >>> 2;
  for (let i = 0; i < length4; i++) {
    const i4 = i * 4;
    let k =
      (data[i4] as number) |
      ((data[i4 + 1] as number) << 8) |
      ((data[i4 + 2] as number) << 16) |
      ((data[i4 + 3] as number) << 24);
    k = Math.imul(k, M);
    k ^= k >>> 24;
    k = Math.imul(k, M);
    h = Math.imul(h, M);
    h ^= k;
  }
  // The last one to three bytes, as the reference's fall-through switch mixes them in.
  const tail = length & ~3;
  const rest = length % 4;
  if (rest === 3) h ^= (data[tail + 2] as number) << 16;
  if (rest >= 2) h ^= (data[tail + 1] as number) << 8;
  if (rest >= 1) {
    h ^= data[tail] as number;
    h = Math.imul(h, M);
  }
  h ^= h >>> 13;
  h = Math.imul(h, M);
  h ^= h >>> 15;
  return h | 0;
}

/** The partition Kafka's default partitioner gives a non-null key. */
export function partitionForKey(key: Uint8Array, partitions: number): number {
  return (murmur2(key) & 0x7fffffff) % partitions;
}

/**
 * Keyless records' partition per topic: one partition until `next()` is asked to move on (its
 * batch was sent or filled), then another one at random.
 */
export class StickyPartitions {
  private readonly current = new Map<string, number>();
  private readonly random: () => number;

  constructor(random: () => number = Math.random) {
    this.random = random;
  }

  partition(topic: string, partitions: number): number {
    const known = this.current.get(topic);
    if (known !== undefined && known < partitions) return known;
    const chosen = Math.floor(this.random() * partitions);
    this.current.set(topic, chosen);
    return chosen;
  }

  /** The topic's keyless records move to another partition (when there is one) from now on. */
  next(topic: string, partitions: number, from: number): void {
    if (this.current.get(topic) !== from) return;
    if (partitions <= 1) return;
    const step = 1 + Math.floor(this.random() * (partitions - 1));
    this.current.set(topic, (from + step) % partitions);
  }
}
