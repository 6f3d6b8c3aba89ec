import { assert } from "../base/index.js";

/** A range of producer ids the controller gave this broker: [firstProducerId, firstProducerId + size). */
export interface ProducerIdBlock {
  readonly firstProducerId: bigint;
  readonly size: number;
}

/**
 * Hands out producer ids (Kafka's ProducerIdManager, KIP-730). Ids come in blocks that the
 * controller allocates through the metadata log: a block is committed there before any of its ids
 * is handed out, and the controller never allocates a range twice, so an id is never given to two
 * producers, across restarts and brokers included. Ids of a block that was not used up before a
 * restart are skipped, as in Kafka. Callers that arrive while a block is being fetched wait for it.
 */
export class ProducerIdManager {
  private readonly allocate: () => Promise<ProducerIdBlock>;
  private nextId = 0n;
  private blockEnd = 0n;
  private fetching: Promise<void> | null = null;

  constructor(allocate: () => Promise<ProducerIdBlock>) {
    this.allocate = allocate;
  }

  async generateProducerId(): Promise<bigint> {
    while (this.nextId >= this.blockEnd) {
      this.fetching ??= this.fetchBlock().finally(() => {
        this.fetching = null;
      });
      await this.fetching;
    }
    const id = this.nextId;
    this.nextId++;
    return id;
  }

  private async fetchBlock(): Promise<void> {
    const block = await this.allocate();
    assert(block.size > 0 && block.firstProducerId >= 0n, "a producer id block is a non-empty range");
    assert(block.firstProducerId >= this.blockEnd, "producer id blocks only move forward");
    this.nextId = block.firstProducerId;
    this.blockEnd = block.firstProducerId + BigInt(block.size);
  }
}
