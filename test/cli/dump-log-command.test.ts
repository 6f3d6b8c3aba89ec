import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { runDumpLogCommand } from "../../src/cli/dump-log/dump-log-command.js";
import {
  groupMetadataRecord,
  offsetCommitRecord,
  offsetCommitTombstone,
} from "../../src/coordinator/coordinator-record.js";
import { encodeCoordinatorRecord } from "../../src/coordinator/coordinator-record-codec.js";
import { encodeTransactionRecord } from "../../src/coordinator/transaction-record.js";
import { TransactionState } from "../../src/coordinator/transaction-state.js";
import { encodeMetadataRecordValue } from "../../src/metadata/index.js";
import {
  CompressionType,
  ControlRecordType,
  encodeConsumerProtocolAssignmentVersioned,
  encodeConsumerProtocolSubscriptionVersioned,
  encodeControlRecordKey,
  encodeEndTxnMarkerBatch,
  encodeGroupCoordinatorRecordKey,
  encodeGroupCoordinatorRecordValue,
  encodeRecordBatch,
  encodeSnapshotHeaderRecord,
  type RecordInput,
  Writer,
} from "../../src/protocol/index.js";
import { OffsetIndex } from "../../src/storage/offset-index.js";
import { ProducerStateEntry } from "../../src/storage/producer-state-entry.js";
import { encodeProducerSnapshot } from "../../src/storage/producer-state-snapshot.js";
import { TimeIndex } from "../../src/storage/time-index.js";
import { encodeAbortedTxn } from "../../src/storage/transaction-index.js";
import { encodeLegacyEntry } from "../protocol/records/legacy-fixtures.js";

/**
 * `brook dump-log` (Kafka's kafka-dump-log.sh) over files written with Brook's own encoders in a
 * temporary directory: the exact lines Kafka's DumpLogSegments prints for batches, records,
 * control records, decoded __consumer_offsets, __transaction_state and metadata records, indexes,
 * producer snapshots and aborted transaction indexes, and its reports of what does not add up.
 */

const root = mkdtempSync(join(tmpdir(), "brook-dump-log-"));
after(() => rmSync(root, { recursive: true, force: true }));
let dirs = 0;

const SEGMENT = "00000000000000000000";

/** A fresh partition directory holding `files` (name -> bytes). */
function partition(files: Record<string, Buffer>): string {
  const dir = join(root, `topic-${dirs++}`);
  mkdirSync(dir);
  for (const [name, bytes] of Object.entries(files)) writeFileSync(join(dir, name), bytes);
  return dir;
}

async function dumpLog(...args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = "";
  let err = "";
  const code = await runDumpLogCommand(
    args,
    {
      out: (t) => {
        out += t;
      },
      err: (t) => {
        err += t;
      },
    },
    () => "9.9.9",
  );
  return { code, out, err };
}

const lines = (text: string) => text.split("\n").slice(0, -1);
const T = 1_700_000_000_000n;
const utf8 = (s: string) => Buffer.from(s, "utf8");

/** A batch header line as DumpLogSegments prints a magic 2 batch. */
function batchLine(
  b: Buffer,
  position: number,
  fields: {
    base: number;
    last: number;
    count: number;
    seq?: [number, number];
    producer?: [bigint, number];
    epoch: number;
    txn?: boolean;
    control?: boolean;
    time: string;
    codec?: string;
    valid?: boolean;
  },
): string {
  const [baseSeq, lastSeq] = fields.seq ?? [-1, -1];
  const [pid, pepoch] = fields.producer ?? [-1n, -1];
  return (
    `baseOffset: ${fields.base} lastOffset: ${fields.last} count: ${fields.count} baseSequence: ${baseSeq} ` +
    `lastSequence: ${lastSeq} producerId: ${pid} producerEpoch: ${pepoch} partitionLeaderEpoch: ${fields.epoch} ` +
    `isTransactional: ${fields.txn ?? false} isControl: ${fields.control ?? false} deleteHorizonMs: OptionalLong.empty ` +
    `position: ${position} ${fields.time} size: ${b.length} magic: 2 compresscodec: ${fields.codec ?? "none"} ` +
    `crc: ${b.readUInt32BE(17)} isvalid: ${fields.valid ?? true}`
  );
}

