/**
 * The coordinator's requests and responses. Field names are the wire fields of Kafka's message
 * specs, camelCased (`generationId`, `protocolName`, `committedLeaderEpoch`), so a handler copies
 * between these and the generated codecs' structs field by field. Version differences that are
 * pure encoding stay in the handlers (see each type); everything that changes behaviour is an
 * input here (`apiVersion` in the context).
 */

/** Identifies a request whose response the coordinator may produce later, as an effect. */
export type RequestHandle = number;

/** What the coordinator needs from the request header and the connection. */
export interface RequestContext {
  readonly apiVersion: number;
  readonly clientId: string;
  /** The client's address as Kafka renders it (`/127.0.0.1`); shown by DescribeGroups as the host. */
  readonly clientHost: string;
  /**
   * With an authorizer: which of these topics the requester may DESCRIBE. A pattern a member
   * subscribes with resolves only to those (Kafka's filterTopicDescribeAuthorizedTopics).
   */
  readonly describableTopics?: (names: readonly string[]) => ReadonlySet<string>;
}

/** Kafka's `JoinGroupRequest.UNKNOWN_MEMBER_ID`. */
export const UNKNOWN_MEMBER_ID = "";
/** Kafka's `JoinGroupRequest.UNKNOWN_GENERATION_ID`. */
export const UNKNOWN_GENERATION_ID = -1;
/** The assignment of a member that has none yet. */
export const EMPTY_ASSIGNMENT: Buffer = Buffer.alloc(0);

// ---- JoinGroup ----------------------------------------------------------------------------------

export interface JoinGroupProtocol {
  readonly name: string;
  readonly metadata: Buffer;
}

export interface JoinGroupRequest {
  readonly groupId: string;
  readonly sessionTimeoutMs: number;
  /** v0 has no rebalance timeout: pass -1 (the spec default) and the session timeout is used. */
  readonly rebalanceTimeoutMs: number;
  readonly memberId: string;
  /** v5+; null below. */
  readonly groupInstanceId: string | null;
  readonly protocolType: string;
  readonly protocols: readonly JoinGroupProtocol[];
  readonly reason?: string | null;
}

export interface JoinGroupResponseMember {
  readonly memberId: string;
  readonly groupInstanceId: string | null;
  readonly metadata: Buffer;
}

/**
 * `protocolName` is null where Kafka has none; below v7 the handler encodes null as "" (Kafka's
 * JoinGroupResponse does the same), and from v7 an empty name as null.
 */
export interface JoinGroupResponse {
  readonly errorCode: number;
  readonly generationId: number;
  readonly protocolType: string | null;
  readonly protocolName: string | null;
  readonly leader: string;
  readonly skipAssignment: boolean;
  readonly memberId: string;
  readonly members: readonly JoinGroupResponseMember[];
}

// ---- SyncGroup ----------------------------------------------------------------------------------

export interface SyncGroupAssignment {
  readonly memberId: string;
  readonly assignment: Buffer;
}

export interface SyncGroupRequest {
  readonly groupId: string;
  readonly generationId: number;
  readonly memberId: string;
  /** v3+; null below. */
  readonly groupInstanceId: string | null;
  /** v5+; null below (null skips the consistency check). */
  readonly protocolType: string | null;
  readonly protocolName: string | null;
  readonly assignments: readonly SyncGroupAssignment[];
}

export interface SyncGroupResponse {
  readonly errorCode: number;
  readonly protocolType: string | null;
  readonly protocolName: string | null;
  readonly assignment: Buffer;
}

// ---- Heartbeat ----------------------------------------------------------------------------------

export interface HeartbeatRequest {
  readonly groupId: string;
  readonly generationId: number;
  readonly memberId: string;
  /** v3+; null below. */
  readonly groupInstanceId: string | null;
}

export interface HeartbeatResponse {
  readonly errorCode: number;
}

// ---- LeaveGroup ---------------------------------------------------------------------------------

export interface LeaveGroupMember {
  readonly memberId: string;
  readonly groupInstanceId: string | null;
  readonly reason?: string | null;
}

/** v0-2 carry one member id: the handler passes `[{ memberId, groupInstanceId: null }]`. */
export interface LeaveGroupRequest {
  readonly groupId: string;
  readonly members: readonly LeaveGroupMember[];
}

export interface LeaveGroupMemberResponse {
  readonly memberId: string;
  readonly groupInstanceId: string | null;
  readonly errorCode: number;
}

