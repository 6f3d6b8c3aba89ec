import type { SeededRandom } from "../../../src/base/index.js";
import {
  BATCH_OFFSET_ATTRIBUTES,
  BATCH_OFFSET_BASE_OFFSET,
  BATCH_OFFSET_BASE_SEQUENCE,
  BATCH_OFFSET_LAST_OFFSET_DELTA,
  BATCH_OFFSET_LENGTH,
  BATCH_OFFSET_MAGIC,
  BATCH_OFFSET_PRODUCER_ID,
  BATCH_OFFSET_RECORDS_COUNT,
  batchUpdateCrc,
  encodeRecordBatch,
} from "../../../src/protocol/index.js";
import { inRange, type OracleField, type OracleSpec, resolveStruct } from "../../protocol/spec-oracle.js";

/**
 * Steers the spec oracle's uniformly random request values towards what reaches deep into the
 * broker: topic names and ids that exist (and names that cannot), partitions that exist, negative
 * and huge ones, special offsets, small timeouts (so that no request may legitimately park for
 * long), acks of every kind, group ids shared between requests, and `records` that are valid
 * batches, damaged batches or noise. The value keeps its spec shape, so it still encodes.
 */
export interface SteeringPools {
  /** Topics that exist now, with their ids. */
  topics: readonly { name: string; id: string }[];
}

const INT32_MAX = 0x7fffffff;
const INT32_MIN = -0x80000000;
const INT64_MAX = 2n ** 63n - 1n;
const INT64_MIN = -(2n ** 63n);

const BAD_TOPIC_NAMES = [
  "",
  ".",
  "..",
  "a/b",
  "bad name",
  "x".repeat(250),
  "__consumer_offsets",
  "__cluster_metadata",
  "_schemas",
  "naïve-topic",
];
const GROUP_IDS = ["fuzz-group-1", "fuzz-group-2", ""];
const CONFIG_NAMES = [
  "cleanup.policy",
  "retention.ms",
  "retention.bytes",
  "segment.bytes",
  "max.message.bytes",
  "min.insync.replicas",
  "message.timestamp.type",
  "compression.type",
  "log.retention.ms",
  "no.such.config",
  "",
];
const CONFIG_VALUES = [
  "-1",
  "0",
  "1",
  "compact",
  "delete",
  "compact,delete",
  "abc",
  "99999999999999999999",
  "",
  null,
];
const UUIDS_OTHER = ["AAAAAAAAAAAAAAAAAAAAAA", "AAAAAAAAAAAAAAAAAAAAAQ", "_____________________w"];

type Rule = (rnd: SeededRandom, pools: SteeringPools, original: unknown) => unknown;

const partitionRule: Rule = (rnd) => rnd.pick([0, 0, 0, 1, 2, -1, INT32_MAX, INT32_MIN, 99_999]);
const offsetRule: Rule = (rnd) => rnd.pick([0n, 0n, 1n, 5n, -1n, -2n, -3n, -4n, INT64_MAX, INT64_MIN, 1000n]);
const shortTimeoutRule: Rule = (rnd) => rnd.pick([-1, 0, 0, 1, 10, 50]);
const epochRule: Rule = (rnd) => rnd.pick([-1, -1, 0, 1, INT32_MAX]);
const bytesLimitRule: Rule = (rnd) => rnd.pick([0, 1, 100, 1 << 20, INT32_MAX, -1]);
const groupRule: Rule = (rnd, _pools, original) => rnd.pick([...GROUP_IDS, original]);

function topicNameRule(rnd: SeededRandom, pools: SteeringPools, original: unknown): unknown {
  const roll = rnd.next();
  if (roll < 0.6 && pools.topics.length > 0) return rnd.pick(pools.topics).name;
  if (roll < 0.75) return `fuzz-new-${rnd.int(0, 9)}`;
  if (roll < 0.9) return rnd.pick(BAD_TOPIC_NAMES);
  return original;
}

function topicIdRule(rnd: SeededRandom, pools: SteeringPools, original: unknown): unknown {
  if (rnd.next() < 0.7 && pools.topics.length > 0) return rnd.pick(pools.topics).id;
  return rnd.pick([...UUIDS_OTHER, original]);
}

