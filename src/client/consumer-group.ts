import { groupBy } from "../base/index.js";
import {
  ApiKey,
  decodeConsumerProtocolSubscriptionVersioned,
  ErrorCode,
  encodeConsumerProtocolAssignmentVersioned,
  encodeConsumerProtocolSubscriptionVersioned,
  type HeartbeatResponse,
  type JoinGroupResponse,
  KafkaError,
  type LeaveGroupResponse,
  Reader,
  type SyncGroupResponse,
  Writer,
} from "../protocol/index.js";
import { decodeConsumerAssignment, type TopicPartition } from "./admin-group-results.js";
import { errorMessageOf } from "./admin-results.js";
import type { ClusterView } from "./cluster-view.js";
import { COORDINATOR_MOVED, CoordinatorKeyType, CoordinatorLink } from "./coordinator-link.js";
import { commitOffsets } from "./group-commit.js";
import type { KafkaConnection } from "./kafka-connection.js";
import { RANGE_ASSIGNOR_NAME, rangeAssign } from "./range-assignor.js";

/*
 * A consumer's membership of a classic group (Kafka's ConsumerCoordinator with the eager "range"
 * protocol): JoinGroup and SyncGroup, the leader assigning, heartbeats between polls, offset
 * commits with the generation, LeaveGroup on close. What to do on a rebalance (commit, forget
 * positions) is the consumer's; this says when one is needed.
 */

export interface GroupMemberOptions {
  groupId: string;
  sessionTimeoutMs: number;
  rebalanceTimeoutMs: number;
  heartbeatIntervalMs: number;
  requestTimeoutMs: number;
  retryBackoffMs: number;
  /**
   * Static membership (group.instance.id, KIP-345): the coordinator keeps this member's partitions
   * across a restart within the session timeout, and closing does not leave the group.
   */
  groupInstanceId: string | null;
  /** Called when a heartbeat learns that the member must join again. */
  onRejoinNeeded: () => void;
}

/** Version 0 of the consumer protocol's subscription and assignment: every client reads it. */
const CONSUMER_PROTOCOL_VERSION = 0;
/** Answers after which the member joins again (with a new member id for UNKNOWN_MEMBER_ID). */
const REJOIN: ReadonlySet<number> = new Set([
  ErrorCode.REBALANCE_IN_PROGRESS,
  ErrorCode.ILLEGAL_GENERATION,
  ErrorCode.UNKNOWN_MEMBER_ID,
]);
const NO_CODES: ReadonlySet<number> = new Set();
/** Kafka's JoinGroup wait: the rebalance timeout plus a margin for the coordinator's answer. */
const JOIN_MARGIN_MS = 5000;

export function encodeSubscription(topics: readonly string[]): Buffer {
  const w = new Writer();
  encodeConsumerProtocolSubscriptionVersioned(w, { topics, userData: null }, CONSUMER_PROTOCOL_VERSION);
  return w.toBuffer();
}

export function encodeAssignment(partitions: readonly TopicPartition[]): Buffer {
  const byTopic = groupBy(
    partitions,
    (tp) => tp.topic,
    (tp) => tp.partition,
  );
  const w = new Writer();
  encodeConsumerProtocolAssignmentVersioned(
    w,
    { assignedPartitions: [...byTopic].map(([topic, ps]) => ({ topic, partitions: ps })), userData: null },
    CONSUMER_PROTOCOL_VERSION,
  );
  return w.toBuffer();
}

export class GroupMember {
  readonly groupId: string;
  memberId = "";
  generationId = -1;
  /** Set when a heartbeat (or a commit) says the group is rebalancing or forgot this member. */
  rejoinNeeded = false;
  /** Another consumer with this member's group.instance.id took over: fatal, as in Kafka. */
  fenced: KafkaError | null = null;
  private readonly options: GroupMemberOptions;
  private readonly coordinator: CoordinatorLink;
  private heartbeatTimer: NodeJS.Timeout | null = null;
  private heartbeatsOn = false;
  private stopped = false;

  constructor(cluster: ClusterView, options: GroupMemberOptions) {
    this.options = options;
    this.groupId = options.groupId;
    this.coordinator = new CoordinatorLink(
      cluster,
      CoordinatorKeyType.group,
      options.groupId,
      options.requestTimeoutMs,
    );
  }

  get staticMember(): boolean {
    return this.options.groupInstanceId !== null;
  }

  /** A member of a generation: commits carry it, LeaveGroup names it. */
  get active(): boolean {
    return this.generationId >= 0 && this.memberId !== "";
  }

