import type { SeededRandom } from "../../base/index.js";

export interface PlacementBroker {
  readonly id: number;
  readonly rack: string | null;
}

/**
 * Replica placement in the manner of Kafka's AdminUtils: partition p's leader is the broker at
 * (start + p) in the broker list, and followers follow at a shift that also rotates, so leaders
 * and followers spread evenly; `start` and `shift` are random so that topics don't all pile on one
 * broker. When every broker has a rack (`broker.rack`), the list alternates racks and each
 * partition's replicas go to as many racks as there are, as Kafka's rack-aware assignment does.
 * Brokers with and without racks mixed are placed as if none had one.
 */
export function placeReplicas(
  brokers: readonly PlacementBroker[],
  partitionCount: number,
  replicationFactor: number,
  firstPartition: number,
  random: SeededRandom,
): number[][] {
  const racks = new Set(brokers.map((b) => b.rack));
  const rackAware = brokers.length > 0 && !racks.has(null) && racks.size > 1;
  const list = rackAware ? rackAlternated(brokers) : [...brokers].sort((a, b) => a.id - b.id);
  const n = list.length;
  const start = random.int(0, n - 1);
  let shift = random.int(0, n - 1);
  const result: number[][] = [];
  for (let i = 0; i < partitionCount; i++) {
    const p = firstPartition + i;
    if (p > 0 && p % n === 0) shift++;
    const first = (start + p) % n;
    result.push(
      rackAware
        ? rackAwareReplicas(list, first, shift * racks.size, replicationFactor, racks.size)
        : [
            0,
            ...Array.from({ length: replicationFactor - 1 }, (_, j) => 1 + ((shift + j) % (n - 1 || 1))),
          ].map((offset) => (list[(first + offset) % n] as PlacementBroker).id),
    );
  }
  return result;
}

/** Brokers taken from each rack in turn (racks and brokers in order): r1b1, r2b1, r3b1, r1b2, ... */
function rackAlternated(brokers: readonly PlacementBroker[]): PlacementBroker[] {
  const byRack = new Map<string, PlacementBroker[]>();
  for (const b of [...brokers].sort((x, y) => x.id - y.id)) {
    const rack = b.rack as string;
    byRack.set(rack, [...(byRack.get(rack) ?? []), b]);
  }
  const queues = [...byRack.keys()].sort().map((rack) => byRack.get(rack) as PlacementBroker[]);
  const out: PlacementBroker[] = [];
  for (let round = 0; out.length < brokers.length; round++) {
    for (const q of queues) {
      const b = q[round];
      if (b !== undefined) out.push(b);
    }
  }
  return out;
}

function rackAwareReplicas(
  list: readonly PlacementBroker[],
  first: number,
  shift: number,
  replicationFactor: number,
  rackCount: number,
): number[] {
  const n = list.length;
  const leader = list[first] as PlacementBroker;
  const replicas = [leader.id];
  const racksUsed = new Set([leader.rack]);
  const brokersUsed = new Set([leader.id]);
  let k = 0;
  while (replicas.length < Math.min(replicationFactor, n)) {
    const candidate = list[(first + 1 + ((shift + k) % (n - 1 || 1))) % n] as PlacementBroker;
    k++;
    // A rack gets a second replica only once every rack has one; a broker never gets two.
    const rackFree = !racksUsed.has(candidate.rack) || racksUsed.size === rackCount;
    if (rackFree && !brokersUsed.has(candidate.id)) {
      replicas.push(candidate.id);
      racksUsed.add(candidate.rack);
      brokersUsed.add(candidate.id);
    }
  }
  return replicas;
}
