import { assert } from "../base/index.js";

/** A range of producer ids the controller gave this broker: [firstProducerId, firstProducerId + size). */
export interface ProducerIdBlock {
  readonly firstProducerId: bigint;
  readonly size: number;
}

/**
 * Hands out producer ids (Kafka's ProducerIdManager, KIP-730). Ids come in blocks that the
 * controller allocates through the metadata log: a block is recorded (and fsynced) there before
 * any of its ids is handed out, and the controller never allocates a range twice, so an id is
 * never given to two producers, across restarts included. Ids of a block that was not used up
 * before a restart are skipped, as in Kafka.
 *
 * `allocate` is synchronous here (the metadata commit of a single node is), so no block is
 * fetched ahead of need.
 */
export class ProducerIdManager {
  private readonly allocate: () => ProducerIdBlock;
  private nextId = 0n;
  private blockEnd = 0n;

  constructor(allocate: () => ProducerIdBlock) {
    this.allocate = allocate;
  }

  generateProducerId(): bigint {
    if (this.nextId >= this.blockEnd) {
      const block = this.allocate();
      assert(block.size > 0 && block.firstProducerId >= 0n, "a producer id block is a non-empty range");
      assert(block.firstProducerId >= this.blockEnd, "producer id blocks only move forward");
      this.nextId = block.firstProducerId;
      this.blockEnd = block.firstProducerId + BigInt(block.size);
    }
    const id = this.nextId;
    this.nextId++;
    return id;
  }
}
