import { existsSync } from "node:fs";
import { decodeAbortedTxns, StorageError } from "../../storage/index.js";
import { DumpLogError, type DumpOutput } from "./dump-output.js";
import { readWholeFile } from "./segment-file.js";

/**
 * A `.txnindex` file (the segment's aborted transactions), read with Brook's decoder, a line per
 * entry. A missing file is a segment without aborted transactions (Kafka creates it on the first
 * one): nothing to print.
 */
export function dumpTxnIndex(path: string, out: DumpOutput): void {
  if (!existsSync(path)) return;
  let txns: ReturnType<typeof decodeAbortedTxns>;
  try {
    txns = decodeAbortedTxns(readWholeFile(path), path);
  } catch (error) {
    if (!(error instanceof StorageError)) throw error;
    throw new DumpLogError(error.message, { cause: error });
  }
  for (const t of txns) {
    // Brook's decoder takes only version 0 entries, the one version there is.
    out.println(
      `version: 0 producerId: ${t.producerId} firstOffset: ${t.firstOffset} lastOffset: ${t.lastOffset} lastStableOffset: ${t.lastStableOffset}`,
    );
  }
}