// A segment like Kafka's own test log: plain, gzip, idempotent (its sequence wrapping past
// Int.MAX), transactional with its COMMIT marker, and LogAppendTime batches.
const plain = encodeRecordBatch({
  baseOffset: 0n,
  partitionLeaderEpoch: 0,
  records: [
    {
      key: utf8("a"),
      value: utf8("1"),
      timestamp: T,
      headers: [
        { key: "h1", value: utf8("x") },
        { key: "h2", value: null },
      ],
    },
    { key: null, value: utf8("2"), timestamp: T + 5n },
  ],
});
const gzip = encodeRecordBatch({
  baseOffset: 2n,
  partitionLeaderEpoch: 3,
  compression: CompressionType.gzip,
  records: [
    { key: utf8("c"), value: utf8("gzip payload"), timestamp: T + 10n },
    { key: utf8("d"), value: null, timestamp: T + 11n },
  ],
});
const idempotent = encodeRecordBatch({
  baseOffset: 4n,
  partitionLeaderEpoch: 3,
  producerId: 29342342n,
  producerEpoch: 15,
  baseSequence: 2147483647,
  records: [
    { value: utf8("h"), timestamp: T + 20n },
    { value: utf8("i"), timestamp: T + 21n },
  ],
});
const transactional = encodeRecordBatch({
  baseOffset: 6n,
  partitionLeaderEpoch: 5,
  isTransactional: true,
  producerId: 98323n,
  producerEpoch: 99,
  baseSequence: 266,
  records: [{ value: utf8("j"), timestamp: T + 30n }],
});
const commit = encodeEndTxnMarkerBatch({
  type: ControlRecordType.COMMIT,
  coordinatorEpoch: 100,
  producerId: 98323n,
  producerEpoch: 99,
  timestamp: T + 40n,
  baseOffset: 7n,
  partitionLeaderEpoch: 7,
});
const appendTime = encodeRecordBatch({
  baseOffset: 8n,
  partitionLeaderEpoch: 7,
  timestampType: "LogAppendTime",
  maxTimestamp: T + 99n,
  records: [{ value: utf8("k"), timestamp: T + 50n }],
});
const segment = [plain, gzip, idempotent, transactional, commit, appendTime];
const positions = segment.map((_, i) => segment.slice(0, i).reduce((n, b) => n + b.length, 0));

const BATCH_LINES = [
  batchLine(plain, positions[0] as number, {
    base: 0,
    last: 1,
    count: 2,
    epoch: 0,
    time: `CreateTime: ${T + 5n}`,
  }),
  batchLine(gzip, positions[1] as number, {
    base: 2,
    last: 3,
    count: 2,
    epoch: 3,
    time: `CreateTime: ${T + 11n}`,
    codec: "gzip",
  }),
  batchLine(idempotent, positions[2] as number, {
    base: 4,
    last: 5,
    count: 2,
    seq: [2147483647, 0],
    producer: [29342342n, 15],
    epoch: 3,
    time: `CreateTime: ${T + 21n}`,
  }),
  batchLine(transactional, positions[3] as number, {
    base: 6,
    last: 6,
    count: 1,
    seq: [266, 266],
    producer: [98323n, 99],
    epoch: 5,
    txn: true,
    time: `CreateTime: ${T + 30n}`,
  }),
  batchLine(commit, positions[4] as number, {
    base: 7,
    last: 7,
    count: 1,
    producer: [98323n, 99],
    epoch: 7,
    txn: true,
    control: true,
    time: `CreateTime: ${T + 40n}`,
  }),
  batchLine(appendTime, positions[5] as number, {
    base: 8,
    last: 8,
    count: 1,
    epoch: 7,
    time: `LogAppendTime: ${T + 99n}`,
  }),
];

test("a segment's batches, then with --print-data-log its records with keys and payloads, gzip decompressed", async () => {
  const dir = partition({ [`${SEGMENT}.log`]: Buffer.concat(segment) });
  const file = join(dir, `${SEGMENT}.log`);
  const shallow = await dumpLog("--files", file);
  assert.equal(shallow.code, 0, shallow.err);
  assert.equal(shallow.err, "");
  assert.deepEqual(lines(shallow.out), [`Dumping ${file}`, "Log starting offset: 0", ...BATCH_LINES]);

  const [b0, b1, b2, b3, b4, b5] = BATCH_LINES;
  const data = await dumpLog("--print-data-log", "--files", file);
  assert.equal(data.code, 0, data.err);
  assert.deepEqual(lines(data.out), [
    `Dumping ${file}`,
    "Log starting offset: 0",
    b0,
    `| offset: 0 CreateTime: ${T} keySize: 1 valueSize: 1 sequence: -1 headerKeys: [h1,h2] key: a payload: 1`,
    `| offset: 1 CreateTime: ${T + 5n} keySize: -1 valueSize: 1 sequence: -1 headerKeys: [] payload: 2`,
    b1,
    `| offset: 2 CreateTime: ${T + 10n} keySize: 1 valueSize: 12 sequence: -1 headerKeys: [] key: c payload: gzip payload`,
    `| offset: 3 CreateTime: ${T + 11n} keySize: 1 valueSize: -1 sequence: -1 headerKeys: [] key: d`,
    b2,
    `| offset: 4 CreateTime: ${T + 20n} keySize: -1 valueSize: 1 sequence: 2147483647 headerKeys: [] payload: h`,
    `| offset: 5 CreateTime: ${T + 21n} keySize: -1 valueSize: 1 sequence: 0 headerKeys: [] payload: i`,
    b3,
    `| offset: 6 CreateTime: ${T + 30n} keySize: -1 valueSize: 1 sequence: 266 headerKeys: [] payload: j`,
    b4,
    `| offset: 7 CreateTime: ${T + 40n} keySize: 4 valueSize: 6 sequence: -1 headerKeys: [] endTxnMarker: COMMIT coordinatorEpoch: 100`,
    b5,
    `| offset: 8 LogAppendTime: ${T + 99n} keySize: -1 valueSize: 1 sequence: -1 headerKeys: [] payload: k`,
  ]);

  // --deep-iteration alone: the records' metadata without their contents; a decoder class is
  // accepted (Brook prints text whatever it names) and turns printing on, as in Kafka.
  const deep = await dumpLog("--deep-iteration", "--files", file);
  assert.equal(
    lines(deep.out)[3],
    `| offset: 0 CreateTime: ${T} keySize: 1 valueSize: 1 sequence: -1 headerKeys: [h1,h2]`,
  );
  const decoderClass = await dumpLog("--value-decoder-class", "com.example.AvroDecoder", "--files", file);
  assert.equal(decoderClass.code, 0);
  assert.match(decoderClass.err, /--value-decoder-class com\.example\.AvroDecoder is ignored/);
  assert.deepEqual(lines(decoderClass.out), lines(data.out));

  // --skip-record-metadata keeps Kafka's spacing: a record without a key starts with the payload.
  const skipped = await dumpLog("--print-data-log", "--skip-record-metadata", "--files", file);
  assert.deepEqual(lines(skipped.out).slice(3, 5), ["| key: a payload: 1", " payload: 2"]);
});

