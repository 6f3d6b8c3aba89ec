import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import {
  ApiKey,
  BATCH_HEADER_BYTES,
  BATCH_OFFSET_ATTRIBUTES,
  BATCH_OFFSET_BASE_OFFSET,
  BATCH_OFFSET_BASE_SEQUENCE,
  BATCH_OFFSET_CRC,
  BATCH_OFFSET_LAST_OFFSET_DELTA,
  BATCH_OFFSET_LENGTH,
  BATCH_OFFSET_MAGIC,
  BATCH_OFFSET_PRODUCER_ID,
  BATCH_OFFSET_RECORDS_COUNT,
  batchUpdateCrc,
  CompressionType,
  ErrorCode,
  errorName,
  type ProduceResponse,
} from "../../../src/protocol/index.js";
import { type BrookServer, startBroker } from "../../../src/server/index.js";
import { encodeLegacySet } from "../../protocol/records/legacy-fixtures.js";
import {
  createTopic,
  fetchFrom,
  ProcessTraps,
  producerBatch,
  RawConnection,
  roundTrip,
} from "./robustness-harness.js";

/**
 * Damaged record batches inside otherwise valid Produce requests. Each is answered, for its
 * partition only, with the code Kafka gives it, and leaves that partition's log exactly as it was
 * (log end offset and bytes); a valid batch for another partition in the same request is appended.
 */

const TOPIC = "corrupt-target";
const COMPACTED = "corrupt-compacted";
const SMALL = "corrupt-small-batches";
let server: BrookServer;
let connection: RawConnection;
let traps: ProcessTraps;

before(async () => {
  traps = new ProcessTraps();
  server = await startBroker({ properties: { "num.partitions": "2" } });
  connection = await RawConnection.open(server.port);
  await createTopic(connection, TOPIC, 2);
  await roundTrip(connection, ApiKey.CreateTopics, 7, {
    topics: [
      topicWithConfigs(COMPACTED, { "cleanup.policy": "compact" }),
      topicWithConfigs(SMALL, { "max.message.bytes": "200" }),
    ],
    timeoutMs: 5000,
    validateOnly: false,
  });
  // Something in every log already, so that "unchanged" means more than "still empty".
  for (const topic of [TOPIC, COMPACTED, SMALL]) {
    for (const partition of [0, 1]) await produce(topic, [{ partition, records: producerBatch(["a"]) }], 9);
  }
});

after(async () => {
  connection?.close();
  await server?.stop();
  traps?.assertNone("corrupt batches");
  traps?.remove();
});

function topicWithConfigs(name: string, configs: Record<string, string>) {
  return {
    name,
    numPartitions: 2,
    replicationFactor: 1,
    assignments: [],
    configs: Object.entries(configs).map(([k, v]) => ({ name: k, value: v })),
  };
}

async function produce(
  topic: string,
  partitions: { partition: number; records: Buffer | null }[],
  version: number,
): Promise<Map<number, number>> {
  const response = await roundTrip<ProduceResponse>(connection, ApiKey.Produce, version, {
    transactionalId: null,
    acks: -1,
    timeoutMs: 5000,
    topicData: [
      { name: topic, partitionData: partitions.map((p) => ({ index: p.partition, records: p.records })) },
    ],
  });
  const codes = new Map<number, number>();
  for (const p of response.responses[0]?.partitionResponses ?? []) codes.set(p.index, p.errorCode);
  return codes;
}

/** The partition's log as a consumer sees it: the high watermark and every byte from offset 0. */
async function logState(topic: string, partition: number): Promise<{ logEndOffset: bigint; bytes: string }> {
  const fetched = await fetchFrom(connection, topic, partition, 0n);
  assert.equal(fetched.errorCode, ErrorCode.NONE);
  const log = server.broker.replicaManager.get(topic, partition)?.log;
  assert.ok(log !== undefined);
  assert.equal(log.logEndOffset, fetched.highWatermark, "single node: log end offset = high watermark");
  return { logEndOffset: log.logEndOffset, bytes: fetched.records.toString("hex") };
}

/** A batch with one field changed, and its CRC recomputed so that only the change is wrong. */
function withField(batch: Buffer, write: (b: Buffer) => void, fixCrc = true): Buffer {
  const out = Buffer.from(batch);
  write(out);
  if (fixCrc) batchUpdateCrc(out);
  return out;
}

const base = () => producerBatch(["one", "two", "three"]);
const gzipBatch = () => producerBatch(["one", "two", "three"], CompressionType.gzip);

interface Case {
  name: string;
  records: () => Buffer | null;
  code: number;
  topic?: string;
  version?: number;
}

