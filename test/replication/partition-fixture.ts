import { encodeRecordBatch, randomUuid } from "../../src/protocol/index.js";
import { Partition, type PartitionState } from "../../src/replication/index.js";
import type { LogConfig, LogManager } from "../../src/storage/index.js";
import { newClock, openManager, tempDir } from "../storage/helpers.js";

/** Leader-side Partitions on a log manager of their own (broker 1), for one test file. */
export class PartitionFixture {
  private readonly dir: ReturnType<typeof tempDir>;
  readonly clock = newClock();
  private manager: LogManager | undefined;

  constructor(prefix: string) {
    this.dir = tempDir(prefix);
  }

  /** A partition of a new topic, as broker 1 sees it in `state`. */
  async partition(topic: string, state: PartitionState, config?: LogConfig): Promise<Partition> {
    this.manager ??= await openManager(this.dir.path, this.clock);
    const topicId = randomUuid();
    const log = this.manager.getOrCreateLog({ topic, partition: 0 }, config, topicId);
    return new Partition({
      topic,
      partitionIndex: 0,
      topicId,
      log,
      localBrokerId: 1,
      state,
      producerState: { producerIdExpirationMs: 86_400_000, clock: this.clock },
      clock: this.clock,
    });
  }

  close(): void {
    this.manager?.closeUncleanly();
    this.dir.cleanup();
  }
}

/** A batch of `n` small records. */
export const batchOf = (n: number): Buffer =>
  encodeRecordBatch({
    records: Array.from({ length: n }, (_, i) => ({ key: null, value: Buffer.from(`v${i}`), timestamp: 1n })),
  });