/**
 * v0-2 have no member list: the handler answers `errorCode` if it is not NONE, else the first
 * member error that is not NONE (Kafka's LeaveGroupResponse does exactly this).
 */
export interface LeaveGroupResponse {
  readonly errorCode: number;
  readonly members: readonly LeaveGroupMemberResponse[];
}

// ---- OffsetCommit -------------------------------------------------------------------------------

export interface OffsetCommitRequestPartition {
  readonly partitionIndex: number;
  readonly committedOffset: bigint;
  /** v6+; -1 when absent. */
  readonly committedLeaderEpoch: number;
  /** v1 only; -1 when absent (the commit time is then the broker's clock). */
  readonly commitTimestamp?: number;
  readonly committedMetadata: string | null;
}

export interface OffsetCommitRequestTopic {
  readonly name: string;
  readonly partitions: readonly OffsetCommitRequestPartition[];
}

/** v0 has no generation or member: pass -1 and "". */
export interface OffsetCommitRequest {
  readonly groupId: string;
  readonly generationIdOrMemberEpoch: number;
  readonly memberId: string;
  /** v7+; null below. */
  readonly groupInstanceId: string | null;
  /** v2-4; -1 (the default) means the broker's `offsets.retention.minutes`. */
  readonly retentionTimeMs: number;
  readonly topics: readonly OffsetCommitRequestTopic[];
}

/** TxnOffsetCommit (v0-v2 carry no member; v3+ may, KIP-447). Answered as an OffsetCommit. */
export interface TxnOffsetCommitRequest {
  readonly transactionalId: string;
  readonly groupId: string;
  readonly producerId: bigint;
  readonly producerEpoch: number;
  /** -1 when not given. */
  readonly generationId: number;
  /** "" when not given. */
  readonly memberId: string;
  readonly groupInstanceId: string | null;
  readonly topics: readonly OffsetCommitRequestTopic[];
}

export interface OffsetCommitResponsePartition {
  readonly partitionIndex: number;
  readonly errorCode: number;
}

export interface OffsetCommitResponseTopic {
  readonly name: string;
  readonly partitions: readonly OffsetCommitResponsePartition[];
}

export interface OffsetCommitResponse {
  readonly topics: readonly OffsetCommitResponseTopic[];
}

// ---- OffsetFetch --------------------------------------------------------------------------------

export interface OffsetFetchRequestTopic {
  readonly name: string;
  readonly partitionIndexes: readonly number[];
}

/** One group of OffsetFetch v8+; v0-7 carry exactly one. `topics` null asks for all (v2+). */
export interface OffsetFetchRequestGroup {
  readonly groupId: string;
  readonly topics: readonly OffsetFetchRequestTopic[] | null;
  /** v9+, checked for consumer groups only (KIP-848); absent or null/-1: an admin's fetch. */
  readonly memberId?: string | null;
  readonly memberEpoch?: number;
}

export interface OffsetFetchResponsePartition {
  readonly partitionIndex: number;
  readonly committedOffset: bigint;
  readonly committedLeaderEpoch: number;
  readonly metadata: string | null;
  readonly errorCode: number;
}

export interface OffsetFetchResponseTopic {
  readonly name: string;
  readonly partitions: readonly OffsetFetchResponsePartition[];
}

/**
 * One group's answer. v2-7 put `errorCode` at the top level; v0-1 have no group error, so the
 * handler copies it into every partition.
 */
export interface OffsetFetchResponseGroup {
  readonly groupId: string;
  readonly topics: readonly OffsetFetchResponseTopic[];
  readonly errorCode: number;
}

// ---- DescribeGroups / ListGroups ----------------------------------------------------------------

export interface DescribedGroupMember {
  readonly memberId: string;
  readonly groupInstanceId: string | null;
  readonly clientId: string;
  readonly clientHost: string;
  readonly memberMetadata: Buffer;
  readonly memberAssignment: Buffer;
}

/** `authorizedOperations` (v3+) is the handler's: the coordinator knows nothing of ACLs. */
export interface DescribedGroup {
  readonly errorCode: number;
  readonly groupId: string;
  readonly groupState: string;
  readonly protocolType: string;
  readonly protocolData: string;
  readonly members: readonly DescribedGroupMember[];
}

export interface ListGroupsRequest {
  /** v4+; empty lists every state. */
  readonly statesFilter: readonly string[];
  /** v5+; empty lists every type. */
  readonly typesFilter: readonly string[];
}

