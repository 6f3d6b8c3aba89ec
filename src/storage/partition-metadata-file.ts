import { join } from "node:path";
import { readTextIfExists } from "./checkpoint-file.js";
import { writeFileAtomicSync } from "./durable-file.js";
import { PARTITION_METADATA_FILE } from "./segment-files.js";
import { StorageError } from "./storage-error.js";

/**
 * `partition.metadata` in a partition directory, as Kafka writes it (KIP-516):
 *
 *   version: 0
 *   topic_id: <22-character base64url topic id>
 *
 * It ties the directory to one incarnation of the topic, so that a directory left over from a
 * deleted topic of the same name is recognised.
 */
const VERSION_LINE = /^version: (\d+)$/;
const TOPIC_ID_LINE = /^topic_id: (\S+)$/;

export function writePartitionMetadata(dir: string, topicId: string): void {
  writeFileAtomicSync(join(dir, PARTITION_METADATA_FILE), `version: 0\ntopic_id: ${topicId}\n`);
}

/** The topic id recorded in `dir`, or null when the file does not exist. */
export function readPartitionMetadata(dir: string): string | null {
  const path = join(dir, PARTITION_METADATA_FILE);
  const text = readTextIfExists(path);
  if (text === null) return null;
  const lines = text.split("\n");
  const version = VERSION_LINE.exec(lines[0] ?? "");
  const topicId = TOPIC_ID_LINE.exec(lines[1] ?? "");
  if (version === null || version[1] !== "0" || topicId === null) {
    throw new StorageError("BRK_ERR_STORAGE_CORRUPT", `Malformed partition metadata file ${path}`);
  }
  return topicId[1] as string;
}
