import { assert, type Logger } from "../base/index.js";
import { type MetadataChanges, MetadataDelta } from "./metadata-delta.js";
import { MetadataImage } from "./metadata-image.js";
import { imageFromSnapshot } from "./metadata-snapshot.js";
import type { MetadataEntry, MetadataQuorum, MetadataSnapshot, Subscription } from "./store/index.js";

export type MetadataPublisher = (
  image: MetadataImage,
  changes: MetadataChanges,
  previous: MetadataImage,
) => void;

/**
 * Follows the committed metadata log and publishes each new image with what changed. Every part
 * of a node (the broker's replicas and coordinators, the controller) reads the image from here,
 * so the image always equals the log prefix applied so far.
 */
export class MetadataLoader {
  private readonly quorum: MetadataQuorum;
  private readonly log: Logger;
  private current: MetadataImage = MetadataImage.EMPTY;
  private readonly publishers = new Set<MetadataPublisher>();
  private waiters: { offset: bigint; resolve: () => void }[] = [];
  private subscription: Subscription | null = null;
  private unavailable = false;

  constructor(quorum: MetadataQuorum, log: Logger) {
    this.quorum = quorum;
    this.log = log;
  }

  get image(): MetadataImage {
    return this.current;
  }

  /** Starts following after the current image's offset. */
  start(): void {
    assert(this.subscription === null, "the loader starts once");
    this.subscription = this.quorum.follow(this.current.offset, {
      snapshot: (s) => this.applySnapshot(s),
      entries: (entries) => this.applyEntries(entries),
      unavailable: (error) => {
        if (!this.unavailable) {
          this.unavailable = true;
          this.log.warn(
            `metadata store unreachable, serving with the image at offset ${this.current.offset}: ${error.message}`,
          );
        }
      },
    });
  }

  stop(): void {
    this.subscription?.stop();
    this.subscription = null;
  }

  /** Called with every new image, after it is live. */
  onPublish(publisher: MetadataPublisher): () => void {
    this.publishers.add(publisher);
    return () => this.publishers.delete(publisher);
  }

  /** Resolves once the image includes `offset`. */
  whenApplied(offset: bigint): Promise<void> {
    if (this.current.offset >= offset) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push({ offset, resolve }));
  }

  /** Resolves once this node has applied everything committed when it was called. */
  async catchUp(): Promise<void> {
    const end = await this.quorum.committedEnd();
    await this.whenApplied(end - 1n);
  }

  private applySnapshot(snapshot: MetadataSnapshot): void {
    assert(snapshot.offset >= this.current.offset, "a snapshot never takes the image back");
    const previous = this.current;
    const image = imageFromSnapshot(snapshot.records, snapshot.offset);
    this.publish(
      image,
      { snapshot: true, topics: new Map(), removedTopics: new Map(), brokers: new Set(), configs: new Set() },
      previous,
    );
  }

  private applyEntries(entries: readonly MetadataEntry[]): void {
    const previous = this.current;
    const delta = new MetadataDelta(previous);
    for (const entry of entries) {
      assert(
        entry.baseOffset === delta.offset + 1n,
        () => `metadata entry at ${entry.baseOffset} after ${delta.offset}`,
      );
      for (const [i, record] of entry.records.entries()) delta.replay(record, entry.baseOffset + BigInt(i));
    }
    this.publish(delta.apply(), delta.changes, previous);
  }

  private publish(image: MetadataImage, changes: MetadataChanges, previous: MetadataImage): void {
    if (this.unavailable) {
      this.log.info(`metadata store reachable again at offset ${image.offset}`);
      this.unavailable = false;
    }
    this.current = image;
    for (const publisher of this.publishers) publisher(image, changes, previous);
    if (this.waiters.length > 0) {
      const ready = this.waiters.filter((w) => w.offset <= image.offset);
      this.waiters = this.waiters.filter((w) => w.offset > image.offset);
      for (const w of ready) w.resolve();
    }
  }
}
