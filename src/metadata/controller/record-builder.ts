import { MetadataDelta } from "../metadata-delta.js";
import type { MetadataImage } from "../metadata-image.js";
import type { MetadataRecord } from "../metadata-records.js";

/**
 * Records the controller is about to append, and the image they lead to: each decision is made
 * against the image that already includes the decisions before it in the same entry, and a
 * record that needs its own offset (a broker epoch) knows it before it is written.
 */
export class RecordBuilder {
  private current: MetadataImage;
  private readonly pending: MetadataRecord[] = [];

  constructor(image: MetadataImage) {
    this.current = image;
  }

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
  mark(): { image: MetadataImage; count: number } {
    return { image: this.current, count: this.pending.length };
  }

  rollback(mark: { image: MetadataImage; count: number }): void {
    this.current = mark.image;
    this.pending.length = mark.count;
  }

  add(records: readonly MetadataRecord[]): void {
    if (records.length === 0) return;
    const delta = new MetadataDelta(this.current);
    let offset = this.nextOffset;
    for (const record of records) {
      delta.replay(record, offset);
      offset++;
    }
    this.current = delta.apply();
    this.pending.push(...records);
  }
}
