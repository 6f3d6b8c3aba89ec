import {
  decodeGroupCoordinatorRecordKey,
  decodeGroupCoordinatorRecordValue,
  encodeGroupCoordinatorRecordKey,
  encodeGroupCoordinatorRecordValue,
  type GroupCoordinatorRecordKeyInput,
  GroupCoordinatorRecordType,
  type GroupCoordinatorRecordValueInput,
  ProtocolDecodeError,
  Reader,
  Writer,
} from "../protocol/index.js";
import {
  CONSUMER_GROUP_RECORD_VALUE_VERSION,
  type ConsumerGroupRecord,
  type ConsumerGroupRecordName,
  type CoordinatorRecord,
  consumerGroupRecord,
  GROUP_METADATA_KEY_VERSION,
  OFFSET_COMMIT_KEY_VERSION,
} from "./coordinator-record.js";

/** A record of `__consumer_offsets` as the log holds it: key bytes, and value bytes or a tombstone. */
export interface RecordBytes {
  readonly key: Buffer;
  readonly value: Buffer | null;
  /** Read back from a transactional batch: its producer (the record counts once its COMMIT is read). */
  readonly transactionalProducerId?: bigint;
  /** Not a record but a transaction marker read back from the log (key empty, value null). */
  readonly marker?: { readonly producerId: bigint; readonly committed: boolean };
}

/** Encodes a record with the generated codecs of specs/kafka-protocol/group-coordinator/. */
export function encodeCoordinatorRecord(record: CoordinatorRecord): RecordBytes {
  const key = new Writer(64);
  const value = record.value === null ? null : new Writer(128);
  if (record.type === "offsetCommit") {
    encodeGroupCoordinatorRecordKey(key, {
      name: "OffsetCommit",
      recordType: OFFSET_COMMIT_KEY_VERSION,
      key: record.key,
    });
    if (value !== null && record.value !== null) {
      encodeGroupCoordinatorRecordValue(value, {
        name: "OffsetCommit",
        version: record.valueVersion,
        value: record.value,
      });
    }
  } else if (record.type === "consumerGroup") {
    encodeConsumerGroupRecord(key, value, record);
  } else {
    encodeGroupCoordinatorRecordKey(key, {
      name: "GroupMetadata",
      recordType: GROUP_METADATA_KEY_VERSION,
      key: record.key,
    });
    if (value !== null && record.value !== null) {
      encodeGroupCoordinatorRecordValue(value, {
        name: "GroupMetadata",
        version: record.valueVersion,
        value: record.value,
      });
    }
  }
  return { key: key.toBuffer(), value: value === null ? null : value.toBuffer() };
}

function encodeConsumerGroupRecord(key: Writer, value: Writer | null, record: ConsumerGroupRecord): void {
  const group = record.key.group;
  const memberId = record.key.memberId ?? "";
  const recordType = GroupCoordinatorRecordType[record.name];
  // The key structs differ only in their second field (a member id, a pattern, or none); the
  // generated union wants each.
  encodeGroupCoordinatorRecordKey(key, {
    name: record.name,
    recordType,
    key:
      record.name === "ConsumerGroupRegularExpression"
        ? { groupId: group, regularExpression: memberId }
        : { groupId: group, memberId },
  } as GroupCoordinatorRecordKeyInput);
  if (value !== null && record.value !== null) {
    encodeGroupCoordinatorRecordValue(value, {
      name: record.name,
      version: CONSUMER_GROUP_RECORD_VALUE_VERSION,
      value: record.value,
    } as GroupCoordinatorRecordValueInput);
  }
}

const CONSUMER_GROUP_RECORD_NAMES: ReadonlySet<string> = new Set<ConsumerGroupRecordName>([
  "ConsumerGroupMetadata",
  "ConsumerGroupPartitionMetadata",
  "ConsumerGroupMemberMetadata",
  "ConsumerGroupTargetAssignmentMetadata",
  "ConsumerGroupTargetAssignmentMember",
  "ConsumerGroupCurrentMemberAssignment",
  "ConsumerGroupRegularExpression",
]);

/**
 * Decodes a record read back from `__consumer_offsets`. Returns null for the record types Brook
 * does not serve (share group records and types unknown to this version), which loading skips, as Kafka skips unknown types. Malformed
 * bytes throw ProtocolDecodeError. The decoded value does not share memory with the input.
 */
export function decodeCoordinatorRecord(bytes: RecordBytes): CoordinatorRecord | null {
  if (bytes.key.length < 2) throw new ProtocolDecodeError("coordinator record key too short for its type");
  const recordType = bytes.key.readInt16BE(0);
  if (
    (recordType >= GroupCoordinatorRecordType.ConsumerGroupMetadata &&
      recordType <= GroupCoordinatorRecordType.ConsumerGroupCurrentMemberAssignment) ||
    recordType === GroupCoordinatorRecordType.ConsumerGroupRegularExpression
  ) {
    return decodeConsumerGroupRecord(bytes, recordType);
  }
  if (
    recordType !== GroupCoordinatorRecordType.OffsetCommitV0 &&
    recordType !== GroupCoordinatorRecordType.OffsetCommit &&
    recordType !== GroupCoordinatorRecordType.GroupMetadata
  ) {
    return null;
  }
  const key = decodeGroupCoordinatorRecordKey(new Reader(bytes.key));
  const decoded =
    bytes.value === null
      ? null
      : decodeGroupCoordinatorRecordValue(new Reader(Buffer.from(bytes.value)), recordType);
  if (key.name === "OffsetCommit") {
    if (decoded !== null && decoded.name !== "OffsetCommit")
      throw new ProtocolDecodeError("value does not match key");
    const { group, topic, partition } = key.key;
    return {
      type: "offsetCommit",
      key: { group, topic, partition },
      value: decoded === null ? null : decoded.value,
      valueVersion: decoded?.version ?? 0,
    };
  }
  if (key.name !== "GroupMetadata" || (decoded !== null && decoded.name !== "GroupMetadata")) {
    throw new ProtocolDecodeError("value does not match key");
  }
  return {
    type: "groupMetadata",
    key: { group: key.key.group },
    value: decoded === null ? null : decoded.value,
    valueVersion: decoded?.version ?? 0,
  };
}

function decodeConsumerGroupRecord(bytes: RecordBytes, recordType: number): ConsumerGroupRecord {
  const key = decodeGroupCoordinatorRecordKey(new Reader(bytes.key));
  if (!CONSUMER_GROUP_RECORD_NAMES.has(key.name))
    throw new ProtocolDecodeError("not a consumer group record");
  const decoded =
    bytes.value === null
      ? null
      : decodeGroupCoordinatorRecordValue(new Reader(Buffer.from(bytes.value)), recordType);
  if (decoded !== null && decoded.name !== key.name)
    throw new ProtocolDecodeError("value does not match key");
  const k = key.key as { groupId: string; memberId?: string; regularExpression?: string };
  return consumerGroupRecord(
    key.name as ConsumerGroupRecordName,
    k.groupId,
    k.memberId ?? k.regularExpression ?? null,
    (decoded?.value ?? null) as ConsumerGroupRecord["value"],
  );
}