const cases: Case[] = [
  {
    name: "a CRC byte flipped",
    records: () =>
      withField(base(), (b) => b.writeUInt8(b.readUInt8(BATCH_OFFSET_CRC) ^ 0xff, BATCH_OFFSET_CRC), false),
    code: ErrorCode.CORRUPT_MESSAGE,
  },
  {
    name: "a record byte flipped under an unchanged CRC",
    records: () =>
      withField(base(), (b) => b.writeUInt8(b.readUInt8(b.length - 2) ^ 0x01, b.length - 2), false),
    code: ErrorCode.CORRUPT_MESSAGE,
  },
  {
    name: "batchLength larger than the bytes sent (no complete batch)",
    records: () => withField(base(), (b) => b.writeInt32BE(b.length + 100, BATCH_OFFSET_LENGTH)),
    code: ErrorCode.INVALID_RECORD,
  },
  {
    name: "batchLength of 2^31-1",
    records: () => withField(base(), (b) => b.writeInt32BE(0x7fffffff, BATCH_OFFSET_LENGTH)),
    code: ErrorCode.INVALID_RECORD,
  },
  {
    name: "batchLength below the smallest record overhead",
    records: () => withField(base(), (b) => b.writeInt32BE(13, BATCH_OFFSET_LENGTH)),
    code: ErrorCode.CORRUPT_MESSAGE,
  },
  {
    name: "batchLength negative",
    records: () => withField(base(), (b) => b.writeInt32BE(-1, BATCH_OFFSET_LENGTH)),
    code: ErrorCode.CORRUPT_MESSAGE,
  },
  {
    name: "batchLength 3 bytes short (the batch's tail cut off, its CRC no longer matches)",
    records: () => withField(base(), (b) => b.writeInt32BE(b.length - 12 - 3, BATCH_OFFSET_LENGTH), false),
    code: ErrorCode.CORRUPT_MESSAGE,
  },
  {
    name: "batchLength below the v2 header",
    records: () => withField(base(), (b) => b.writeInt32BE(20, BATCH_OFFSET_LENGTH)).subarray(0, 32),
    code: ErrorCode.CORRUPT_MESSAGE,
  },
  {
    name: "magic 1 in a v2 batch",
    records: () => withField(base(), (b) => b.writeInt8(1, BATCH_OFFSET_MAGIC), false),
    code: ErrorCode.INVALID_RECORD,
  },
  {
    name: "magic 3",
    records: () => withField(base(), (b) => b.writeInt8(3, BATCH_OFFSET_MAGIC)),
    code: ErrorCode.CORRUPT_MESSAGE,
  },
  {
    name: "magic -1",
    records: () => withField(base(), (b) => b.writeInt8(-1, BATCH_OFFSET_MAGIC)),
    code: ErrorCode.CORRUPT_MESSAGE,
  },
  {
    name: "a magic 0 message set",
    records: () => encodeLegacySet([{ offset: 0n, magic: 0, key: null, value: Buffer.from("legacy") }]),
    code: ErrorCode.INVALID_RECORD,
  },
  {
    name: "a magic 1 message set",
    records: () =>
      encodeLegacySet([{ offset: 0n, magic: 1, timestamp: 1n, key: null, value: Buffer.from("legacy") }]),
    code: ErrorCode.INVALID_RECORD,
  },
  {
    name: "records count 0",
    records: () => withField(base(), (b) => b.writeInt32BE(0, BATCH_OFFSET_RECORDS_COUNT)),
    code: ErrorCode.INVALID_RECORD,
  },
  {
    name: "records count -1",
    records: () => withField(base(), (b) => b.writeInt32BE(-1, BATCH_OFFSET_RECORDS_COUNT)),
    code: ErrorCode.INVALID_RECORD,
  },
  {
    name: "lastOffsetDelta that does not match the records count",
    records: () => withField(base(), (b) => b.writeInt32BE(7, BATCH_OFFSET_LAST_OFFSET_DELTA)),
    code: ErrorCode.INVALID_RECORD,
  },
  {
    name: "a negative lastOffsetDelta",
    records: () => withField(base(), (b) => b.writeInt32BE(-1, BATCH_OFFSET_LAST_OFFSET_DELTA)),
    code: ErrorCode.INVALID_RECORD,
  },
  {
    name: "a baseOffset other than 0",
    records: () => withField(base(), (b) => b.writeBigInt64BE(5n, BATCH_OFFSET_BASE_OFFSET)),
    code: ErrorCode.INVALID_RECORD,
  },
  {
    name: "a control batch from a client",
    records: () => withField(base(), (b) => b.writeInt16BE(0x20, BATCH_OFFSET_ATTRIBUTES)),
    code: ErrorCode.INVALID_RECORD,
  },
  {
    name: "LogAppendTime set by the producer",
    records: () => withField(base(), (b) => b.writeInt16BE(0x08, BATCH_OFFSET_ATTRIBUTES)),
    code: ErrorCode.INVALID_TIMESTAMP,
  },
  {
    name: "a producer id with base sequence -1",
    records: () =>
      withField(base(), (b) => {
        b.writeBigInt64BE(42n, BATCH_OFFSET_PRODUCER_ID);
        b.writeInt32BE(-1, BATCH_OFFSET_BASE_SEQUENCE);
      }),
    code: ErrorCode.INVALID_RECORD,
  },
  {
    name: "compressed payload garbage under an unchanged CRC",
    records: () => withField(gzipBatch(), (b) => b.fill(0x5a, BATCH_HEADER_BYTES + 4), false),
    code: ErrorCode.CORRUPT_MESSAGE,
  },
  {
    name: "compressed payload garbage with a valid CRC, on a compacted topic (records are read for keys)",
    records: () => withField(gzipBatch(), (b) => b.fill(0x5a, BATCH_HEADER_BYTES + 4)),
    code: ErrorCode.CORRUPT_MESSAGE,
    topic: COMPACTED,
  },
  {
    // Kafka's record iterator raises InvalidRecordException: the CRC holds, the producer wrote it so.
    name: "an uncompressed record whose length runs past the batch",
    records: () => withField(base(), (b) => b.writeUInt8(0x7e, BATCH_HEADER_BYTES)),
    code: ErrorCode.INVALID_RECORD,
  },
  {
    name: "an uncompressed record whose length runs past the batch, on a compacted topic",
    records: () => withField(base(), (b) => b.writeUInt8(0x7e, BATCH_HEADER_BYTES)),
    code: ErrorCode.INVALID_RECORD,
    topic: COMPACTED,
  },
  {
    name: "two batches",
    records: () => Buffer.concat([base(), base()]),
    code: ErrorCode.INVALID_RECORD,
  },
  {
    name: "two batches with an offset gap between them",
    records: () =>
      Buffer.concat([base(), withField(base(), (b) => b.writeBigInt64BE(10n, BATCH_OFFSET_BASE_OFFSET))]),
    code: ErrorCode.INVALID_RECORD,
  },
  {
    name: "a batch followed by a size field below the record overhead",
    records: () => Buffer.concat([base(), Buffer.from([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1])]),
    code: ErrorCode.CORRUPT_MESSAGE,
  },
  { name: "empty records", records: () => Buffer.alloc(0), code: ErrorCode.INVALID_RECORD },
  { name: "null records", records: () => null, code: ErrorCode.INVALID_RECORD },
  {
    name: "fewer bytes than a batch header",
    records: () => base().subarray(0, 30),
    code: ErrorCode.INVALID_RECORD,
  },
  {
    name: "zstd before Produce v7",
    records: () => producerBatch(["z"], CompressionType.zstd),
    code: ErrorCode.UNSUPPORTED_COMPRESSION_TYPE,
    version: 3,
  },
  {
    name: "compression codec id 5 (none defined)",
    records: () => withField(base(), (b) => b.writeInt16BE(5, BATCH_OFFSET_ATTRIBUTES)),
    code: ErrorCode.UNSUPPORTED_COMPRESSION_TYPE,
  },
  {
    name: "compression codec id 7 (none defined)",
    records: () => withField(base(), (b) => b.writeInt16BE(7, BATCH_OFFSET_ATTRIBUTES)),
    code: ErrorCode.UNSUPPORTED_COMPRESSION_TYPE,
  },
  {
    name: "a batch larger than the topic's max.message.bytes",
    records: () => producerBatch(["x".repeat(300)]),
    code: ErrorCode.MESSAGE_TOO_LARGE,
    topic: SMALL,
  },
];