/** A records field: nothing, a valid batch (maybe compressed), a damaged one, or noise. */
function recordsValue(rnd: SeededRandom): Buffer | null {
  const roll = rnd.next();
  if (roll < 0.15) return null;
  if (roll < 0.2) return Buffer.alloc(0);
  const count = rnd.int(1, 5);
  const compression = roll < 0.5 ? 0 : rnd.int(0, 4);
  const batch = encodeRecordBatch({
    records: Array.from({ length: count }, (_, i) => ({
      key: rnd.next() < 0.2 ? null : Buffer.from(`key-${i}`),
      value: Buffer.from(`value-${rnd.int(0, 1_000_000)}`),
    })),
    baseTimestamp: BigInt(Date.now()),
    compression,
  });
  if (roll < 0.6) return batch;
  if (roll < 0.75) return damagedHeader(batch, rnd);
  if (roll < 0.85) {
    const at = rnd.int(0, batch.length - 1);
    batch[at] = (batch[at] as number) ^ (1 << rnd.int(0, 7));
    return batch;
  }
  if (roll < 0.92) return Buffer.concat([batch, batch.subarray(0, rnd.int(0, batch.length))]);
  return Buffer.from(Array.from({ length: rnd.int(1, 200) }, () => rnd.int(0, 255)));
}

/** One header field set to a hostile value, the CRC recomputed so that it is not the CRC that refuses it. */
function damagedHeader(batch: Buffer, rnd: SeededRandom): Buffer {
  const out = Buffer.from(batch);
  switch (rnd.int(0, 6)) {
    case 0:
      out.writeInt32BE(rnd.pick([0, 1, -1, INT32_MAX, out.length]), BATCH_OFFSET_LENGTH);
      break;
    case 1:
      out.writeInt8(rnd.pick([0, 1, 3, -1]), BATCH_OFFSET_MAGIC);
      break;
    case 2:
      out.writeInt32BE(rnd.pick([0, -1, INT32_MAX, 1000]), BATCH_OFFSET_RECORDS_COUNT);
      break;
    case 3:
      out.writeInt32BE(rnd.pick([-1, INT32_MAX, 1000]), BATCH_OFFSET_LAST_OFFSET_DELTA);
      break;
    case 4:
      out.writeInt16BE(rnd.pick([0x07, 0x08, 0x10, 0x20, 0x30, -1]), BATCH_OFFSET_ATTRIBUTES);
      break;
    case 5:
      out.writeBigInt64BE(rnd.pick([1n, -1n, INT64_MAX]), BATCH_OFFSET_BASE_OFFSET);
      break;
    default:
      out.writeBigInt64BE(rnd.pick([1n, 42n]), BATCH_OFFSET_PRODUCER_ID);
      out.writeInt32BE(rnd.pick([-1, 0, INT32_MAX]), BATCH_OFFSET_BASE_SEQUENCE);
  }
  if (out.readInt8(BATCH_OFFSET_MAGIC) === 2) batchUpdateCrc(out);
  return out;
}

function noise(rnd: SeededRandom): Buffer {
  return Buffer.from(Array.from({ length: rnd.pick([0, 1, 7, 64, 2048]) }, () => rnd.int(0, 255)));
}

