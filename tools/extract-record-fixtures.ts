/**
 * Copies the record batches found in captured Produce requests (test/fixtures/protocol/<session>/)
 * to test/fixtures/records/<client>[-<kind>]-<compression>.bin, one file per session and
 * compression (kcat-produce-gzip gives kcat-gzip.bin, kcat-transaction gives
 * kcat-transaction-none.bin), for the record batch tests. capture.sh runs it last.
 *   tsx tools/extract-record-fixtures.ts
 */
import { readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { ApiKey, decodeProduceRequest, decodeRequestFrameHeader, Reader } from "../src/protocol/index.js";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const protocolDir = join(root, "test", "fixtures", "protocol");
const recordsDir = join(root, "test", "fixtures", "records");
const COMPRESSION_NAMES = ["none", "gzip", "snappy", "lz4", "zstd"];
/** Offset of the attributes in a v2 record batch header; the low 3 bits are the compression. */
const ATTRIBUTES_AT = 21;

for (const old of readdirSync(recordsDir).filter((f) => f.endsWith(".bin"))) rmSync(join(recordsDir, old));
const written = new Set<string>();
const sessions = readdirSync(protocolDir, { withFileTypes: true }).filter((d) => d.isDirectory());
for (const session of sessions.map((d) => d.name).sort()) {
  const base = session.replace("-produce", "").replace(/-(none|gzip|snappy|lz4|zstd)$/, "");
  for (const file of readdirSync(join(protocolDir, session)).sort()) {
    if (!/-Produce-v\d+-request\.bin$/.test(file)) continue;
    const r = new Reader(readFileSync(join(protocolDir, session, file)));
    const header = decodeRequestFrameHeader(r);
    if (header.requestApiKey !== ApiKey.Produce) continue;
    const request = decodeProduceRequest(r, header.requestApiVersion);
    for (const topic of request.topicData) {
      for (const partition of topic.partitionData) {
        const records = partition.records;
        if (records === null || records.length <= ATTRIBUTES_AT) continue;
        const compression = COMPRESSION_NAMES[records.readInt16BE(ATTRIBUTES_AT) & 0x07] ?? "unknown";
        const name = `${base}-${compression}.bin`;
        if (written.has(name)) throw new Error(`two batches for ${name}`);
        written.add(name);
        writeFileSync(join(recordsDir, name), records);
        console.log(`${name}: ${records.length} bytes from ${session}/${file} (topic ${topic.name})`);
      }
    }
  }
}
