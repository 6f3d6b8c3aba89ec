import { MetadataDelta } from "../metadata-delta.js";
import type { MetadataImage } from "../metadata-image.js";
import type { MetadataRecord } from "../metadata-records.js";

/**
 * Records the controller is about to append, and the image they lead to: each decision is made
 * against the image that already includes the decisions before it in the same entry, and a
 * record that needs its own offset (a broker epoch) knows it before it is written.
 *
 * All records go through one MetadataDelta, so the image's maps are copied once per builder (one
 * entry) rather than once per decision: with thousands of topics a copy per decision cost more
 * than the etcd commit it was waiting for. The price is that `image` is a view: valid until the
 * next `add` or `rollback`, which change the maps it shares. Decisions read it synchronously and
 * keep nothing from it but immutable parts (a topic, a partition, a broker registration); once the
 * builder is done, its last image is an ordinary immutable image.
 */
export class RecordBuilder {
  private readonly base: MetadataImage;
  private delta: MetadataDelta;
  private current: MetadataImage;
  private readonly pending: MetadataRecord[] = [];

  constructor(image: MetadataImage) {
    this.base = image;
    this.delta = new MetadataDelta(image);
    this.current = image;
  }

  /** The image with every record added so far (valid until the next add or rollback). */
  get image(): MetadataImage {
    return this.current;
  }

  /** The offset the next added record will have. */
  get nextOffset(): bigint {
    return this.current.offset + 1n;
  }

  get records(): readonly MetadataRecord[] {
    return this.pending;
  }

  /** Where the builder is now, to go back to if a decision fails half-way. */
  mark(): { count: number } {
    return { count: this.pending.length };
  }

  rollback(mark: { count: number }): void {
    // Records replayed into the delta cannot be taken out of it: start again from the base image
    // with the ones kept (a failed decision is rare; this costs what a decision used to).
    this.rebuild(this.pending.slice(0, mark.count));
  }

  add(records: readonly MetadataRecord[]): void {
    if (records.length === 0) return;
    let offset = this.nextOffset;
    try {
      for (const record of records) {
        this.delta.replay(record, offset);
        offset++;
      }
    } catch (error) {
      // A record the image refused (an assertion): the delta holds part of the batch; drop it.
      this.rebuild([...this.pending]);
      throw error;
    }
    this.current = this.delta.apply();
    this.pending.push(...records);
  }

  private rebuild(records: readonly MetadataRecord[]): void {
    this.delta = new MetadataDelta(this.base);
    this.current = this.base;
    this.pending.length = 0;
    this.add(records);
  }
}