test("bytes after the last whole batch are reported, --max-bytes stops early, a bad checksum shows", async () => {
  const damaged = Buffer.from(plain);
  damaged.writeUInt8(damaged.readUInt8(damaged.length - 2) ^ 0xff, damaged.length - 2); // the last record's value: still decodes, the checksum fails
  const torn = gzip.subarray(0, 30);
  const dir = partition({ [`${SEGMENT}.log`]: Buffer.concat([damaged, gzip, torn]) });
  const file = join(dir, `${SEGMENT}.log`);
  const dump = await dumpLog("--files", file);
  assert.equal(dump.code, 0, dump.err);
  assert.deepEqual(lines(dump.out), [
    `Dumping ${file}`,
    "Log starting offset: 0",
    batchLine(damaged, 0, {
      base: 0,
      last: 1,
      count: 2,
      epoch: 0,
      time: `CreateTime: ${T + 5n}`,
      valid: false,
    }),
    BATCH_LINES[1],
    `Found 30 invalid bytes at the end of ${SEGMENT}.log`,
  ]);

  const limited = await dumpLog("--max-bytes", String(damaged.length + gzip.length - 1), "--files", file);
  assert.equal(limited.code, 0);
  assert.equal(lines(limited.out).length, 3, "one batch, and no invalid-bytes line under --max-bytes");
});

test("offsets that do not follow each other are reported on stderr; bytes that are no batch end the dump", async () => {
  const first = encodeRecordBatch({ baseOffset: 0n, records: [{ value: utf8("a") }, { value: utf8("b") }] });
  const later = encodeRecordBatch({ baseOffset: 5n, records: [{ value: utf8("c") }] });
  const dir = partition({
    [`${SEGMENT}.log`]: Buffer.concat([first, later]),
    "00000000000000000010.log": Buffer.concat([first, Buffer.alloc(20)]),
  });
  const gap = await dumpLog("--deep-iteration", "--files", join(dir, `${SEGMENT}.log`));
  assert.equal(gap.code, 0);
  assert.deepEqual(lines(gap.err), [
    `Non-consecutive offsets in ${join(dir, `${SEGMENT}.log`)}`,
    "  1 is followed by 5",
  ]);

  const zeros = join(dir, "00000000000000000010.log");
  const corrupt = await dumpLog("--files", zeros);
  assert.equal(corrupt.code, 1);
  assert.equal(lines(corrupt.out)[1], "Log starting offset: 10");
  assert.equal(lines(corrupt.out).length, 3, "the whole batch before the zeros is dumped");
  assert.deepEqual(lines(corrupt.err), [
    `Found invalid batch length 0 at position ${first.length} of ${zeros}`,
  ]);
});

test("magic 0 and 1 messages of an old segment, with their checksums", async () => {
  const v0 = encodeLegacyEntry({ offset: 0n, magic: 0, key: utf8("k"), value: utf8("v") });
  const v1 = encodeLegacyEntry({ offset: 1n, magic: 1, timestamp: T, key: null, value: utf8("w") });
  const dir = partition({ [`${SEGMENT}.log`]: Buffer.concat([v0, v1]) });
  const dump = await dumpLog("--print-data-log", "--files", join(dir, `${SEGMENT}.log`));
  assert.equal(dump.code, 0, dump.err);
  const crc0 = v0.readUInt32BE(12);
  const crc1 = v1.readUInt32BE(12);
  assert.deepEqual(lines(dump.out).slice(2), [
    `offset: 0 position: 0 NoTimestampType: -1 size: ${v0.length} magic: 0 compresscodec: none crc: ${crc0} isvalid: true`,
    `| offset: 0 NoTimestampType: -1 keySize: 1 valueSize: 1 isValid: true crc: ${crc0}} key: k payload: v`,
    `offset: 1 position: ${v0.length} CreateTime: ${T} size: ${v1.length} magic: 1 compresscodec: none crc: ${crc1} isvalid: true`,
    `| offset: 1 CreateTime: ${T} keySize: -1 valueSize: 1 isValid: true crc: ${crc1}} payload: w`,
  ]);
});

