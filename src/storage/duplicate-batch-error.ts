import { BrookError } from "../base/index.js";
import type { BatchMetadata } from "./producer-state-entry.js";

/**
 * Thrown by the producer-state hook when a client append is a retry of a batch the partition
 * already holds (same producer id, epoch and sequence range as one of the producer's last five
 * batches). The log is left unchanged. This is not a failure: Kafka answers such a Produce with
 * NONE and the original batch's offsets, so the leader-append path (Partition.appendRecordsToLeader)
 * catches it and reports `firstOffset` / `lastOffset` as the append's result.
 *
 * Code: BRK_ERR_STORAGE_DUPLICATE_BATCH.
 */
export class DuplicateBatchError extends BrookError {
  readonly producerId: bigint;
  readonly producerEpoch: number;
  readonly firstOffset: bigint;
  readonly lastOffset: bigint;
  /** The original batch's max timestamp (its append time on LogAppendTime topics). */
  readonly timestamp: bigint;

  constructor(producerId: bigint, producerEpoch: number, original: BatchMetadata) {
    super(
      "BRK_ERR_STORAGE_DUPLICATE_BATCH",
      `batch of producer ${producerId} epoch ${producerEpoch} with sequences ${original.firstSeq}..${original.lastSeq} is already at offsets ${original.firstOffset}..${original.lastOffset}`,
    );
    this.name = "DuplicateBatchError";
    this.producerId = producerId;
    this.producerEpoch = producerEpoch;
    this.firstOffset = original.firstOffset;
    this.lastOffset = original.lastOffset;
    this.timestamp = original.timestamp;
  }
}
