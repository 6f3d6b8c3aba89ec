import type {
  ConsumerGroupCurrentMemberAssignmentValue,
  ConsumerGroupMemberMetadataValue,
  ConsumerGroupMetadataValue,
  ConsumerGroupPartitionMetadataValue,
  ConsumerGroupRegularExpressionValue,
  ConsumerGroupTargetAssignmentMemberValue,
  ConsumerGroupTargetAssignmentMetadataValue,
} from "../protocol/index.js";

/**
 * The records of `__consumer_offsets` that the classic group coordinator writes and replays, as
 * data. Their layout is Kafka's (specs/kafka-protocol/group-coordinator/): a record key starts with
 * an int16 version that selects the record type (0 and 1: an offset commit, 2: group metadata; 3+
 * are KIP-848 records, below), followed by the key struct; the value starts with its
 * own int16 version. Types 3 to 8 and 16 are the records of KIP-848 consumer groups
 * (`ConsumerGroupRecord`). A null value is a tombstone: it deletes the key, and log compaction then
 * drops both.
 *
 * Field names are those of the specs, so these objects are what the generated record codecs
 * encode and decode (`coordinator-record-codec.ts`).
 */

/** Key version Kafka writes for offset commits (0 is the same layout, still read). */
export const OFFSET_COMMIT_KEY_VERSION = 1;
/** Key version of group metadata. */
export const GROUP_METADATA_KEY_VERSION = 2;
/** Value version Kafka writes for offsets without an explicit expiry (IBP 2.1+). */
export const OFFSET_COMMIT_VALUE_VERSION = 3;
/** Value version Kafka writes for offsets committed with a retention time (OffsetCommit v2-4). */
export const OFFSET_COMMIT_VALUE_VERSION_WITH_EXPIRY = 1;
/** Value version Kafka writes for group metadata (IBP 2.3+). */
export const GROUP_METADATA_VALUE_VERSION = 3;
/** Value version of every consumer group record (the only one the specs define). */
export const CONSUMER_GROUP_RECORD_VALUE_VERSION = 0;

export interface OffsetCommitKey {
  readonly group: string;
  readonly topic: string;
  readonly partition: number;
}

export interface OffsetCommitValue {
  readonly offset: bigint;
  /** -1: unknown. */
  readonly leaderEpoch: number;
  readonly metadata: string;
  readonly commitTimestamp: bigint;
  /** -1: none (only value version 1 carries one). */
  readonly expireTimestamp: bigint;
}

export interface GroupMetadataKey {
  readonly group: string;
}

export interface GroupMetadataMember {
  readonly memberId: string;
  readonly groupInstanceId: string | null;
  readonly clientId: string;
  readonly clientHost: string;
  readonly rebalanceTimeout: number;
  readonly sessionTimeout: number;
  /** The member's metadata for the group's selected protocol. */
  readonly subscription: Buffer;
  readonly assignment: Buffer;
}

export interface GroupMetadataValue {
  readonly protocolType: string;
  readonly generation: number;
  readonly protocol: string | null;
  readonly leader: string | null;
  /** -1: unknown (value versions 0 and 1). */
  readonly currentStateTimestamp: bigint;
  readonly members: readonly GroupMetadataMember[];
}

/** The records of a KIP-848 consumer group, by their spec names (all at value version 0). */
export interface ConsumerGroupRecordValues {
  readonly ConsumerGroupMetadata: ConsumerGroupMetadataValue;
  readonly ConsumerGroupPartitionMetadata: ConsumerGroupPartitionMetadataValue;
  readonly ConsumerGroupMemberMetadata: ConsumerGroupMemberMetadataValue;
  readonly ConsumerGroupTargetAssignmentMetadata: ConsumerGroupTargetAssignmentMetadataValue;
  readonly ConsumerGroupTargetAssignmentMember: ConsumerGroupTargetAssignmentMemberValue;
  readonly ConsumerGroupCurrentMemberAssignment: ConsumerGroupCurrentMemberAssignmentValue;
  readonly ConsumerGroupRegularExpression: ConsumerGroupRegularExpressionValue;
}
export type ConsumerGroupRecordName = keyof ConsumerGroupRecordValues;

/**
 * A consumer group record. The key's second field: `memberId` is the member's id, null for the
 * group-level records, and the pattern for ConsumerGroupRegularExpression (record type 16).
 */
export type ConsumerGroupRecord = {
  [N in ConsumerGroupRecordName]: {
    readonly type: "consumerGroup";
    readonly name: N;
    readonly key: { readonly group: string; readonly memberId: string | null };
    readonly value: ConsumerGroupRecordValues[N] | null;
  };
}[ConsumerGroupRecordName];

export function consumerGroupRecord<N extends ConsumerGroupRecordName>(
  name: N,
  group: string,
  memberId: string | null,
  value: ConsumerGroupRecordValues[N] | null,
): ConsumerGroupRecord {
  return { type: "consumerGroup", name, key: { group, memberId }, value } as ConsumerGroupRecord;
}

export type CoordinatorRecord =
  | ConsumerGroupRecord
  | {
      readonly type: "offsetCommit";
      readonly key: OffsetCommitKey;
      readonly value: OffsetCommitValue | null;
      readonly valueVersion: number;
    }
  | {
      readonly type: "groupMetadata";
      readonly key: GroupMetadataKey;
      readonly value: GroupMetadataValue | null;
      readonly valueVersion: number;
    };

export function offsetCommitRecord(key: OffsetCommitKey, value: OffsetCommitValue): CoordinatorRecord {
  const valueVersion =
    value.expireTimestamp >= 0n ? OFFSET_COMMIT_VALUE_VERSION_WITH_EXPIRY : OFFSET_COMMIT_VALUE_VERSION;
  return { type: "offsetCommit", key, value, valueVersion };
}

export function offsetCommitTombstone(group: string, topic: string, partition: number): CoordinatorRecord {
  return { type: "offsetCommit", key: { group, topic, partition }, value: null, valueVersion: 0 };
}

export function groupMetadataRecord(group: string, value: GroupMetadataValue): CoordinatorRecord {
  return { type: "groupMetadata", key: { group }, value, valueVersion: GROUP_METADATA_VALUE_VERSION };
}

export function groupMetadataTombstone(group: string): CoordinatorRecord {
  return { type: "groupMetadata", key: { group }, value: null, valueVersion: 0 };
}

/** The group a record belongs to. */
export function recordGroupId(record: CoordinatorRecord): string {
  return record.key.group;
}