test("a KRaft snapshot (.checkpoint): its id from the name, its control records decoded", async () => {
  const header = new Writer(32);
  encodeSnapshotHeaderRecord(header, { version: 0, lastContainedLogTimestamp: 10000n }, 0);
  const control = encodeRecordBatch({
    baseOffset: 0n,
    isControl: true,
    records: [
      {
        key: encodeControlRecordKey(ControlRecordType.SNAPSHOT_HEADER),
        value: header.toBuffer(),
        timestamp: T,
      },
      { key: encodeControlRecordKey(ControlRecordType.LEADER_CHANGE), value: Buffer.alloc(0), timestamp: T },
    ],
  });
  const name = "00000000000000000005-0000000002.checkpoint";
  const dir = partition({ [name]: control, "bootstrap.checkpoint": control });
  const dump = await dumpLog(
    "--deep-iteration",
    "--files",
    `${join(dir, name)},${join(dir, "bootstrap.checkpoint")}`,
  );
  assert.equal(dump.code, 0, dump.err);
  const out = lines(dump.out);
  assert.equal(out[1], "Snapshot end offset: 5, epoch: 2");
  assert.equal(
    out[3],
    `| offset: 0 CreateTime: ${T} keySize: 4 valueSize: 11 sequence: -1 headerKeys: [] SnapshotHeader {"version":0,"lastContainedLogTimestamp":10000}`,
  );
  assert.equal(
    out[4],
    `| offset: 1 CreateTime: ${T} keySize: 4 valueSize: 0 sequence: -1 headerKeys: [] controlType: LEADER_CHANGE(2)`,
  );
  assert.equal(out[6], "KRaft bootstrap snapshot");
});

// -- __consumer_offsets -------------------------------------------------------------------------

function recordsBatch(baseOffset: bigint, records: RecordInput[]): Buffer {
  return encodeRecordBatch({ baseOffset, records: records.map((r) => ({ timestamp: T, ...r })) });
}

function groupValue(version: number, subscription: Buffer, assignment: Buffer): Buffer {
  const w = new Writer(256);
  encodeGroupCoordinatorRecordValue(w, {
    name: "GroupMetadata",
    version,
    value: {
      protocolType: "consumer",
      generation: 10,
      protocol: "range",
      leader: "member",
      currentStateTimestamp: -1n,
      members: [
        {
          memberId: "member",
          groupInstanceId: "instance",
          clientId: "client",
          clientHost: "host",
          rebalanceTimeout: 1000,
          sessionTimeout: 100,
          subscription,
          assignment,
        },
      ],
    },
  });
  return w.toBuffer();
}

function groupKey(recordType: number, group: string): Buffer {
  const w = new Writer(32);
  if (recordType === 2)
    encodeGroupCoordinatorRecordKey(w, { name: "GroupMetadata", recordType, key: { group } });
  else
    encodeGroupCoordinatorRecordKey(w, {
      name: "ConsumerGroupMetadata",
      recordType,
      key: { groupId: group },
    });
  return w.toBuffer();
}

