import { MetadataDelta, MetadataImage, type MetadataRecord } from "../../src/metadata/index.js";

/** The topic id of the one topic, "t", that these images hold. */
export const TOPIC_ID = "AAAAAAAAAAAAAAAAAAAAAQ";

export interface PartitionSpec {
  id: number;
  replicas: number[];
  isr: number[];
  leader: number;
}

/**
 * An image for the controller's partition rules: brokers 1-3 registered and unfenced (epoch = id,
 * incarnation `incarnationOf(id)`), and topic "t" with the given partitions at epoch 0.
 */
export function partitionImage(
  partitions: readonly PartitionSpec[],
  incarnationOf: (id: number) => string = (id) => `incarnation-${id}`,
): MetadataImage {
  const records: MetadataRecord[] = [1, 2, 3].map((id) => ({
    type: "RegisterBroker",
    brokerId: id,
    incarnationId: incarnationOf(id),
    brokerEpoch: BigInt(id),
    endPoints: [],
    rack: null,
    fenced: false,
  }));
  records.push({ type: "Topic", name: "t", topicId: TOPIC_ID });
  for (const p of partitions) {
    records.push({
      type: "Partition",
      topicId: TOPIC_ID,
      partitionId: p.id,
      replicas: p.replicas,
      isr: p.isr,
      leader: p.leader,
      leaderEpoch: 0,
      partitionEpoch: 0,
    });
  }
  const delta = new MetadataDelta(MetadataImage.EMPTY);
  let offset = -1n;
  for (const r of records) delta.replay(r, ++offset);
  return delta.apply();
}
