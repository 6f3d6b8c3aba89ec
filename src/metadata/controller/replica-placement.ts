import type { SeededRandom } from "../../base/index.js";

/**
 * Rack-unaware replica placement in the manner of Kafka's: partition p's leader is broker
 * (start + p) mod n, and followers follow at a shift that also rotates, so leaders and followers
 * spread evenly. `start` and `shift` are random so that topics don't all pile on broker 0.
 */
export function placeReplicas(
  brokerIds: readonly number[],
  partitionCount: number,
  replicationFactor: number,
  firstPartition: number,
  random: SeededRandom,
): number[][] {
  const brokers = [...brokerIds].sort((a, b) => a - b);
  const n = brokers.length;
  const start = random.int(0, n - 1);
  let shift = random.int(0, n - 1);
  const result: number[][] = [];
  for (let i = 0; i < partitionCount; i++) {
    const p = firstPartition + i;
    if (p > 0 && p % n === 0) shift++;
    const first = (start + p) % n;
    const replicas = [brokers[first] as number];
    for (let j = 0; j < replicationFactor - 1; j++) {
      const followerShift = 1 + ((shift + j) % (n - 1 || 1));
      replicas.push(brokers[(first + followerShift) % n] as number);
    }
    result.push(replicas);
  }
  return result;
}
