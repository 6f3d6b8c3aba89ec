import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import {
  ApiKey,
  BATCH_HEADER_BYTES,
  batchUpdateCrc,
  CompressionType,
  ErrorCode,
  errorName,
  type ProduceResponse,
  type ProduceResponsePartitionProduceResponse,
} from "../../../src/protocol/index.js";
import { type BrookServer, startBroker } from "../../../src/server/index.js";
import { batchWithPayload, makeBatch, recordsOf } from "../../storage/helpers.js";
import { fetchFrom, ProcessTraps, RawConnection, roundTrip } from "../robustness/robustness-harness.js";

/**
 * Produce answers for batches the record walk refuses, over the wire, for every codec: Kafka's
 * error code, RecordErrors naming the records (Produce v8+; none before), the error message, the
 * partition's log unchanged, and the next good batch appended.
 */
const PLAIN = "validated-plain";
const COMPACTED = "validated-compacted";
const BOUNDED = "validated-timestamps";
let server: BrookServer;
let connection: RawConnection;
let traps: ProcessTraps;

before(async () => {
  traps = new ProcessTraps();
  server = await startBroker({ properties: { "num.partitions": "1" } });
  connection = await RawConnection.open(server.port);
  const topic = (name: string, configs: Record<string, string>) => ({
    name,
    numPartitions: 1,
    replicationFactor: 1,
    assignments: [],
    configs: Object.entries(configs).map(([k, v]) => ({ name: k, value: v })),
  });
  await roundTrip(connection, ApiKey.CreateTopics, 7, {
    topics: [
      topic(PLAIN, {}),
      topic(COMPACTED, { "cleanup.policy": "compact" }),
      topic(BOUNDED, {
        "message.timestamp.before.max.ms": "60000",
        "message.timestamp.after.max.ms": "60000",
      }),
    ],
    timeoutMs: 5000,
    validateOnly: false,
  });
});

after(async () => {
  connection?.close();
  await server?.stop();
  traps?.assertNone("produce validation");
  traps?.remove();
});

async function produce(
  topic: string,
  records: Buffer,
  version = 9,
): Promise<ProduceResponsePartitionProduceResponse> {
  const response = await roundTrip<ProduceResponse>(connection, ApiKey.Produce, version, {
    transactionalId: null,
    acks: -1,
    timeoutMs: 5000,
    topicData: [{ name: topic, partitionData: [{ index: 0, records }] }],
  });
  const partition = response.responses[0]?.partitionResponses[0];
  assert.ok(partition !== undefined);
  return partition;
}

const highWatermark = async (topic: string): Promise<bigint> =>
  (await fetchFrom(connection, topic, 0, 0n)).highWatermark;

const now = () => BigInt(Date.now());

interface Refusal {
  code: number;
  /** The batch indexes RecordErrors must name (v8+). */
  indexes: number[];
  message: RegExp;
}

/** Produces `records` (refused as `expected`) at v9 and v7, then a good batch; the log moves only for that. */
async function assertRefused(topic: string, records: () => Buffer, expected: Refusal, good: Buffer) {
  const start = await highWatermark(topic);
  const answer = await produce(topic, records(), 9);
  assert.equal(errorName(answer.errorCode), errorName(expected.code), answer.errorMessage ?? "");
  assert.deepEqual(
    answer.recordErrors.map((e) => e.batchIndex),
    expected.indexes,
    "RecordErrors name the records",
  );
  for (const e of answer.recordErrors) assert.ok((e.batchIndexErrorMessage ?? "").length > 0);
  assert.match(answer.errorMessage ?? "", expected.message);
  assert.equal(answer.baseOffset, -1n);
  const old = await produce(topic, records(), 7);
  assert.equal(old.errorCode, expected.code, "the same code before RecordErrors existed");
  assert.deepEqual(old.recordErrors, []);
  assert.equal(await highWatermark(topic), start, "nothing of the refused batch is stored");
  const next = await produce(topic, good);
  assert.equal(next.errorCode, ErrorCode.NONE);
  assert.equal(next.baseOffset, start);
  assert.equal(await highWatermark(topic), start + BigInt(good.readInt32BE(57)));
}

