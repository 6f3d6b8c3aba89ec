/**
 * Part 1 (ii-b): the controller's CPU per operation against the size of the metadata image, in
 * this process, without etcd. What QuorumController.runEntry does for each queued CreateTopics
 * (1 partition, RF 1): `ClusterController.createTopics` decides against the builder's image, then
 * `RecordBuilder.add` replays the records into the next image. And what every node's loader does
 * per committed entry: one MetadataDelta over its image. Cases interleaved by image size, medians
 * of `rounds` trials of `opsPerTrial` operations, each trial on a fresh builder over the same image.
 */
import { SeededRandom } from "../../src/base/index.js";
import {
  type BrokerSessionInfo,
  ClusterController,
  MetadataDelta,
  MetadataImage,
  type MetadataRecord,
  type PartitionRules,
  RecordBuilder,
  reconcileMembership,
} from "../../src/metadata/index.js";
import { randomUuid } from "../../src/protocol/index.js";
import { median, nowMs } from "./stats.js";

export interface ImageCaseResult {
  topics: number;
  /** µs per CreateTopics decision + RecordBuilder.add, median of the trials. */
  decideAddUs: number[];
  /**
   * µs per decision with one MetadataDelta (and a new image) per decision, as RecordBuilder did
   * before it kept one delta per entry: the same run's reference for the change.
   */
  decideDeltaPerOpUs: number[];
  /** µs of RecordBuilder.add alone (Topic + Partition records). */
  addUs: number[];
  /** µs of the loader's replay of one 64-operation entry (MetadataDelta + apply). */
  loaderEntryUs: number[];
  /**
   * µs of the controller's membership pass (reconcileMembership) over the image: with every
   * session as registered (what each session update costs), and with broker 1's session gone
   * (fenced: its partitions' ISRs, ELRs and leaders change, KIP-966's rules).
   */
  membershipUs: number[];
  fenceUs: number[];
}

function imageWithTopics(count: number): MetadataImage {
  const delta = new MetadataDelta(MetadataImage.EMPTY);
  let offset = 0n;
  for (const id of [1, 2, 3]) {
    delta.replay(
      {
        type: "RegisterBroker",
        brokerId: id,
        incarnationId: randomUuid(),
        brokerEpoch: offset,
        endPoints: [{ name: "PLAINTEXT", host: "127.0.0.1", port: 9092 + id, securityProtocol: 0 }],
        rack: null,
        fenced: false,
      },
      offset++,
    );
  }
  for (let i = 0; i < count; i++) {
    const topicId = randomUuid();
    delta.replay({ type: "Topic", name: `existing-${i}`, topicId }, offset++);
    delta.replay(
      {
        type: "Partition",
        topicId,
        partitionId: 0,
        replicas: [1 + (i % 3)],
        isr: [1 + (i % 3)],
        leader: 1 + (i % 3),
        leaderEpoch: 0,
        partitionEpoch: 0,
      },
      offset++,
    );
  }
  return delta.apply();
}

const RULES: PartitionRules = { minInsyncReplicas: () => 1, uncleanLeaderElection: () => false };

/** A session per registered broker, as it registered and caught up: nothing for the controller to do. */
function sessionsOf(image: MetadataImage): Map<number, BrokerSessionInfo> {
  return new Map(
    [...image.brokers.values()].map((b) => [
      b.id,
      {
        brokerId: b.id,
        incarnationId: b.incarnationId,
        endPoints: [...b.endPoints],
        rack: b.rack,
        metadataOffset: image.offset,
        shuttingDown: false,
      },
    ]),
  );
}

function topicRecords(name: string): MetadataRecord[] {
  const topicId = randomUuid();
  return [
    { type: "Topic", name, topicId },
    {
      type: "Partition",
      topicId,
      partitionId: 0,
      replicas: [1],
      isr: [1],
      leader: 1,
      leaderEpoch: 0,
      partitionEpoch: 0,
    },
  ];
}