  /**
   * Joins (or joins again) with a subscription to `topics` and returns this member's partitions.
   * As the leader it assigns the members' subscriptions, with partition counts from `counts`.
   */
  async join(
    topics: readonly string[],
    counts: (topics: readonly string[]) => Promise<Map<string, number>>,
  ): Promise<TopicPartition[]> {
    this.stopHeartbeats();
    this.rejoinNeeded = false;
    for (;;) {
      if (this.stopped) throw new KafkaError(ErrorCode.UNKNOWN_SERVER_ERROR, "the consumer is closed");
      const outcome = await this.coordinator.attempt(async (connection) => {
        const join = await this.sendJoin(connection, topics);
        if (join.errorCode === ErrorCode.MEMBER_ID_REQUIRED) {
          // KIP-394: the coordinator names the member id to join with.
          this.memberId = join.memberId;
          return { errorCode: ErrorCode.MEMBER_ID_REQUIRED, value: null };
        }
        if (join.errorCode !== ErrorCode.NONE) return { errorCode: join.errorCode, value: null };
        this.memberId = join.memberId;
        this.generationId = join.generationId;
        const assignments =
          join.leader === join.memberId && !join.skipAssignment ? await this.assign(join, counts) : [];
        const sync = await this.sendSync(connection, assignments);
        if (sync.errorCode !== ErrorCode.NONE) return { errorCode: sync.errorCode, value: null };
        const assigned = decodeConsumerAssignment(sync.assignment) ?? [];
        return {
          errorCode: ErrorCode.NONE,
          value: assigned.flatMap((t) => t.partitions.map((partition) => ({ topic: t.topic, partition }))),
        };
      });
      if (outcome.value !== null) {
        // A consumer closed meanwhile does not start heartbeating for the generation it joined.
        if (!this.stopped) this.startHeartbeats();
        return outcome.value;
      }
      const code = outcome.errorCode;
      if (code === ErrorCode.MEMBER_ID_REQUIRED || code === ErrorCode.REBALANCE_IN_PROGRESS) continue;
      if (code === ErrorCode.UNKNOWN_MEMBER_ID || code === ErrorCode.ILLEGAL_GENERATION) {
        if (code === ErrorCode.UNKNOWN_MEMBER_ID) this.memberId = "";
        this.generationId = -1;
        continue;
      }
      if (code === null || COORDINATOR_MOVED.has(code) || isRetriableJoin(code)) {
        await sleep(this.options.retryBackoffMs);
        continue;
      }
      throw new KafkaError(code, errorMessageOf(code, null) ?? undefined);
    }
  }

  /**
   * Commits offsets with this member's generation (a simple commit, generation -1, outside a
   * group). Retries a moved coordinator until the deadline; a rebalance or a forgotten member
   * fails the commit (Kafka's CommitFailedException) and asks for a rejoin.
   */
  async commit(offsets: readonly (TopicPartition & { offset: bigint })[], timeoutMs: number): Promise<void> {
    await commitOffsets(
      this.coordinator,
      () => ({
        generationOrEpoch: this.active ? this.generationId : -1,
        memberId: this.active ? this.memberId : "",
        groupInstanceId: this.options.groupInstanceId,
      }),
      {
        groupId: this.groupId,
        maxVersion: 8,
        minVersion: this.staticMember ? 7 : 2,
        rejoinCodes: REJOIN,
        retryCodes: NO_CODES,
        requestTimeoutMs: this.options.requestTimeoutMs,
        retryBackoffMs: this.options.retryBackoffMs,
      },
      offsets,
      timeoutMs,
      () => {
        this.rejoinNeeded = true;
      },
    );
  }

  /**
   * Leaves the group (LeaveGroup), best effort: a member that cannot say so expires with its
   * session. A static member does not leave (Kafka's consumer neither): it keeps its partitions
   * for a restart within the session timeout.
   */
  async leave(closing = true): Promise<void> {
    this.stopHeartbeats();
    // unsubscribe() leaves for now: a later subscribe joins again as a new member.
    if (closing) this.stopped = true;
    this.rejoinNeeded = false;
    if (this.memberId === "" || this.coordinator.nodeId === null || this.staticMember) return;
    const memberId = this.memberId;
    this.memberId = "";
    this.generationId = -1;
    try {
      const connection = await this.coordinator.connection();
      const version = connection.negotiatedVersion(ApiKey.LeaveGroup, 5, 0);
      const body =
        version >= 3
          ? {
              groupId: this.groupId,
              members: [
                {
                  memberId,
                  groupInstanceId: this.options.groupInstanceId,
                  reason: "the consumer is being closed",
                },
              ],
            }
          : { groupId: this.groupId, memberId };
      await connection.request<LeaveGroupResponse>(ApiKey.LeaveGroup, version, body, {
        timeoutMs: this.options.requestTimeoutMs,
      });
    } catch {
      // Leaving is a courtesy: the session timeout removes the member anyway.
    }
  }

  stopHeartbeats(): void {
    this.heartbeatsOn = false;
    if (this.heartbeatTimer !== null) clearTimeout(this.heartbeatTimer);
    this.heartbeatTimer = null;
  }

  private startHeartbeats(): void {
    this.heartbeatsOn = true;
    this.scheduleHeartbeat();
  }

