import type { DumpOutput } from "./dump-output.js";

type Pairs = Map<string, [bigint, bigint][]>;

function add(map: Pairs, file: string, pair: [bigint, bigint]): void {
  const list = map.get(file) ?? [];
  map.set(file, list);
  list.push(pair);
}

/**
 * What DumpLogSegments gathers while it dumps and prints on stderr once every file is done: index
 * entries that do not name their batch, time index entries that disagree with the log, offsets
 * that do not follow each other. Files are named by absolute path, in the order they were dumped.
 */
export class DumpReport {
  private readonly indexMismatches: Pairs = new Map();
  private readonly timestampMismatches: Pairs = new Map();
  private readonly outOfOrderTimestamps: Pairs = new Map();
  private readonly offsetsNotFound: Pairs = new Map();
  private readonly nonConsecutive: Pairs = new Map();

  indexMismatch(file: string, indexOffset: bigint, logOffset: bigint): void {
    add(this.indexMismatches, file, [indexOffset, logOffset]);
  }

  timestampMismatch(file: string, indexTimestamp: bigint, logTimestamp: bigint): void {
    add(this.timestampMismatches, file, [indexTimestamp, logTimestamp]);
  }

  outOfOrderTimestamp(file: string, indexTimestamp: bigint, previousTimestamp: bigint): void {
    add(this.outOfOrderTimestamps, file, [indexTimestamp, previousTimestamp]);
  }

  /** `logOffset` -1: no batch reaches the offset. */
  indexedOffsetNotFound(file: string, indexOffset: bigint, logOffset: bigint): void {
    add(this.offsetsNotFound, file, [indexOffset, logOffset]);
  }

  nonConsecutiveOffsets(file: string, first: bigint, second: bigint): void {
    add(this.nonConsecutive, file, [first, second]);
  }

  /**
   * Kafka's lines. Index mismatches and non-consecutive offsets come newest first: Kafka prepends
   * each to an immutable list.
   */
  print(out: DumpOutput): void {
    for (const [file, pairs] of this.indexMismatches) {
      out.errln(`Mismatches in :${file}`);
      for (const [index, log] of [...pairs].reverse())
        out.errln(`  Index offset: ${index}, log offset: ${log}`);
    }
    for (const [file, pairs] of this.timestampMismatches) {
      out.errln(`Found timestamp mismatch in :${file}`);
      for (const [index, log] of pairs) out.errln(`  Index timestamp: ${index}, log timestamp: ${log}`);
    }
    for (const [file, pairs] of this.outOfOrderTimestamps) {
      out.errln(`Found out of order timestamp in :${file}`);
      for (const [index, previous] of pairs) {
        out.errln(`  Index timestamp: ${index}, Previously indexed timestamp: ${previous}`);
      }
    }
    for (const pairs of this.offsetsNotFound.values()) {
      out.errln("The following indexed offsets are not found in the log.");
      for (const [index, log] of pairs) out.errln(`Indexed offset: ${index}, found log offset: ${log}`);
    }
    for (const [file, pairs] of this.nonConsecutive) {
      out.errln(`Non-consecutive offsets in ${file}`);
      for (const [first, second] of [...pairs].reverse()) out.errln(`  ${first} is followed by ${second}`);
    }
  }
}
