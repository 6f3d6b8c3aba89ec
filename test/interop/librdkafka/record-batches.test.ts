import assert from "node:assert/strict";
import { type ChildProcess, execFileSync, spawn, spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { connect } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import {
  CompressionType,
  encodeRecordBatch,
  type RecordInput,
  type SnappyFraming,
  Writer,
} from "../../../src/protocol/index.js";

/**
 * librdkafka (through kcat 1.7.1 / librdkafka 2.0.2) consumes the record batches Brook writes, for
 * every codec and both Snappy framings, with CRC checking on. The batches are produced as they are
 * into librdkafka's own mock cluster (which stores and serves them unchanged), then fetched and
 * decoded by kcat. Needs cc, librdkafka-dev and kcat (apt-get install -y kcat librdkafka-dev).
 */

/** A librdkafka mock cluster: creates the topics given, prints its bootstrap address, runs until killed. */
const MOCK_SOURCE = `
#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>
#include <stdio.h>
#include <unistd.h>
int main(int argc, char **argv) {
  char errstr[512];
  rd_kafka_conf_t *conf = rd_kafka_conf_new();
  rd_kafka_conf_set(conf, "log_level", "3", errstr, sizeof(errstr));
  rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, sizeof(errstr));
  if (!rk) return 1;
  rd_kafka_mock_cluster_t *mc = rd_kafka_mock_cluster_new(rk, 1);
  if (!mc) return 1;
  for (int i = 1; i < argc; i++) rd_kafka_mock_topic_create(mc, argv[i], 1, 1);
  printf("%s\\n", rd_kafka_mock_cluster_bootstraps(mc));
  fflush(stdout);
  for (;;) pause();
}
`;

const CASES: { topic: string; compression: number; snappyFraming: SnappyFraming }[] = [
  { topic: "brook-none", compression: CompressionType.none, snappyFraming: "xerial" },
  { topic: "brook-gzip", compression: CompressionType.gzip, snappyFraming: "xerial" },
  { topic: "brook-snappy-xerial", compression: CompressionType.snappy, snappyFraming: "xerial" },
  { topic: "brook-snappy-raw", compression: CompressionType.snappy, snappyFraming: "raw" },
  { topic: "brook-lz4", compression: CompressionType.lz4, snappyFraming: "xerial" },
  { topic: "brook-zstd", compression: CompressionType.zstd, snappyFraming: "xerial" },
];
const RECORD_COUNT = 300;
const BASE_TIMESTAMP = 1_700_000_000_000;

function records(topic: string): RecordInput[] {
  return Array.from({ length: RECORD_COUNT }, (_, i) => ({
    key: i % 100 === 7 ? null : Buffer.from(`k-${i}`),
    value: i % 120 === 3 ? null : Buffer.from(`v-${i}-${topic} ${"payload ".repeat(i % 40)}`),
    headers: i % 2 === 1 ? [{ key: "h", value: Buffer.from(`x${i}`) }] : [],
    timestamp: BigInt(BASE_TIMESTAMP + i * 3),
  }));
}

/** What kcat prints for records(topic) with -Z -f '%o|%k|%s|%h|%T\n'. */
function expectedLines(topic: string): string[] {
  return records(topic).map(
    (r, i) =>
      `${i}|${r.key?.toString() ?? "NULL"}|${r.value?.toString() ?? "NULL"}|${i % 2 === 1 ? `h=x${i}` : ""}|${BASE_TIMESTAMP + i * 3}`,
  );
}

/** A Produce v3 request (acks 1) carrying one batch for partition 0 of `topic`. */
function produceRequest(correlationId: number, topic: string, batch: Buffer): Buffer {
  const w = new Writer();
  w.int32(0).int16(0).int16(3).int32(correlationId).nullableString("brook-interop");
  w.nullableString(null).int16(1).int32(10_000);
  w.int32(1).string(topic).int32(1).int32(0).bytes(batch);
  const frame = w.toBuffer();
  frame.writeInt32BE(frame.length - 4, 0);
  return frame;
}

/** Sends every request and resolves with the error code of each response, in order. */
function produceAll(address: string, requests: Buffer[]): Promise<number[]> {
  const [host, port] = address.split(":") as [string, string];
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), host);
    const errorCodes: number[] = [];
    let pending = Buffer.alloc(0);
    socket.on("error", reject);
    socket.on("data", (data) => {
      pending = Buffer.concat([pending, data]);
      while (pending.length >= 4 && pending.length >= 4 + pending.readInt32BE(0)) {
        const frame = pending.subarray(4, 4 + pending.readInt32BE(0));
        pending = pending.subarray(4 + frame.length);
        // correlationId | [name | [partition | errorCode ...]]
        const nameBytes = frame.readInt16BE(8);
        errorCodes.push(frame.readInt16BE(10 + nameBytes + 8));
        if (errorCodes.length === requests.length) {
          socket.end();
          resolve(errorCodes);
        }
      }
    });
    for (const request of requests) socket.write(request);
  });
}

function firstLine(child: ChildProcess): Promise<string> {
  return new Promise((resolve, reject) => {
    let out = "";
    child.stdout?.on("data", (data: Buffer) => {
      out += data.toString();
      const newline = out.indexOf("\n");
      if (newline >= 0) resolve(out.slice(0, newline).trim());
    });
    child.on("exit", (code) => reject(new Error(`mock cluster exited with ${code}`)));
  });
}

test("librdkafka consumes the batches Brook writes, every codec and both snappy framings", async (t) => {
  const dir = mkdtempSync(join(tmpdir(), "brook-librdkafka-"));
  writeFileSync(join(dir, "mock.c"), MOCK_SOURCE);
  execFileSync("cc", ["-O1", "-o", join(dir, "mock"), join(dir, "mock.c"), "-lrdkafka"]);
  const mock = spawn(
    join(dir, "mock"),
    CASES.map((c) => c.topic),
    { stdio: ["ignore", "pipe", "inherit"] },
  );
  t.after(() => {
    mock.kill("SIGKILL");
    rmSync(dir, { recursive: true, force: true });
  });
  const bootstrap = await firstLine(mock);

  const requests = CASES.map((c, i) =>
    produceRequest(
      i + 1,
      c.topic,
      encodeRecordBatch(
        { records: records(c.topic), compression: c.compression },
        { snappyFraming: c.snappyFraming },
      ),
    ),
  );
  assert.deepEqual(
    await produceAll(bootstrap, requests),
    CASES.map(() => 0),
  );

  for (const c of CASES) {
    const kcat = spawnSync(
      "kcat",
      ["-C", "-b", bootstrap, "-t", c.topic, "-p", "0", "-o", "beginning", "-e", "-q", "-Z"].concat([
        "-X",
        "check.crcs=true",
        "-f",
        "%o|%k|%s|%h|%T\\n",
      ]),
      { encoding: "utf8", timeout: 30_000 },
    );
    assert.equal(kcat.status, 0, `kcat on ${c.topic}: ${kcat.stderr}`);
    assert.equal(kcat.stderr, "", c.topic);
    assert.deepEqual(kcat.stdout.split("\n").filter(Boolean), expectedLines(c.topic), c.topic);
  }
});
