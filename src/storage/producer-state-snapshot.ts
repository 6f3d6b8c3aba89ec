import { closeSync, openSync, readdirSync, readFileSync, renameSync, rmSync, statSync } from "node:fs";
import { join } from "node:path";
import { crc32c } from "../protocol/index.js";
import { writeFileAtomicSync, writeFullySync } from "./durable-file.js";
import { decrementSequence, NO_SEQUENCE, ProducerStateEntry } from "./producer-state-entry.js";
import { offsetFileStem, PRODUCER_SNAPSHOT_FILE_SUFFIX, TMP_FILE_SUFFIX } from "./segment-files.js";
import { StorageError } from "./storage-error.js";

/**
 * Producer-state snapshot files: `<20-digit offset>.snapshot` in the partition directory, holding
 * the producer table as of that offset (everything below it applied, nothing at or above).
 *
 * Layout: Kafka's ProducerStateManager snapshot, version 1, big-endian:
 *   0  version                  int16   1
 *   2  crc                      uint32  CRC32C of every byte from offset 6 to the end
 *   6  entry count              int32
 *   10 entries, 46 bytes each:
 *        producer_id int64 | epoch int16 | last_sequence int32 | last_offset int64 |
 *        offset_delta int32 (last_offset - first offset of the batch) | timestamp int64 |
 *        coordinator_epoch int32 | current_txn_first_offset int64 (-1: none)
 *
 * Kafka writes one entry per producer (its last batch) and so forgets, across a restart, the four
 * batches before it. Brook writes one entry per retained batch, oldest first, all with the same
 * producer id, so that a retry of any of the last five batches is still recognised after a
 * restart. That stays inside Kafka's layout: Kafka's reader puts the entries into a map by
 * producer id, so the last entry of each producer, its newest batch, wins, exactly what Kafka
 * itself would have written. A producer without batches is one entry with last_offset -1.
 * Reading takes Kafka's files (one entry per producer) as they are.
 */
export const PRODUCER_SNAPSHOT_VERSION = 1;
const HEADER_BYTES = 10;
const ENTRIES_OFFSET = 6;
const ENTRY_BYTES = 46;
/** A snapshot larger than this is refused as corrupt rather than read into memory. */
export const PRODUCER_SNAPSHOT_BYTES_MAX = 256 * 1024 * 1024;

const corrupt = (path: string, why: string) =>
  new StorageError("BRK_ERR_STORAGE_CORRUPT", `producer snapshot ${path}: ${why}`);

export function encodeProducerSnapshot(entries: Iterable<ProducerStateEntry>): Buffer {
  const list = [...entries];
  const count = list.reduce((n, e) => n + Math.max(1, e.batches.length), 0);
  const buf = Buffer.alloc(HEADER_BYTES + count * ENTRY_BYTES);
  buf.writeInt16BE(PRODUCER_SNAPSHOT_VERSION, 0);
  buf.writeInt32BE(count, ENTRIES_OFFSET);
  let at = HEADER_BYTES;
  for (const entry of list) {
    const fields = (lastSeq: number, lastOffset: bigint, offsetDelta: number, timestamp: bigint) => {
      buf.writeBigInt64BE(entry.producerId, at);
      buf.writeInt16BE(entry.producerEpoch, at + 8);
      buf.writeInt32BE(lastSeq, at + 10);
      buf.writeBigInt64BE(lastOffset, at + 14);
      buf.writeInt32BE(offsetDelta, at + 22);
      buf.writeBigInt64BE(timestamp, at + 26);
      buf.writeInt32BE(entry.coordinatorEpoch, at + 34);
      buf.writeBigInt64BE(entry.currentTxnFirstOffset, at + 38);
      at += ENTRY_BYTES;
    };
    if (entry.batches.length === 0) fields(NO_SEQUENCE, -1n, 0, entry.lastTimestamp);
    for (const b of entry.batches)
      fields(b.lastSeq, b.lastOffset, Number(b.lastOffset - b.firstOffset), b.timestamp);
  }
  buf.writeUInt32BE(crc32c(buf.subarray(ENTRIES_OFFSET)), 2);
  return buf;
}

