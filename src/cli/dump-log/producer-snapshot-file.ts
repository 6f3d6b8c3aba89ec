import { decodeProducerSnapshot, type ProducerStateEntry, StorageError } from "../../storage/index.js";
import type { DumpOutput } from "./dump-output.js";
import { readWholeFile } from "./segment-file.js";

/**
 * A `.snapshot` file (producer state, Kafka's ProducerStateManager snapshot), read with Brook's
 * own decoder: a line per entry of the file, as Kafka's readSnapshot yields them. Brook writes an
 * entry per retained batch of a producer (Kafka one per producer), which its decoder folds into
 * one producer with up to five batches: unfolded here, a batch a line, what the file holds. A
 * snapshot that fails its checks is reported on stderr and the dump goes on, as in Kafka.
 */
export function dumpProducerSnapshot(path: string, out: DumpOutput): void {
  let producers: ProducerStateEntry[];
  try {
    producers = decodeProducerSnapshot(readWholeFile(path), path);
  } catch (error) {
    if (!(error instanceof StorageError)) throw error;
    out.errln(error.message);
    return;
  }
  for (const p of producers) {
    const txnFirst =
      p.currentTxnFirstOffset >= 0n ? `OptionalLong[${p.currentTxnFirstOffset}]` : "OptionalLong.empty";
    const head =
      `producerId: ${p.producerId} producerEpoch: ${p.producerEpoch} coordinatorEpoch: ${p.coordinatorEpoch} ` +
      `currentTxnFirstOffset: ${txnFirst} lastTimestamp: `;
    // An entry's timestamp is its batch's: the file keeps one per entry.
    if (p.batches.length === 0) out.println(`${head}${p.lastTimestamp} `);
    for (const b of p.batches) {
      out.println(
        `${head}${b.timestamp} firstSequence: ${b.firstSeq} lastSequence: ${b.lastSeq} ` +
          `lastOffset: ${b.lastOffset} offsetDelta: ${b.lastOffset - b.firstOffset} timestamp: ${b.timestamp}`,
      );
    }
  }
}