export function runImageSuite(options: {
  sizes: readonly number[];
  rounds: number;
  opsPerTrial: number;
  log: (line: string) => void;
}): ImageCaseResult[] {
  const images = options.sizes.map((n) => imageWithTopics(n));
  const controller = new ClusterController({ random: new SeededRandom(1), validateTopicConfigs: () => null });
  const defaults = { numPartitions: 1, defaultReplicationFactor: 1, partitionsPerRequestMax: 10_000 };
  const results: ImageCaseResult[] = options.sizes.map((topics) => ({
    topics,
    decideAddUs: [],
    decideDeltaPerOpUs: [],
    addUs: [],
    loaderEntryUs: [],
    membershipUs: [],
    fenceUs: [],
  }));
  let seq = 0;
  // Operations are decided in blocks of 64 on one builder (one entry's worth, as runEntry batches
  // them), so the image stays near its nominal size; large images get fewer blocks per trial.
  const BLOCK = 64;
  const blocksFor = (topics: number) =>
    Math.max(1, Math.min(Math.ceil(options.opsPerTrial / BLOCK), Math.floor(40_000 / (topics + 1000))));
  for (let round = 0; round <= options.rounds; round++) {
    for (const [i, image] of images.entries()) {
      const result = results[i] as ImageCaseResult;
      const blocks = blocksFor(result.topics);
      const ops = blocks * BLOCK;
      // Decision + replay, as runEntry does per queued operation.
      let t0 = nowMs();
      for (let b = 0; b < blocks; b++) {
        const builder = new RecordBuilder(image);
        for (let k = 0; k < BLOCK; k++) {
          const name = `new-${seq++}`;
          const decided = controller.createTopics(
            builder.image,
            [{ name, numPartitions: 1, replicationFactor: 1, assignments: [], configs: [] }],
            defaults,
            false,
          );
          builder.add(decided.records);
        }
      }
      const decideAdd = ((nowMs() - t0) * 1000) / ops;
      // The same with a delta and a new image per decision (the builder before).
      t0 = nowMs();
      for (let b = 0; b < blocks; b++) {
        let current = image;
        for (let k = 0; k < BLOCK; k++) {
          const name = `new-${seq++}`;
          const decided = controller.createTopics(
            current,
            [{ name, numPartitions: 1, replicationFactor: 1, assignments: [], configs: [] }],
            defaults,
            false,
          );
          const delta = new MetadataDelta(current);
          let offset = current.offset + 1n;
          for (const r of decided.records) delta.replay(r, offset++);
          current = delta.apply();
        }
      }
      const decidePerOp = ((nowMs() - t0) * 1000) / ops;
      // Replay alone.
      t0 = nowMs();
      for (let b = 0; b < blocks; b++) {
        const builder = new RecordBuilder(image);
        for (let k = 0; k < BLOCK; k++) builder.add(topicRecords(`new-${seq++}`));
      }
      const add = ((nowMs() - t0) * 1000) / ops;
      // The loader: one entry of 64 operations (128 records) replayed over the image.
      const entry = Array.from({ length: BLOCK }, () => topicRecords(`new-${seq++}`)).flat();
      const entries = blocks;
      t0 = nowMs();
      for (let k = 0; k < entries; k++) {
        const delta = new MetadataDelta(image);
        let offset = image.offset + 1n;
        for (const r of entry) delta.replay(r, offset++);
        delta.apply();
      }
      const loaderEntry = ((nowMs() - t0) * 1000) / entries;
      // The membership pass, as every session change queues it.
      const membership = (sessions: ReadonlyMap<number, BrokerSessionInfo>) => {
        const start = nowMs();
        reconcileMembership(new RecordBuilder(image), sessions, RULES);
        return (nowMs() - start) * 1000;
      };
      const registered = sessionsOf(image);
      const fenced = new Map([...registered].filter(([id]) => id !== 1));
      const membershipPass = membership(registered);
      const fencePass = membership(fenced);
      if (round === 0) continue; // warm-up
      result.decideAddUs.push(decideAdd);
      result.decideDeltaPerOpUs.push(decidePerOp);
      result.addUs.push(add);
      result.loaderEntryUs.push(loaderEntry);
      result.membershipUs.push(membershipPass);
      result.fenceUs.push(fencePass);
    }
  }
  for (const r of results) {
    options.log(
      `  ${r.topics} topics: decide+add ${median(r.decideAddUs).toFixed(1)} µs/op (a delta per decision: ${median(r.decideDeltaPerOpUs).toFixed(1)}), add ${median(r.addUs).toFixed(1)} µs/op, loader ${median(r.loaderEntryUs).toFixed(0)} µs per 64-op entry, membership pass ${median(r.membershipUs).toFixed(0)} µs (one broker fenced: ${median(r.fenceUs).toFixed(0)} µs)`,
    );
  }
  return results;
}