const CODECS = [
  ["none", CompressionType.none],
  ["gzip", CompressionType.gzip],
  ["snappy", CompressionType.snappy],
  ["lz4", CompressionType.lz4],
  ["zstd", CompressionType.zstd],
] as const;

for (const [name, codec] of CODECS) {
  const good = () =>
    makeBatch({ values: ["g1", "g2"], keys: ["a", "b"], timestamp: now(), compression: codec });

  test(`${name}: a header count above the records is INVALID_RECORD naming the missing record`, async () => {
    await assertRefused(
      PLAIN,
      () => batchWithPayload(recordsOf(["a", "b", "c"], now()), 4, codec, now()),
      { code: ErrorCode.INVALID_RECORD, indexes: [3], message: /premature EOF/ },
      good(),
    );
  });

  test(`${name}: a header count below the records is INVALID_RECORD naming the last counted one`, async () => {
    await assertRefused(
      PLAIN,
      () => batchWithPayload(recordsOf(["a", "b", "c"], now()), 2, codec, now()),
      { code: ErrorCode.INVALID_RECORD, indexes: [1], message: /records still remaining/ },
      good(),
    );
  });

  test(`${name}: a varint longer than 5 bytes in record 1 is INVALID_RECORD naming it`, async () => {
    const damaged = () => {
      const records = recordsOf(["first", "second"], now());
      const keyLengthAt = 1 + records.readUInt8(0) / 2 + 4;
      records.fill(0xff, keyLengthAt, keyLengthAt + 6);
      return batchWithPayload(records, 2, codec, now());
    };
    await assertRefused(
      PLAIN,
      damaged,
      { code: ErrorCode.INVALID_RECORD, indexes: [1], message: /varint is longer than 5 bytes/ },
      good(),
    );
  });

  test(`${name}: keyless records on a compacted topic are INVALID_RECORD, each named`, async () => {
    await assertRefused(
      COMPACTED,
      () =>
        makeBatch({
          values: ["a", "b", "c", "d", "e"],
          keys: [null, "k", null, "k", null],
          timestamp: now(),
          compression: codec,
        }),
      {
        code: ErrorCode.INVALID_RECORD,
        indexes: [0, 2, 4],
        message: /^One or more records have been rejected due to 3 record errors in total/,
      },
      good(),
    );
  });

  test(`${name}: record timestamps out of range are INVALID_TIMESTAMP, each named`, async () => {
    const t = now();
    await assertRefused(
      BOUNDED,
      () =>
        makeBatch({
          values: ["ok", "old", "ok", "new"],
          keys: ["a", "b", "c", "d"],
          timestamps: [t, t - 3_600_000n, t + 1000n, t + 3_600_000n],
          compression: codec,
        }),
      {
        code: ErrorCode.INVALID_TIMESTAMP,
        indexes: [1, 3],
        message: /^One or more records have been rejected due to invalid timestamp$/,
      },
      good(),
    );
  });

  if (codec === CompressionType.none) continue;

  test(`${name}: a compressed payload that does not decompress (CRC recomputed) is CORRUPT_MESSAGE`, async () => {
    const damaged = () => {
      const batch = makeBatch({
        values: ["one", "two", "three"],
        keys: ["1", "2", "3"],
        timestamp: now(),
        compression: codec,
      });
      batch.fill(0x5a, BATCH_HEADER_BYTES, BATCH_HEADER_BYTES + 8);
      batchUpdateCrc(batch);
      return batch;
    };
    await assertRefused(
      PLAIN,
      damaged,
      { code: ErrorCode.CORRUPT_MESSAGE, indexes: [], message: /in topic partition validated-plain-0/ },
      good(),
    );
  });
}

test("a keyless record on a compacted topic, alone in its batch: RecordErrors names index 0 with Kafka's message", async () => {
  const answer = await produce(
    COMPACTED,
    makeBatch({ values: ["lonely"], keys: [null], timestamp: now(), compression: CompressionType.lz4 }),
    11,
  );
  assert.equal(answer.errorCode, ErrorCode.INVALID_RECORD);
  assert.deepEqual(answer.recordErrors, [
    {
      batchIndex: 0,
      batchIndexErrorMessage: `Compacted topic cannot accept message without key in topic partition ${COMPACTED}-0.`,
    },
  ]);
});