test("--offsets-decoder prints group metadata and offset commits as Kafka's OffsetsMessageParser", async () => {
  const commit = encodeCoordinatorRecord(
    offsetCommitRecord(
      { group: "g1", topic: "orders", partition: 3 },
      { offset: 42n, leaderEpoch: 7, metadata: "m", commitTimestamp: 1000n, expireTimestamp: -1n },
    ),
  );
  const tombstone = encodeCoordinatorRecord(offsetCommitTombstone("g1", "orders", 4));
  const subscriptionWriter = new Writer(64);
  encodeConsumerProtocolSubscriptionVersioned(
    subscriptionWriter,
    {
      topics: ["foo"],
      userData: null,
      ownedPartitions: [{ topic: "foo", partitions: [0] }],
      generationId: 0,
      rackId: "rack",
    },
    3,
  );
  const assignmentWriter = new Writer(64);
  encodeConsumerProtocolAssignmentVersioned(
    assignmentWriter,
    { assignedPartitions: [{ topic: "foo", partitions: [0] }], userData: null },
    3,
  );
  const classic = encodeCoordinatorRecord(
    groupMetadataRecord("g1", {
      protocolType: "consumer",
      generation: 1,
      protocol: "range",
      leader: "m-1",
      currentStateTimestamp: 2000n,
      members: [],
    }),
  );
  const consumerGroupValue = new Writer(16);
  encodeGroupCoordinatorRecordValue(consumerGroupValue, {
    name: "ConsumerGroupMetadata",
    version: 0,
    value: { epoch: 10 },
  });
  const unknownType = Buffer.from([0x7f, 0xff, 0, 0]);
  const batch = recordsBatch(0n, [
    { key: commit.key, value: commit.value },
    { key: tombstone.key, value: null },
    { key: classic.key, value: classic.value },
    {
      key: groupKey(2, "group"),
      value: groupValue(4, subscriptionWriter.toBuffer(), assignmentWriter.toBuffer()),
    },
    { key: groupKey(2, "group"), value: groupValue(4, utf8("Subscription"), utf8("Assignment")) },
    { key: groupKey(3, "group"), value: consumerGroupValue.toBuffer() },
    { key: groupKey(3, "group"), value: null },
    { key: unknownType, value: utf8("x") },
    { key: groupKey(3, "group"), value: Buffer.from([0, 0, 0xff]) },
  ]);
  const dir = partition({ [`${SEGMENT}.log`]: batch });
  const dump = await dumpLog("--offsets-decoder", "--files", join(dir, `${SEGMENT}.log`));
  assert.equal(dump.code, 0, dump.err);
  const printed = lines(dump.out)
    .filter((l) => l.startsWith("|"))
    .map((l) =>
      l.replace(
        /^\| offset: \d+ CreateTime: \d+ keySize: -?\d+ valueSize: -?\d+ sequence: -1 headerKeys: \[\] /,
        "",
      ),
    );
  assert.deepEqual(printed.slice(0, 8), [
    'key: {"type":"1","data":{"group":"g1","topic":"orders","partition":3}} payload: {"version":"3","data":{"offset":42,"leaderEpoch":7,"metadata":"m","commitTimestamp":1000}}',
    'key: {"type":"1","data":{"group":"g1","topic":"orders","partition":4}} payload: <DELETE>',
    'key: {"type":"2","data":{"group":"g1"}} payload: {"version":"3","data":{"protocolType":"consumer","generation":1,"protocol":"range","leader":"m-1","currentStateTimestamp":2000,"members":[]}}',
    // Kafka's own expectations (DumpLogSegmentsTest): the consumer protocol decoded when it reads...
    'key: {"type":"2","data":{"group":"group"}} payload: {"version":"4","data":{"protocolType":"consumer","generation":10,"protocol":"range","leader":"member","currentStateTimestamp":-1,"members":[{"memberId":"member","groupInstanceId":"instance","clientId":"client","clientHost":"host","rebalanceTimeout":1000,"sessionTimeout":100,"subscription":{"topics":["foo"],"userData":null,"ownedPartitions":[{"topic":"foo","partitions":[0]}],"generationId":0,"rackId":"rack"},"assignment":{"assignedPartitions":[{"topic":"foo","partitions":[0]}],"userData":null}}]}}',
    // ...and left as bytes when it does not.
    'key: {"type":"2","data":{"group":"group"}} payload: {"version":"4","data":{"protocolType":"consumer","generation":10,"protocol":"range","leader":"member","currentStateTimestamp":-1,"members":[{"memberId":"member","groupInstanceId":"instance","clientId":"client","clientHost":"host","rebalanceTimeout":1000,"sessionTimeout":100,"subscription":"U3Vic2NyaXB0aW9u","assignment":"QXNzaWdubWVudA=="}]}}',
    'key: {"type":"3","data":{"groupId":"group"}} payload: {"version":"0","data":{"epoch":10}}',
    'key: {"type":"3","data":{"groupId":"group"}} payload: <DELETE>',
    "key: Unknown record type 32767 at offset 7, skipping.",
  ]);
  // The reason is Brook's decoder's own words; the frame around it is Kafka's.
  assert.match(
    printed[8] ?? "",
    /^key: Error at offset 8, skipping\. Could not read record with version 0 from value's buffer due to: .+\.$/,
  );
  assert.equal(printed.length, 9);

  const keyless = partition({ [`${SEGMENT}.log`]: recordsBatch(0n, [{ key: null, value: utf8("v") }]) });
  const failed = await dumpLog("--offsets-decoder", "--files", join(keyless, `${SEGMENT}.log`));
  assert.equal(failed.code, 1);
  assert.equal(
    failed.err,
    "Failed to decode message at offset 0 using offset topic decoder (message had a missing key)\n",
  );
});

test("--transaction-log-decoder prints transactional ids as Kafka's TransactionLog formatter", async () => {
  const ongoing = encodeTransactionRecord({
    transactionalId: "txn-1",
    value: {
      producerId: 5n,
      previousProducerId: -1n,
      nextProducerId: -1n,
      producerEpoch: 2,
      transactionTimeoutMs: 60000,
      state: TransactionState.Ongoing,
      partitions: [{ topic: "t", partitionIds: [0, 1] }],
      lastUpdateTimestampMs: 1000,
      startTimestampMs: 900,
      clientTransactionVersion: 0,
    },
  });
  const expired = encodeTransactionRecord({ transactionalId: "txn-2", value: null });
  const dir = partition({
    [`${SEGMENT}.log`]: recordsBatch(0n, [
      { key: ongoing.key, value: ongoing.value },
      { key: expired.key, value: null },
      { key: Buffer.from([0, 9, 0, 0]), value: null },
    ]),
  });
  const dump = await dumpLog("--transaction-log-decoder", "--files", join(dir, `${SEGMENT}.log`));
  assert.equal(dump.code, 0, dump.err);
  assert.deepEqual(
    lines(dump.out)
      .filter((l) => l.startsWith("|"))
      .map((l) => l.replace(/^.*headerKeys: \[\] /, "")),
    [
      "key: transaction_metadata::transactionalId=txn-1 payload: producerId:5,producerEpoch:2,state=Ongoing,partitions=[t-0,t-1],txnLastUpdateTimestamp=1000,txnTimeoutMs=60000",
      "key: transaction_metadata::transactionalId=txn-2 payload: <DELETE>",
      "key: unknown::version=9",
    ],
  );
});

