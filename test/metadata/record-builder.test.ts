import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import { RecordBuilder } from "../../src/metadata/controller/record-builder.js";
import { topicNamesCollide } from "../../src/metadata/controller/topic-name.js";
import { ConfigResourceType, collidingTopicName } from "../../src/metadata/index.js";
import { MetadataDelta } from "../../src/metadata/metadata-delta.js";
import { MetadataImage } from "../../src/metadata/metadata-image.js";
import type { MetadataRecord } from "../../src/metadata/metadata-records.js";

/** One delta per batch, as the builder did before it kept one delta per entry: the reference. */
function replay(image: MetadataImage, records: readonly MetadataRecord[]): MetadataImage {
  const delta = new MetadataDelta(image);
  let offset = image.offset;
  for (const r of records) delta.replay(r, ++offset);
  return delta.apply();
}

/** The builder as it was (a delta and a new image per add): the reference. */
class ReferenceBuilder {
  image: MetadataImage;
  readonly records: MetadataRecord[] = [];
  constructor(image: MetadataImage) {
    this.image = image;
  }
  get nextOffset(): bigint {
    return this.image.offset + 1n;
  }
  mark(): { image: MetadataImage; count: number } {
    return { image: this.image, count: this.records.length };
  }
  rollback(mark: { image: MetadataImage; count: number }): void {
    this.image = mark.image;
    this.records.length = mark.count;
  }
  add(records: readonly MetadataRecord[]): void {
    if (records.length === 0) return;
    this.image = replay(this.image, records);
    this.records.push(...records);
  }
}

/** Everything an image says, in iteration order, as plain data. */
function contents(image: MetadataImage): unknown {
  return {
    offset: image.offset,
    brokers: [...image.brokers.entries()],
    topicsById: [...image.topicsById.entries()],
    topicsByName: [...image.topicsByName.entries()],
    configs: [...image.configs.entries()].map(([t, m]) => [t, [...m.entries()].map(([r, c]) => [r, [...c]])]),
    nextProducerId: image.nextProducerId,
  };
}

const id = (n: number) => `topic-id-${String(n).padStart(12, "0")}`;

function baseImage(): MetadataImage {
  const records: MetadataRecord[] = [
    {
      type: "RegisterBroker",
      brokerId: 1,
      incarnationId: "AAAAAAAAAAAAAAAAAAAAAQ",
      brokerEpoch: 0n,
      endPoints: [],
      rack: null,
      fenced: false,
    },
  ];
  for (let i = 0; i < 5; i++) {
    records.push({ type: "Topic", name: `base-${i}`, topicId: id(1000 + i) });
    records.push({
      type: "Partition",
      topicId: id(1000 + i),
      partitionId: 0,
      replicas: [1],
      isr: [1],
      leader: 1,
      leaderEpoch: 0,
      partitionEpoch: 0,
    });
  }
  return replay(MetadataImage.EMPTY, records);
}

/**
 * A decision, as the controller runs one: reads the builder's image, adds records; `fail` throws
 * after adding (the controller then rolls back to its mark).
 */
type Step = {
  kind: "create" | "partition" | "change" | "remove" | "config" | "fail" | "bad" | "bad-caught";
  pick: number;
};

type Builder = Pick<RecordBuilder, "image" | "add">;