for (const c of cases) {
  test(`${c.name}: ${errorName(c.code)}, the log unchanged`, async () => {
    const topic = c.topic ?? TOPIC;
    const before = await logState(topic, 0);
    const neighbourBefore = await logState(topic, 1);
    const codes = await produce(
      topic,
      [
        { partition: 0, records: c.records() },
        { partition: 1, records: producerBatch(["neighbour"]) },
      ],
      c.version ?? 9,
    );
    assert.equal(errorName(codes.get(0) ?? -1), errorName(c.code), "the damaged partition's code");
    assert.equal(codes.get(1), ErrorCode.NONE, "the other partition's batch is appended");
    assert.deepEqual(await logState(topic, 0), before, "the damaged partition's log is unchanged");
    assert.equal((await logState(topic, 1)).logEndOffset, neighbourBefore.logEndOffset + 1n);
  });
}

test("bytes after the batch, too few for another batch, are dropped as Kafka's log append drops them", async () => {
  const before = await logState(TOPIC, 0);
  const batch = base();
  const codes = await produce(
    TOPIC,
    [{ partition: 0, records: Buffer.concat([batch, Buffer.alloc(11, 7)]) }],
    9,
  );
  assert.equal(codes.get(0), ErrorCode.NONE);
  const afterState = await fetchFrom(connection, TOPIC, 0, before.logEndOffset);
  assert.equal(afterState.highWatermark, before.logEndOffset + 3n);
  assert.equal(
    afterState.records.length,
    batch.length,
    "the stored batch is the batch, without the trailing bytes",
  );
});

test("the same damaged batches at every Produce version from 3 to 11 leave the log unchanged", async () => {
  const before = await logState(TOPIC, 0);
  for (let version = 3; version <= 11; version++) {
    for (const c of cases.filter((x) => x.topic === undefined && x.version === undefined)) {
      const codes = await produce(TOPIC, [{ partition: 0, records: c.records() }], version);
      assert.equal(errorName(codes.get(0) ?? -1), errorName(c.code), `${c.name} at v${version}`);
    }
  }
  assert.deepEqual(await logState(TOPIC, 0), before);
});