test("--cluster-metadata-decoder prints metadata records as JSON and reports one that does not decode", async () => {
  const topicId = "nrqD3CiETiyvAkb3JBNk_A";
  const values = [
    encodeMetadataRecordValue({ type: "Topic", name: "orders", topicId }),
    encodeMetadataRecordValue({
      type: "PartitionChange",
      topicId,
      partitionId: 0,
      leader: 1,
      isr: [0, 1, 2],
      replicas: null,
    }),
    encodeMetadataRecordValue({
      type: "ClientQuota",
      entity: [{ entityType: "user", entityName: null }],
      key: "producer_byte_rate",
      value: 1024,
      remove: false,
    }),
    Buffer.from([0x90, 0x4e, 0x90, 0x4e]), // Kafka's test: a bogus type and version (10000, 10000)
  ];
  const dir = partition({
    [`${SEGMENT}.log`]: recordsBatch(
      0n,
      values.map((value) => ({ key: null, value })),
    ),
  });
  const dump = await dumpLog("--cluster-metadata-decoder", "--files", join(dir, `${SEGMENT}.log`));
  assert.equal(dump.code, 0, dump.err);
  const payloads = lines(dump.out)
    .filter((l) => l.startsWith("|"))
    .map((l) => l.replace(/^.*headerKeys: \[\] /, ""));
  assert.deepEqual(payloads.slice(0, 3), [
    `payload: {"type":"TOPIC_RECORD","version":0,"data":{"name":"orders","topicId":"${topicId}"}}`,
    // Tagged fields at their defaults (replicas: null) are left out, as Kafka's converter does.
    `payload: {"type":"PARTITION_CHANGE_RECORD","version":0,"data":{"partitionId":0,"topicId":"${topicId}","isr":[0,1,2],"leader":1}}`,
    'payload: {"type":"CLIENT_QUOTA_RECORD","version":0,"data":{"entity":[{"entityType":"user","entityName":null}],"key":"producer_byte_rate","value":1024.0,"remove":false}}',
  ]);
  assert.match(payloads[3] ?? "", /^payload: Error at 3, skipping\. .+/);
});

// -- indexes ------------------------------------------------------------------------------------

/** A segment of three batches (last offsets 1, 2 and 5) at 10, 20 and 30 ms past T. */
function indexedSegment(): { log: Buffer; positions: number[] } {
  const batches = [
    encodeRecordBatch({
      baseOffset: 0n,
      records: [
        { value: utf8("a"), timestamp: T + 10n },
        { value: utf8("b"), timestamp: T + 9n },
      ],
    }),
    encodeRecordBatch({ baseOffset: 2n, records: [{ value: utf8("c"), timestamp: T + 20n }] }),
    encodeRecordBatch({
      baseOffset: 3n,
      records: [
        { value: utf8("d"), timestamp: T + 25n },
        { value: utf8("e"), timestamp: T + 30n },
        { value: utf8("f"), timestamp: T + 28n },
      ],
    }),
  ];
  const at = batches.map((_, i) => batches.slice(0, i).reduce((n, b) => n + b.length, 0));
  return { log: Buffer.concat(batches), positions: at };
}

function timeIndexBytes(entries: [bigint, number][]): Buffer {
  const buf = Buffer.alloc(entries.length * 12);
  entries.forEach(([ts, rel], i) => {
    buf.writeBigInt64BE(ts, i * 12);
    buf.writeInt32BE(rel, i * 12 + 8);
  });
  return buf;
}

test(".index and .timeindex entries, checked against the log as --verify-index-only checks them", async () => {
  const { log, positions: p } = indexedSegment();
  const index = new OffsetIndex(0n, 1024);
  index.append(2n, p[1] as number);
  index.append(5n, p[2] as number);
  const timeIndex = new TimeIndex(0n, 1024);
  timeIndex.maybeAppend(T + 20n, 2n);
  timeIndex.maybeAppend(T + 30n, 5n);
  const dir = partition({
    [`${SEGMENT}.log`]: log,
    // Preallocated, as an active segment's files are: the unused zero slots end the dump.
    [`${SEGMENT}.index`]: Buffer.concat([index.toBytes(), Buffer.alloc(32)]),
    [`${SEGMENT}.timeindex`]: Buffer.concat([timeIndex.toBytes(), Buffer.alloc(36)]),
  });
  const indexPath = join(dir, `${SEGMENT}.index`);
  const timePath = join(dir, `${SEGMENT}.timeindex`);
  const dump = await dumpLog("--files", `${indexPath},${timePath}`);
  assert.equal(dump.code, 0, dump.err);
  assert.equal(dump.err, "");
  assert.deepEqual(lines(dump.out), [
    `Dumping ${indexPath}`,
    `offset: 2 position: ${p[1]}`,
    `offset: 5 position: ${p[2]}`,
    `Dumping ${timePath}`,
    `timestamp: ${T + 20n} offset: 2`,
    `timestamp: ${T + 30n} offset: 5`,
  ]);

  const verify = await dumpLog("--verify-index-only", "--files", `${indexPath},${timePath}`);
  assert.deepEqual(lines(verify.out), [`Dumping ${indexPath}`, `Dumping ${timePath}`]);
  assert.equal(verify.err, "");
});