function decide(builder: Builder, step: Step, seq: number): void {
  const image = builder.image;
  const topics = [...image.topicsById.values()];
  const some = topics[step.pick % Math.max(1, topics.length)];
  switch (step.kind) {
    case "create": {
      const name = `t-${step.pick % 7}`;
      if (image.topic(name) !== undefined) return;
      builder.add([{ type: "Topic", name, topicId: id(seq) }]);
      return;
    }
    case "partition":
      if (some === undefined) return;
      builder.add([
        {
          type: "Partition",
          topicId: some.id,
          partitionId: some.partitions.length,
          replicas: [1],
          isr: [1],
          leader: 1,
          leaderEpoch: 0,
          partitionEpoch: 0,
        },
      ]);
      return;
    case "change":
      if (some === undefined || some.partitions.length === 0) return;
      builder.add([
        { type: "PartitionChange", topicId: some.id, partitionId: 0, leader: -1, isr: null, replicas: null },
      ]);
      return;
    case "remove":
      if (some === undefined) return;
      builder.add([{ type: "RemoveTopic", topicId: some.id }]);
      return;
    case "config":
      if (some === undefined) return;
      builder.add([
        {
          type: "Config",
          resourceType: ConfigResourceType.topic,
          resourceName: some.name,
          name: "retention.ms",
          value: String(step.pick),
        },
      ]);
      return;
    case "fail":
      builder.add([{ type: "Topic", name: `doomed-${seq}`, topicId: id(seq) }]);
      throw new Error("the decision failed after adding records");
    case "bad-caught":
      // The decision catches the refusal and goes on: the builder must hold none of the batch.
      try {
        decide(builder, { kind: "bad", pick: step.pick }, seq);
      } catch {}
      builder.add([{ type: "Topic", name: `after-${seq}`, topicId: id(seq + 500_000) }]);
      return;
    case "bad":
      // A partition of a topic that does not exist: the image refuses it (an assertion).
      builder.add([
        { type: "Topic", name: `half-${seq}`, topicId: id(seq) },
        {
          type: "Partition",
          topicId: id(9_999_999),
          partitionId: 0,
          replicas: [1],
          isr: [1],
          leader: 1,
          leaderEpoch: 0,
          partitionEpoch: 0,
        },
      ]);
      return;
  }
}

const stepArb = fc.record({
  kind: fc.constantFrom(
    "create",
    "create",
    "partition",
    "change",
    "remove",
    "config",
    "fail",
    "bad",
    "bad-caught",
  ),
  pick: fc.nat(50),
}) as fc.Arbitrary<Step>;

test("one builder per entry: the same images as one delta per decision, failed decisions rolled back", () => {
  fc.assert(
    fc.property(fc.array(stepArb, { maxLength: 40 }), (steps) => {
      const base = baseImage();
      const before = contents(base);
      const builder = new RecordBuilder(base);
      const reference = new ReferenceBuilder(base);
      let seq = 0;
      for (const step of steps) {
        seq++;
        for (const b of [builder, reference] as const) {
          const mark = b.mark();
          try {
            decide(b, step, seq);
          } catch {
            (b.rollback as (m: typeof mark) => void)(mark);
          }
        }
        assert.deepEqual(builder.records, reference.records);
        assert.deepEqual(contents(builder.image), contents(reference.image));
        assert.equal(builder.nextOffset, reference.nextOffset);
      }
      assert.deepEqual(contents(replay(base, builder.records)), contents(builder.image));
      // The committed image the builder started from never changes.
      assert.deepEqual(contents(base), before);
    }),
    { numRuns: 300 },
  );
});

test("topicsByName stays in step with topicsById: same topics, same order, through removal and re-creation", () => {
  const image = replay(baseImage(), [
    { type: "RemoveTopic", topicId: id(1001) },
    { type: "Topic", name: "base-1", topicId: id(1) },
    { type: "Topic", name: "new", topicId: id(2) },
    { type: "RemoveTopic", topicId: id(1003) },
  ]);
  assert.deepEqual(
    [...image.topicsByName.values()],
    [...image.topicsById.values()],
    "the name index holds the same topic objects in the same order",
  );
  assert.deepEqual([...image.topicsByName.keys()], ["base-0", "base-2", "base-4", "base-1", "new"]);
});

test("collidingTopicName finds what a scan with topicNamesCollide finds, first in order", () => {
  const name = fc.stringMatching(/^[ab._]{1,5}$/);
  fc.assert(
    fc.property(
      name,
      fc.array(name, { maxLength: 20 }),
      fc.array(name, { maxLength: 3 }),
      (n, existing, created) => {
        const scan = [...existing, ...created].find((other) => topicNamesCollide(other, n));
        assert.equal(collidingTopicName(n, existing, created), scan);
      },
    ),
    { numRuns: 2000 },
  );
});