export interface ListedGroup {
  readonly groupId: string;
  readonly protocolType: string;
  readonly groupState: string;
  readonly groupType: string;
}

export interface ListGroupsResponse {
  readonly errorCode: number;
  readonly groups: readonly ListedGroup[];
}

// ---- DeleteGroups / OffsetDelete ----------------------------------------------------------------

export interface DeletableGroupResult {
  readonly groupId: string;
  readonly errorCode: number;
}

export interface OffsetDeleteRequestTopic {
  readonly name: string;
  readonly partitions: readonly { readonly partitionIndex: number }[];
}

export interface OffsetDeleteRequest {
  readonly groupId: string;
  readonly topics: readonly OffsetDeleteRequestTopic[];
}

export interface OffsetDeleteResponsePartition {
  readonly partitionIndex: number;
  readonly errorCode: number;
}

export interface OffsetDeleteResponseTopic {
  readonly name: string;
  readonly partitions: readonly OffsetDeleteResponsePartition[];
}

export interface OffsetDeleteResponse {
  readonly errorCode: number;
  readonly topics: readonly OffsetDeleteResponseTopic[];
}

// ---- ConsumerGroupHeartbeat / ConsumerGroupDescribe (KIP-848) ----------------------------------

export interface ConsumerGroupTopicPartitions {
  readonly topicId: string;
  readonly partitions: readonly number[];
}

/** Fields the spec makes nullable are null when the member did not send them (no change). */
export interface ConsumerGroupHeartbeatRequest {
  readonly groupId: string;
  readonly memberId: string;
  readonly memberEpoch: number;
  readonly instanceId: string | null;
  readonly rackId: string | null;
  /** -1: not sent. */
  readonly rebalanceTimeoutMs: number;
  readonly subscribedTopicNames: readonly string[] | null;
  readonly subscribedTopicRegex: string | null;
  readonly serverAssignor: string | null;
  readonly topicPartitions: readonly ConsumerGroupTopicPartitions[] | null;
}

export interface ConsumerGroupHeartbeatResponse {
  readonly errorCode: number;
  readonly errorMessage: string | null;
  readonly memberId: string | null;
  readonly memberEpoch: number;
  readonly heartbeatIntervalMs: number;
  /** Sent only on a full request or when the member's partitions changed. */
  readonly assignment: { readonly topicPartitions: readonly ConsumerGroupTopicPartitions[] } | null;
}

export interface DescribedConsumerGroupMember {
  readonly memberId: string;
  readonly instanceId: string | null;
  readonly rackId: string | null;
  readonly memberEpoch: number;
  readonly clientId: string;
  readonly clientHost: string;
  readonly subscribedTopicNames: readonly string[];
  readonly subscribedTopicRegex: string | null;
  readonly assignment: readonly { topicId: string; topicName: string; partitions: readonly number[] }[];
  readonly targetAssignment: readonly { topicId: string; topicName: string; partitions: readonly number[] }[];
}

export interface DescribedConsumerGroup {
  readonly errorCode: number;
  readonly errorMessage: string | null;
  readonly groupId: string;
  readonly groupState: string;
  readonly groupEpoch: number;
  readonly assignmentEpoch: number;
  readonly assignorName: string;
  readonly members: readonly DescribedConsumerGroupMember[];
}

// ---- Responses the coordinator produces as effects ----------------------------------------------

/** A response addressed to a request handle, tagged with its API. */
export type CoordinatorResponse =
  | { readonly api: "joinGroup"; readonly data: JoinGroupResponse }
  | { readonly api: "syncGroup"; readonly data: SyncGroupResponse }
  | { readonly api: "heartbeat"; readonly data: HeartbeatResponse }
  | { readonly api: "leaveGroup"; readonly data: LeaveGroupResponse }
  | { readonly api: "offsetCommit"; readonly data: OffsetCommitResponse }
  | { readonly api: "deleteGroups"; readonly data: readonly DeletableGroupResult[] }
  | { readonly api: "offsetDelete"; readonly data: OffsetDeleteResponse }
  | { readonly api: "consumerGroupHeartbeat"; readonly data: ConsumerGroupHeartbeatResponse };

export type CoordinatorApi = CoordinatorResponse["api"];

/** The response data of each API, by name. */
export type CoordinatorResponseData = { [R in CoordinatorResponse as R["api"]]: R["data"] };