test("index entries that do not match the log are reported as Kafka reports them", async () => {
  const { log, positions: p } = indexedSegment();
  const index = Buffer.alloc(16);
  index.writeInt32BE(1, 0); // names offset 1, but the batch at that position ends at 2
  index.writeInt32BE(p[1] as number, 4);
  index.writeInt32BE(4, 8); // names offset 4, the batch ends at 5
  index.writeInt32BE(p[2] as number, 12);
  const dir = partition({
    [`${SEGMENT}.log`]: log,
    [`${SEGMENT}.index`]: index,
    [`${SEGMENT}.timeindex`]: timeIndexBytes([
      [T + 21n, 2], // the batch ending at 2 holds T+20 at most
      [T + 21n, 4], // no batch ends at offset 4
      [T + 19n, 5], // goes back in time; the batch ending at 5 holds T+30
    ]),
  });
  const indexPath = join(dir, `${SEGMENT}.index`);
  const timePath = join(dir, `${SEGMENT}.timeindex`);
  const dump = await dumpLog("--verify-index-only", "--files", `${indexPath},${timePath}`);
  assert.equal(dump.code, 0);
  assert.deepEqual(lines(dump.err), [
    `Mismatches in :${indexPath}`,
    // Newest first, as Kafka prints them.
    "  Index offset: 4, log offset: 5",
    "  Index offset: 1, log offset: 2",
    `Found timestamp mismatch in :${timePath}`,
    `  Index timestamp: ${T + 21n}, log timestamp: ${T + 20n}`,
    `  Index timestamp: ${T + 19n}, log timestamp: ${T + 30n}`,
    `Found out of order timestamp in :${timePath}`,
    `  Index timestamp: ${T + 19n}, Previously indexed timestamp: ${T + 21n}`,
    "The following indexed offsets are not found in the log.",
    "Indexed offset: 4, found log offset: 5",
  ]);
});

test("--index-sanity-check passes a closed segment's indexes and fails what a broker would rebuild", async () => {
  const { log, positions: p } = indexedSegment();
  const index = new OffsetIndex(0n, 1024);
  index.append(5n, p[2] as number);
  const timeIndex = new TimeIndex(0n, 1024);
  timeIndex.maybeAppend(T + 30n, 5n);
  const dir = partition({
    [`${SEGMENT}.log`]: log,
    [`${SEGMENT}.index`]: index.toBytes(),
    [`${SEGMENT}.timeindex`]: timeIndex.toBytes(),
    "00000000000000000100.log": log,
    "00000000000000000100.index": Buffer.alloc(20),
    "00000000000000000200.log": log,
    "00000000000000000200.index": Buffer.concat([index.toBytes(), Buffer.alloc(8)]),
    "00000000000000000300.log": Buffer.alloc(0),
    "00000000000000000300.index": Buffer.alloc(0),
  });
  const at = (name: string) => join(dir, name);
  const ok = await dumpLog(
    "--index-sanity-check",
    "--files",
    `${at(`${SEGMENT}.index`)},${at(`${SEGMENT}.timeindex`)},${at("00000000000000000300.index")}`,
  );
  assert.equal(ok.code, 0, ok.err);
  assert.deepEqual(lines(ok.out), [
    `Dumping ${at(`${SEGMENT}.index`)}`,
    `${at(`${SEGMENT}.index`)} passed sanity check.`,
    `Dumping ${at(`${SEGMENT}.timeindex`)}`,
    `${at(`${SEGMENT}.timeindex`)} passed sanity check.`,
    `Dumping ${at("00000000000000000300.index")}`,
    `${at("00000000000000000300.index")} is empty.`,
  ]);

  const ragged = await dumpLog("--index-sanity-check", "--files", at("00000000000000000100.index"));
  assert.equal(ragged.code, 1);
  assert.equal(
    ragged.err,
    `Index file ${at("00000000000000000100.index")} is corrupt, found 20 bytes which is neither positive nor a multiple of 8\n`,
  );
  const preallocated = await dumpLog("--index-sanity-check", "--files", at("00000000000000000200.index"));
  assert.equal(preallocated.code, 1);
  assert.match(
    preallocated.err,
    /fails the check Brook makes when it loads a segment .*: Brook would rebuild it from the log/,
  );
});

// -- producer snapshots, aborted transactions, the command line ------------------------------------

