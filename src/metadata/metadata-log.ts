import { assert } from "../base/index.js";
import { decodeRecordBatch, encodeRecordBatch, iterateBatches } from "../protocol/index.js";
import type { Log } from "../storage/index.js";
import { MetadataDelta } from "./metadata-delta.js";
import { MetadataImage } from "./metadata-image.js";
import { decodeMetadataRecordValue, encodeMetadataRecordValue } from "./metadata-record-codec.js";
import type { MetadataRecord } from "./metadata-records.js";

export const METADATA_TOPIC = "__cluster_metadata";
/** Bytes read per step while replaying the metadata log at start-up. */
const REPLAY_READ_BYTES = 4 * 1024 * 1024;

export type MetadataListener = (image: MetadataImage, previous: MetadataImage) => void;

/**
 * The cluster metadata log (`__cluster_metadata-0`) of a single controller: committed records in
 * Kafka's metadata record format, replayed into an immutable image at start-up and after every
 * append. A write is fsynced before it counts, as KRaft does, because it is the only copy of the
 * cluster's shape. With a multi-node quorum, Raft decides commitment and this class only replays.
 */
export class MetadataLog {
  private readonly log: Log;
  private readonly leaderEpoch: number;
  private current: MetadataImage;
  private readonly listeners = new Set<MetadataListener>();

  private constructor(log: Log, leaderEpoch: number, image: MetadataImage) {
    this.log = log;
    this.leaderEpoch = leaderEpoch;
    this.current = image;
  }

  /** Replays the whole log into an image. */
  static load(log: Log, leaderEpoch: number): MetadataLog {
    const delta = new MetadataDelta(MetadataImage.EMPTY);
    let offset = log.logStartOffset;
    while (offset < log.logEndOffset) {
      const read = log.read({
        fetchOffset: offset,
        maxBytes: REPLAY_READ_BYTES,
        maxOffset: log.logEndOffset,
      });
      if (read.records.length === 0) break;
      for (const chunk of read.records) {
        for (const { at } of iterateBatches(chunk)) {
          const batch = decodeRecordBatch(chunk, at);
          for (const record of batch.records) {
            if (record.offset < offset || record.value === null) continue;
            const decoded = decodeMetadataRecordValue(record.value);
            if (decoded !== null) delta.replay(decoded, record.offset);
          }
        }
      }
      assert(read.nextOffset > offset, "metadata replay makes progress");
      offset = read.nextOffset;
    }
    log.updateHighWatermark(log.logEndOffset);
    return new MetadataLog(log, leaderEpoch, delta.apply());
  }

  get image(): MetadataImage {
    return this.current;
  }

  get logEndOffset(): bigint {
    return this.log.logEndOffset;
  }

  onChange(listener: MetadataListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /**
   * Appends the records as one batch (so a multi-record change is atomic), fsyncs, and publishes
   * the new image. Returns the image that includes them.
   */
  append(records: readonly MetadataRecord[]): MetadataImage {
    if (records.length === 0) return this.current;
    const batch = encodeRecordBatch({
      records: records.map((r) => ({ key: null, value: encodeMetadataRecordValue(r) })),
      partitionLeaderEpoch: this.leaderEpoch,
    });
    const info = this.log.appendAsLeader(batch, this.leaderEpoch);
    this.log.flush();
    this.log.updateHighWatermark(this.log.logEndOffset);
    const delta = new MetadataDelta(this.current);
    records.forEach((record, i) => {
      delta.replay(record, info.firstOffset + BigInt(i));
    });
    const previous = this.current;
    this.current = delta.apply();
    for (const listener of this.listeners) listener(this.current, previous);
    return this.current;
  }
}