/** The rule for a field, from its name, type and the name of the array or struct holding it. */
function ruleFor(f: OracleField, parent: string): Rule | null {
  const { name, type } = f;
  if (type === "records") return (rnd) => recordsValue(rnd);
  if (type === "bytes") return (rnd, _p, original) => (rnd.next() < 0.3 ? noise(rnd) : original);
  if (type === "uuid" && name === "TopicId") return topicIdRule;
  if (type === "string") {
    if (name === "Topic" || name === "TopicName" || (name === "Name" && /Topic/.test(parent)))
      return topicNameRule;
    if (name === "ResourceName")
      return (rnd, pools, original) =>
        rnd.next() < 0.3 ? rnd.pick(["1", "0", ""]) : topicNameRule(rnd, pools, original);
    if ((name === "Name" || name === "Key") && /Config/.test(parent)) return (rnd) => rnd.pick(CONFIG_NAMES);
    if (name === "Value" && /Config/.test(parent)) return (rnd) => rnd.pick(CONFIG_VALUES);
    if (name === "GroupId" || name === "Key") return groupRule;
    if (name === "ProtocolType") return (rnd, _p, original) => rnd.pick(["consumer", "", original]);
    return null;
  }
  if (type === "[]string") {
    if (/Topic/.test(name))
      return (rnd, pools) => Array.from({ length: rnd.int(0, 3) }, () => topicNameRule(rnd, pools, "t"));
    if (/Group/.test(name)) return (rnd) => Array.from({ length: rnd.int(0, 3) }, () => rnd.pick(GROUP_IDS));
    if (name === "ConfigurationKeys") return (rnd) => [rnd.pick(CONFIG_NAMES)];
    return null;
  }
  if (type === "[]int32" && /Partition/.test(name))
    return (rnd, pools) => Array.from({ length: rnd.int(0, 3) }, () => partitionRule(rnd, pools, 0));
  if (type === "int32") {
    if (name === "PartitionIndex" || name === "Partition" || name === "Index") return partitionRule;
    if (/TimeoutMs$|MaxWaitMs$/i.test(name))
      return name === "SessionTimeoutMs" ? (rnd) => rnd.pick([-1, 0, 100, 6000]) : shortTimeoutRule;
    if (/MaxBytes$|MinBytes$/.test(name)) return bytesLimitRule;
    if (/Epoch$/.test(name) && name !== "SessionEpoch") return epochRule;
    if (name === "NumPartitions" || name === "Count")
      return (rnd) => rnd.pick([-1, 0, 1, 2, 3, INT32_MAX, 100_001]);
    if (name === "SessionId" || name === "SessionEpoch") return (rnd, _p, o) => rnd.pick([0, 0, -1, 1, o]);
    if (name === "ReplicaId" || name === "BrokerId") return (rnd) => rnd.pick([-1, -1, -1, 0, 1, 2, -2]);
    if (name === "GenerationId") return (rnd, _p, o) => rnd.pick([-1, 0, 1, o]);
    return null;
  }
  if (type === "int64") {
    if (/Offset$|Timestamp$/.test(name)) return offsetRule;
    if (name === "ProducerId") return (rnd, _p, o) => rnd.pick([-1n, 0n, 1n, o]);
    return null;
  }
  if (type === "int16") {
    if (name === "Acks") return (rnd) => rnd.pick([-1, -1, 1, 1, 0, 2, -2]);
    if (name === "ReplicationFactor") return (rnd) => rnd.pick([-1, 0, 1, 3, 32767]);
    if (name === "ProducerEpoch") return (rnd, _p, o) => rnd.pick([-1, 0, o]);
    return null;
  }
  if (type === "int8") {
    if (name === "IsolationLevel") return (rnd) => rnd.pick([0, 1, -1, 2]);
    if (name === "ResourceType") return (rnd) => rnd.pick([2, 2, 4, 8, 0, -1]);
    return null;
  }
  return null;
}

const WAIT_FIELD = /TimeoutMs$|MaxWaitMs$/i;
const PRIMITIVE = /^(\[\])?(bool|int8|int16|uint16|int32|uint32|int64|float64|uuid|string|bytes|records)$/;

/** Rewrites `value` (an oracle input of `spec` at `version`) in place, leaving 20% of fields as drawn. */
export function steerRequest(
  spec: OracleSpec,
  version: number,
  value: Record<string, unknown>,
  rnd: SeededRandom,
  pools: SteeringPools,
): void {
  steerStruct(spec, spec.fields, version, value, rnd, pools, spec.name);
}

function steerStruct(
  spec: OracleSpec,
  fields: readonly OracleField[],
  version: number,
  value: Record<string, unknown>,
  rnd: SeededRandom,
  pools: SteeringPools,
  parent: string,
): void {
  for (const f of fields) {
    if (!inRange(f.versions ?? f.taggedVersions, version)) continue;
    const key = f.name[0]?.toLowerCase() + f.name.slice(1);
    const current = value[key];
    if (current === undefined) continue;
    const rule = ruleFor(f, parent);
    if (rule !== null) {
      // Waits are always steered short: a drawn rebalance timeout of 2^31 ms is a legitimate park.
      if (WAIT_FIELD.test(f.name) || rnd.next() < 0.8) {
        const nullable = inRange(f.nullableVersions, version);
        const next = rule(rnd, pools, current);
        value[key] = next === null && !nullable ? current : next;
      }
      continue;
    }
    if (PRIMITIVE.test(f.type) || current === null) continue;
    const fields = resolveStruct(spec, f);
    if (Array.isArray(current)) {
      for (const item of current)
        steerStruct(spec, fields, version, item as Record<string, unknown>, rnd, pools, f.name);
    } else {
      steerStruct(spec, fields, version, current as Record<string, unknown>, rnd, pools, f.name);
    }
  }
}