test(".snapshot: a line per entry of the file; a corrupt one is reported and the dump goes on", async () => {
  const idle = new ProducerStateEntry(7n, 1, -1, T);
  const active = new ProducerStateEntry(9n, 2, 4, -1n, 40n);
  active.addBatch(2, { firstSeq: 0, lastSeq: 4, firstOffset: 30n, lastOffset: 34n, timestamp: T + 1n });
  active.addBatch(2, { firstSeq: 5, lastSeq: 5, firstOffset: 40n, lastOffset: 40n, timestamp: T + 2n });
  const snapshot = encodeProducerSnapshot([idle, active]);
  const broken = Buffer.from(snapshot);
  broken.writeUInt8(broken.readUInt8(broken.length - 1) ^ 1, broken.length - 1);
  const dir = partition({
    "00000000000000000041.snapshot": snapshot,
    "00000000000000000050.snapshot": broken,
  });
  const good = join(dir, "00000000000000000041.snapshot");
  const bad = join(dir, "00000000000000000050.snapshot");
  const dump = await dumpLog("--files", `${bad},${good}`);
  assert.equal(dump.code, 0);
  assert.match(dump.err, /CRC \d+ stored, \d+ computed/);
  assert.deepEqual(lines(dump.out), [
    `Dumping ${bad}`,
    `Dumping ${good}`,
    `producerId: 7 producerEpoch: 1 coordinatorEpoch: -1 currentTxnFirstOffset: OptionalLong.empty lastTimestamp: ${T} `,
    `producerId: 9 producerEpoch: 2 coordinatorEpoch: 4 currentTxnFirstOffset: OptionalLong[40] lastTimestamp: ${T + 1n} firstSequence: 0 lastSequence: 4 lastOffset: 34 offsetDelta: 4 timestamp: ${T + 1n}`,
    `producerId: 9 producerEpoch: 2 coordinatorEpoch: 4 currentTxnFirstOffset: OptionalLong[40] lastTimestamp: ${T + 2n} firstSequence: 5 lastSequence: 5 lastOffset: 40 offsetDelta: 0 timestamp: ${T + 2n}`,
  ]);
});

test(".txnindex: the aborted transactions; unknown files are ignored with Kafka's notice", async () => {
  const dir = partition({
    [`${SEGMENT}.txnindex`]: Buffer.concat([
      encodeAbortedTxn({ producerId: 3n, firstOffset: 10n, lastOffset: 14n, lastStableOffset: 10n }),
      encodeAbortedTxn({ producerId: 4n, firstOffset: 12n, lastOffset: 20n, lastStableOffset: 15n }),
    ]),
    "leader-epoch-checkpoint": Buffer.from("0\n1\n0 0\n"),
  });
  const txn = join(dir, `${SEGMENT}.txnindex`);
  const other = join(dir, "leader-epoch-checkpoint");
  const dump = await dumpLog("--files", `${txn},${other}`);
  assert.equal(dump.code, 0);
  assert.deepEqual(lines(dump.out), [
    `Dumping ${txn}`,
    "version: 0 producerId: 3 firstOffset: 10 lastOffset: 14 lastStableOffset: 10",
    "version: 0 producerId: 4 firstOffset: 12 lastOffset: 20 lastStableOffset: 15",
    `Dumping ${other}`,
  ]);
  assert.equal(dump.err, `Ignoring unknown file ${other}\n`);
});

test("the command line: help and failures as Kafka's tool gives them", async () => {
  const none = await dumpLog();
  assert.equal(none.code, 1);
  assert.match(none.err, /^This tool helps to parse a log file and dump its contents to the console/);
  assert.match(none.err, /--files <String: file1, file2, \.\.\.>\s+REQUIRED: The comma separated list/);
  assert.match(none.err, /--value-decoder-class \[String\]/);

  const missing = await dumpLog("--print-data-log");
  assert.equal(missing.code, 1);
  assert.match(missing.err, /^Missing required argument "\[files\]"\nOption/);

  const unknown = await dumpLog("--files", "x.log", "--remote-log-metadata-decoder");
  assert.deepEqual(
    [unknown.code, unknown.err],
    [1, "remote-log-metadata-decoder is not a recognized option\n"],
  );

  const badSize = await dumpLog("--files", "x.log", "--max-bytes", "lots");
  assert.deepEqual([badSize.code, badSize.err], [1, "Cannot parse argument 'lots' of option max-bytes\n"]);

  const absent = join(root, "nowhere", `${SEGMENT}.log`);
  const unreadable = await dumpLog("--files", absent);
  assert.equal(unreadable.code, 1);
  assert.deepEqual(lines(unreadable.out), [`Dumping ${absent}`, "Log starting offset: 0"]);
  assert.match(unreadable.err, /^Cannot read .*nowhere.*: ENOENT/);

  const version = await dumpLog("--version");
  assert.deepEqual([version.code, version.out], [0, "9.9.9\n"]);
});

test("a reader that falls behind holds the dump back instead of letting the output pile up", async () => {
  const batches = Array.from({ length: 200 }, (_, i) =>
    encodeRecordBatch({
      baseOffset: BigInt(i * 10),
      records: Array.from({ length: 10 }, (_, j) => ({ value: utf8(`value ${i}-${j}`), timestamp: T })),
    }),
  );
  const dir = partition({ [`${SEGMENT}.log`]: Buffer.concat(batches) });
  let written = "";
  let waits = 0;
  let finished = false;
  const code = await runDumpLogCommand(
    ["--print-data-log", "--files", join(dir, `${SEGMENT}.log`)],
    {
      out: (t) => {
        assert.equal(finished, false);
        written += t;
        return false; // always behind, as a pipe to a slow `less`
      },
      err: () => {},
      drained: async () => {
        waits++;
      },
      finished: async () => {
        finished = true;
      },
    },
    () => "",
  );
  assert.equal(code, 0);
  assert.ok(finished, "the end waits until everything is written");
  assert.equal(lines(written).length, 2 + 200 * 11);
  assert.ok(
    waits >= Math.floor(written.length / (64 * 1024)),
    `waited ${waits} times for ${written.length} chars`,
  );
  assert.match(lines(written).at(-1) ?? "", /^\| offset: 1999 .* payload: value 199-9$/);
});