  private scheduleHeartbeat(): void {
    if (!this.heartbeatsOn) return;
    this.heartbeatTimer = setTimeout(() => {
      this.heartbeatTimer = null;
      void this.heartbeat().finally(() => this.scheduleHeartbeat());
    }, this.options.heartbeatIntervalMs);
    // A consumer that is otherwise idle (closing) must not be kept alive by its heartbeats.
    this.heartbeatTimer.unref();
  }

  private async heartbeat(): Promise<void> {
    const generationId = this.generationId;
    const outcome = await this.coordinator.attempt(async (connection) => {
      const version = connection.negotiatedVersion(ApiKey.Heartbeat, 4, this.staticMember ? 3 : 0);
      const response = await connection.request<HeartbeatResponse>(
        ApiKey.Heartbeat,
        version,
        {
          groupId: this.groupId,
          generationId,
          memberId: this.memberId,
          groupInstanceId: this.options.groupInstanceId,
        },
        { timeoutMs: this.options.requestTimeoutMs },
      );
      return { errorCode: response.errorCode, value: true };
    });
    const code = outcome.errorCode;
    if (code === ErrorCode.FENCED_INSTANCE_ID && this.heartbeatsOn) {
      this.fenced = fencedInstance(this.options.groupInstanceId);
      this.stopHeartbeats();
      this.options.onRejoinNeeded();
      return;
    }
    if (!this.heartbeatsOn || generationId !== this.generationId || code === null || !REJOIN.has(code))
      return;
    if (code === ErrorCode.UNKNOWN_MEMBER_ID) this.memberId = "";
    // A rebalance keeps the generation for a last commit; otherwise this member's is over.
    if (code !== ErrorCode.REBALANCE_IN_PROGRESS) this.generationId = -1;
    this.stopHeartbeats();
    this.rejoinNeeded = true;
    this.options.onRejoinNeeded();
  }

  private sendJoin(connection: KafkaConnection, topics: readonly string[]): Promise<JoinGroupResponse> {
    const version = connection.negotiatedVersion(ApiKey.JoinGroup, 9, this.staticMember ? 5 : 1);
    return connection.request<JoinGroupResponse>(
      ApiKey.JoinGroup,
      version,
      {
        groupId: this.groupId,
        sessionTimeoutMs: this.options.sessionTimeoutMs,
        rebalanceTimeoutMs: this.options.rebalanceTimeoutMs,
        memberId: this.memberId,
        groupInstanceId: this.options.groupInstanceId,
        protocolType: "consumer",
        protocols: [{ name: RANGE_ASSIGNOR_NAME, metadata: encodeSubscription(topics) }],
        reason: null,
      },
      {
        timeoutMs: Math.max(this.options.requestTimeoutMs, this.options.rebalanceTimeoutMs + JOIN_MARGIN_MS),
      },
    );
  }

  private sendSync(
    connection: KafkaConnection,
    assignments: { memberId: string; assignment: Buffer }[],
  ): Promise<SyncGroupResponse> {
    const version = connection.negotiatedVersion(ApiKey.SyncGroup, 5, this.staticMember ? 3 : 0);
    return connection.request<SyncGroupResponse>(
      ApiKey.SyncGroup,
      version,
      {
        groupId: this.groupId,
        generationId: this.generationId,
        memberId: this.memberId,
        groupInstanceId: this.options.groupInstanceId,
        protocolType: "consumer",
        protocolName: RANGE_ASSIGNOR_NAME,
        assignments,
      },
      {
        timeoutMs: Math.max(this.options.requestTimeoutMs, this.options.rebalanceTimeoutMs + JOIN_MARGIN_MS),
      },
    );
  }

  /** The leader's work: the members' subscriptions, read, then assigned with the range assignor. */
  private async assign(
    join: JoinGroupResponse,
    counts: (topics: readonly string[]) => Promise<Map<string, number>>,
  ): Promise<{ memberId: string; assignment: Buffer }[]> {
    const members = join.members.map((m) => {
      let topics: string[] = [];
      try {
        topics = decodeConsumerProtocolSubscriptionVersioned(new Reader(m.metadata)).value.topics;
      } catch {
        // A member whose subscription cannot be read gets nothing, as Kafka's leader would fail it.
      }
      return { memberId: m.memberId, topics };
    });
    const all = [...new Set(members.flatMap((m) => m.topics))];
    const assignment = rangeAssign(members, await counts(all));
    return [...assignment].map(([memberId, partitions]) => ({
      memberId,
      assignment: encodeAssignment(partitions),
    }));
  }
}

function fencedInstance(groupInstanceId: string | null): KafkaError {
  return new KafkaError(
    ErrorCode.FENCED_INSTANCE_ID,
    `The broker reported that this consumer has been fenced by another consumer with the same group.instance.id ${groupInstanceId}`,
  );
}

/** Retriable answers to group requests that a later attempt may get past. */
function isRetriableJoin(code: number): boolean {
  return code === ErrorCode.REQUEST_TIMED_OUT || code === ErrorCode.NETWORK_EXCEPTION;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
