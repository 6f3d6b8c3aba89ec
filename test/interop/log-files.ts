import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";

/**
 * Reads a partition's segment files as the broker left them on disk (Kafka's layout:
 * `<log.dir>/<topic>-<partition>/<baseOffset>.log`, record batches back to back), to check that
 * what a client sent is what was stored: compression passes through the broker untouched.
 */
export function batchCodecsOnDisk(dataDir: string, topic: string, partition: number): number[] {
  const dir = join(dataDir, `${topic}-${partition}`);
  if (!existsSync(dir)) throw new Error(`no log directory ${dir}`);
  const codecs: number[] = [];
  for (const name of readdirSync(dir)
    .filter((n) => n.endsWith(".log"))
    .sort()) {
    const bytes = readFileSync(join(dir, name));
    // baseOffset int64 | batchLength int32 | leaderEpoch int32 | magic int8 | crc int32 | attributes int16
    for (let at = 0; at + 23 <= bytes.length; ) {
      const batchLength = bytes.readInt32BE(at + 8);
      if (batchLength <= 0 || at + 12 + batchLength > bytes.length) break;
      codecs.push(bytes.readInt16BE(at + 21) & 0x07);
      at += 12 + batchLength;
    }
  }
  return codecs;
}
