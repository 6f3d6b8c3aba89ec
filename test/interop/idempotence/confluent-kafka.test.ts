import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";
import {
  ApiKey,
  batchCompression,
  batchProducerId,
  batchSizeBytes,
  CompressionType,
} from "../../../src/protocol/index.js";
import { type BrookServer, startBroker } from "../../../src/server/index.js";
import { WireClient } from "../../helpers/kafka-wire.js";
import { LossyProxy } from "./lossy-proxy.js";

/**
 * confluent-kafka for Python (Debian's python3-confluent-kafka on librdkafka 2.0.2) with
 * enable.idempotence=true against an in-process broker: every codec is produced and read back
 * exactly once, and with a proxy that loses Produce responses the client's retries are answered
 * as duplicates, so the log still holds each message once. Needs /usr/bin/python3 with
 * confluent_kafka (apt-get install -y python3-confluent-kafka).
 */
const PYTHON = "/usr/bin/python3";
const HERE = dirname(fileURLToPath(import.meta.url));
/** The script sits beside this file in test/ (also when this runs compiled from dist/test). */
const SCRIPT = join(HERE, "idempotent_roundtrip.py").replace(`${join("dist", "test")}`, "test");
const MESSAGES = Number(process.env.BROOK_IDEMPOTENCE_MESSAGES ?? 600);
const PARTITIONS = 3;
const CLIENT_TIMEOUT_MS = 120_000;

interface RoundTrip {
  acked: [number, number, string][];
  read: [number, number, string][];
  unflushed: number;
  produceErrors: string[];
  consumeErrors: string[];
}

async function runClient(bootstrap: string, topic: string, codec: string): Promise<RoundTrip> {
  const child = spawn(PYTHON, [SCRIPT, bootstrap, topic, codec, String(MESSAGES), String(PARTITIONS)]);
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (d: Buffer) => {
    stdout += d.toString();
  });
  child.stderr.on("data", (d: Buffer) => {
    stderr = (stderr + d.toString()).slice(-8192);
  });
  const timer = setTimeout(() => child.kill("SIGKILL"), CLIENT_TIMEOUT_MS);
  const code = await new Promise<number | null>((resolve) => child.on("close", resolve));
  clearTimeout(timer);
  assert.equal(code, 0, `python client failed (${code}): ${stderr}`);
  return JSON.parse(stdout) as RoundTrip;
}

async function createTopics(server: BrookServer, names: string[]): Promise<void> {
  const client = await WireClient.connect(server.broker.listeners[0]?.boundPort ?? server.port);
  try {
    await client.request(ApiKey.CreateTopics, 5, {
      topics: names.map((name) => ({ name, numPartitions: PARTITIONS, replicationFactor: 1 })),
      timeoutMs: 5000,
    });
  } finally {
    client.close();
  }
}

/** Every message acknowledged once, read back once, at the offset it was acknowledged with. */
function assertExactlyOnce(result: RoundTrip, codec: string): void {
  assert.deepEqual(result.produceErrors, []);
  assert.deepEqual(result.consumeErrors, []);
  assert.equal(result.unflushed, 0);
  assert.equal(result.acked.length, MESSAGES);
  const expected = Array.from({ length: MESSAGES }, (_, i) => `${codec}-${i}`).sort();
  assert.deepEqual(result.acked.map((a) => a[2]).sort(), expected);
  assert.deepEqual(result.read.map((r) => r[2]).sort(), expected, "each message read back exactly once");
  const key = (m: [number, number, string]) => `${m[0]}/${m[1]}/${m[2]}`;
  assert.deepEqual(result.read.map(key).sort(), result.acked.map(key).sort());
}

/** Codec ids and producer ids of the batches in the topic's logs. */
function storedBatches(
  server: BrookServer,
  topic: string,
): { codecs: Set<number>; producerIds: Set<bigint> } {
  const codecs = new Set<number>();
  const producerIds = new Set<bigint>();
  for (const p of server.broker.replicaManager.all()) {
    if (p.topic !== topic) continue;
    let offset = p.log.logStartOffset;
    for (let reads = 0; offset < p.log.logEndOffset && reads < 10_000; reads++) {
      const r = p.log.read({ fetchOffset: offset, maxBytes: 1 << 20 });
      for (const buf of r.records) {
        for (let at = 0; at < buf.length; at += batchSizeBytes(buf, at)) {
          codecs.add(batchCompression(buf, at));
          producerIds.add(batchProducerId(buf, at));
        }
      }
      offset = r.nextOffset;
    }
  }
  return { codecs, producerIds };
}

const CODECS: [string, number][] = [
  ["gzip", CompressionType.gzip],
  ["snappy", CompressionType.snappy],
  ["lz4", CompressionType.lz4],
  ["zstd", CompressionType.zstd],
];

test("librdkafka idempotent producers: every codec produced and consumed back exactly once", {
  skip: existsSync(PYTHON) ? false : "no /usr/bin/python3",
}, async () => {
  const server = await startBroker();
  try {
    await createTopics(
      server,
      CODECS.map(([codec]) => `idem-${codec}`),
    );
    const results = await Promise.all(
      CODECS.map(([codec]) => runClient(server.bootstrap, `idem-${codec}`, codec)),
    );
    CODECS.forEach(([codec, id], i) => {
      assertExactlyOnce(results[i] as RoundTrip, codec);
      const stored = storedBatches(server, `idem-${codec}`);
      assert.deepEqual([...stored.codecs], [id], `${codec} batches stored as sent`);
      assert.equal(stored.producerIds.size, 1);
      assert.ok(([...stored.producerIds][0] as bigint) >= 0n, "batches carry the producer id");
    });
  } finally {
    await server.stop();
  }
});

test("librdkafka retries after lost Produce responses are recognised: the log holds each message once", {
  skip: existsSync(PYTHON) ? false : "no /usr/bin/python3",
}, async () => {
  const proxy = await LossyProxy.start(3);
  const server = await startBroker({
    properties: { "advertised.listeners": `PLAINTEXT://127.0.0.1:${proxy.port}` },
  });
  try {
    proxy.forwardTo(server.broker.listeners[0]?.boundPort ?? 0);
    await createTopics(server, ["idem-lossy"]);
    const result = await runClient(`127.0.0.1:${proxy.port}`, "idem-lossy", "lz4");
    assert.ok(proxy.dropped >= 1, "the proxy lost at least one Produce response");
    assertExactlyOnce(result, "lz4");
    let stored = 0;
    for (const p of server.broker.replicaManager.all()) {
      if (p.topic === "idem-lossy") stored += Number(p.log.logEndOffset - p.log.logStartOffset);
    }
    assert.equal(stored, MESSAGES, "no retried batch was appended twice");
  } finally {
    await server.stop();
    await proxy.stop();
  }
});