/** The producers a snapshot holds, in file order; StorageError BRK_ERR_STORAGE_CORRUPT if it fails a check. */
export function decodeProducerSnapshot(buf: Buffer, path = "(buffer)"): ProducerStateEntry[] {
  if (buf.length < HEADER_BYTES) throw corrupt(path, `${buf.length} bytes, shorter than the header`);
  const version = buf.readInt16BE(0);
  if (version !== PRODUCER_SNAPSHOT_VERSION) throw corrupt(path, `unknown version ${version}`);
  const stored = buf.readUInt32BE(2);
  const computed = crc32c(buf.subarray(ENTRIES_OFFSET));
  if (stored !== computed) throw corrupt(path, `CRC ${stored} stored, ${computed} computed`);
  const count = buf.readInt32BE(ENTRIES_OFFSET);
  if (count < 0 || HEADER_BYTES + count * ENTRY_BYTES !== buf.length)
    throw corrupt(path, `${count} entries do not fill ${buf.length} bytes`);
  const byId = new Map<bigint, ProducerStateEntry>();
  for (let at = HEADER_BYTES; at < buf.length; at += ENTRY_BYTES) {
    const producerId = buf.readBigInt64BE(at);
    const epoch = buf.readInt16BE(at + 8);
    const lastSeq = buf.readInt32BE(at + 10);
    const lastOffset = buf.readBigInt64BE(at + 14);
    const offsetDelta = buf.readInt32BE(at + 22);
    const timestamp = buf.readBigInt64BE(at + 26);
    let entry = byId.get(producerId);
    // A later entry of the same producer with another epoch or no batch replaces the earlier ones.
    if (entry === undefined || entry.producerEpoch !== epoch || lastOffset < 0n) {
      entry = new ProducerStateEntry(producerId, epoch);
      byId.delete(producerId);
      byId.set(producerId, entry);
    }
    entry.coordinatorEpoch = buf.readInt32BE(at + 34);
    entry.currentTxnFirstOffset = buf.readBigInt64BE(at + 38);
    entry.lastTimestamp = timestamp;
    if (lastOffset < 0n) continue;
    if (offsetDelta < 0 || lastSeq < 0 || lastOffset <= entry.lastDataOffset)
      throw corrupt(path, `producer ${producerId} has an invalid batch ending at ${lastOffset}`);
    entry.addBatch(epoch, {
      firstSeq: decrementSequence(lastSeq, offsetDelta),
      lastSeq,
      firstOffset: lastOffset - BigInt(offsetDelta),
      lastOffset,
      timestamp,
    });
  }
  return [...byId.values()];
}

export function producerSnapshotPath(dir: string, offset: bigint): string {
  return join(dir, `${offsetFileStem(offset)}${PRODUCER_SNAPSHOT_FILE_SUFFIX}`);
}

const SNAPSHOT_NAME = /^(\d{20})\.snapshot$/;

/** Offsets of the snapshot files in `dir`, ascending. */
export function listProducerSnapshots(dir: string): bigint[] {
  const offsets: bigint[] = [];
  for (const name of readdirSync(dir)) {
    const m = SNAPSHOT_NAME.exec(name);
    if (m !== null) offsets.push(BigInt(m[1] as string));
  }
  return offsets.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}

export function readProducerSnapshot(dir: string, offset: bigint): ProducerStateEntry[] {
  const path = producerSnapshotPath(dir, offset);
  const size = statSync(path).size;
  if (size > PRODUCER_SNAPSHOT_BYTES_MAX)
    throw corrupt(path, `${size} bytes is more than any snapshot holds`);
  return decodeProducerSnapshot(readFileSync(path), path);
}

/**
 * Writes a snapshot through a temporary file renamed into place, so a reader never sees half of
 * one. `durable` also fsyncs the file and the directory (clean shutdown); at a segment roll we skip
 * that, as Kafka flushes those later: a snapshot lost or torn by a crash fails its CRC or is missing,
 * and the state is rebuilt from an older snapshot and the log.
 */
export function writeProducerSnapshot(
  dir: string,
  offset: bigint,
  entries: Iterable<ProducerStateEntry>,
  durable: boolean,
): void {
  const path = producerSnapshotPath(dir, offset);
  const bytes = encodeProducerSnapshot(entries);
  if (durable) {
    writeFileAtomicSync(path, bytes);
    return;
  }
  const tmp = `${path}${TMP_FILE_SUFFIX}`;
  const fd = openSync(tmp, "w");
  try {
    writeFullySync(fd, bytes, 0);
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, path);
}

export function deleteProducerSnapshot(dir: string, offset: bigint): void {
  rmSync(producerSnapshotPath(dir, offset), { force: true });
}
