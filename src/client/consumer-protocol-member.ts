import { randomBytes } from "node:crypto";
import {
  ApiKey,
  type ConsumerGroupHeartbeatResponse,
  ErrorCode,
  KafkaError,
  type Uuid,
} from "../protocol/index.js";
import { partitionKey, type TopicPartition } from "./admin-group-results.js";
import { errorMessageOf } from "./admin-results.js";
import type { ClusterView } from "./cluster-view.js";
import { COORDINATOR_MOVED, CoordinatorKeyType, CoordinatorLink } from "./coordinator-link.js";
import { commitOffsets } from "./group-commit.js";

/*
 * A consumer's membership of a KIP-848 consumer group (group.protocol=consumer, Kafka's
 * ConsumerMembershipManager and ConsumerHeartbeatRequestManager): the coordinator assigns, the
 * member heartbeats with ConsumerGroupHeartbeat, takes each new target assignment, gives up the
 * partitions it no longer has (after its listener and a commit) and then reports what it owns, so
 * that the coordinator can hand those partitions on. The consumer reconciles, in poll; this class
 * keeps the protocol's state and says what the coordinator wants.
 */

export interface ConsumerProtocolOptions {
  groupId: string;
  rebalanceTimeoutMs: number;
  requestTimeoutMs: number;
  retryBackoffMs: number;
  groupInstanceId: string | null;
  /** group.remote.assignor: the server assignor to ask for (null: the coordinator's default). */
  serverAssignor: string | null;
  /** Called when the coordinator's answer needs the consumer's attention (a new target, a fence). */
  onChange: () => void;
}

/** The member epoch of a leave; -2 for a static member that comes back. */
const LEAVE_EPOCH = -1;
const LEAVE_STATIC_EPOCH = -2;
/** Until the coordinator names an interval (its answer carries one). */
const FIRST_HEARTBEAT_INTERVAL_MS = 100;

/** Answers after which the member lost its partitions and joins again at epoch 0. */
const FENCED: ReadonlySet<number> = new Set([ErrorCode.FENCED_MEMBER_EPOCH, ErrorCode.UNKNOWN_MEMBER_ID]);
/** Answers that end the consumer (Kafka's fatal heartbeat errors). */
const FATAL: ReadonlySet<number> = new Set([
  ErrorCode.GROUP_AUTHORIZATION_FAILED,
  ErrorCode.INVALID_REQUEST,
  ErrorCode.GROUP_MAX_SIZE_REACHED,
  ErrorCode.UNSUPPORTED_ASSIGNOR,
  ErrorCode.UNSUPPORTED_VERSION,
  ErrorCode.UNRELEASED_INSTANCE_ID,
  ErrorCode.FENCED_INSTANCE_ID,
  ErrorCode.INVALID_REGULAR_EXPRESSION,
  ErrorCode.GROUP_ID_NOT_FOUND,
]);
const STALE_EPOCH_CODES: ReadonlySet<number> = new Set([ErrorCode.STALE_MEMBER_EPOCH]);

/** A subscription: topic names, or a pattern the coordinator resolves (RE2J syntax). */
export type Subscription = { readonly topics: readonly string[] } | { readonly regex: string };

export class ConsumerProtocolMember {
  readonly groupId: string;
  /** Client-chosen (ConsumerGroupHeartbeat v1): Kafka's Uuid.randomUuid().toString(). */
  readonly memberId: string = randomBytes(16).toString("base64url");
  memberEpoch = 0;
  /** Fatal for the consumer: raised at its next poll. */
  fenced: KafkaError | null = null;
  /** The coordinator forgot this member or fenced its epoch: its partitions are lost. */
  lost = false;
  private readonly options: ConsumerProtocolOptions;
  private readonly cluster: ClusterView;
  private readonly coordinator: CoordinatorLink;
  private subscription: Subscription | null = null;
  /** The latest target from the coordinator not yet taken by the consumer (names resolved). */
  private target: TopicPartition[] | null = null;
  /** What the member owns, as last reported (null: report it at the next heartbeat). */
  private owned: { topicId: Uuid; partitions: number[] }[] = [];
  /** Bumped by each acknowledge; the heartbeat that carried this version reported it. */
  private ownedVersion = 0;
  private reportedVersion = -1;
  /** The subscription reached the coordinator (sent again after a change or a rejoin). */
  private subscriptionSent = false;
  private intervalMs = FIRST_HEARTBEAT_INTERVAL_MS;
  private timer: NodeJS.Timeout | null = null;
  private inFlight: Promise<void> | null = null;
  private stopped = false;
  /** Topic ids to names, learned from the cluster's metadata. */
  private readonly names = new Map<Uuid, string>();
  private readonly ids = new Map<string, Uuid>();

  constructor(cluster: ClusterView, options: ConsumerProtocolOptions) {
    this.cluster = cluster;
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

  /** In the group with an epoch: commits carry it. */
  get active(): boolean {
    return this.memberEpoch > 0;
  }

  /** What transactional offsets name as the generation: the member epoch. */
  get generationId(): number {
    return this.active ? this.memberEpoch : -1;
  }

  /** Starts (or changes) the subscription; heartbeats run until leave(). */
  subscribe(subscription: Subscription): void {
    this.subscription = subscription;
    this.subscriptionSent = false;
    this.stopped = false;
    this.schedule(0);
  }

  /** The coordinator's newest assignment, once, if it changed since the last take. */
  takeTarget(): TopicPartition[] | null {
    const target = this.target;
    this.target = null;
    return target;
  }

  /**
   * The consumer now owns exactly these partitions (after revoking and taking what the target
   * said): reported at once, so the coordinator can move on.
   */
  acknowledge(owned: readonly TopicPartition[]): void {
    const byTopic = new Map<Uuid, number[]>();
    for (const tp of owned) {
      const id = this.ids.get(tp.topic);
      if (id === undefined) continue;
      byTopic.set(id, [...(byTopic.get(id) ?? []), tp.partition]);
    }
    this.owned = [...byTopic].map(([topicId, partitions]) => ({
      topicId,
      partitions: partitions.sort((a, b) => a - b),
    }));
    this.ownedVersion++;
    this.schedule(0);
  }

  /** After a fence: the consumer gave up its partitions; join again at epoch 0, same member id. */
  rejoin(): void {
    this.lost = false;
    this.memberEpoch = 0;
    this.owned = [];
    this.ownedVersion++;
    this.subscriptionSent = false;
    this.schedule(0);
  }

  /** Commits with the member epoch (OffsetCommit v9, as the consumer protocol requires). */
  commit(offsets: readonly (TopicPartition & { offset: bigint })[], timeoutMs: number): Promise<void> {
    return commitOffsets(
      this.coordinator,
      () => ({
        generationOrEpoch: this.active ? this.memberEpoch : -1,
        memberId: this.active ? this.memberId : "",
        groupInstanceId: this.options.groupInstanceId,
      }),
      {
        groupId: this.groupId,
        maxVersion: 9,
        minVersion: this.active ? 9 : 2,
        rejoinCodes: FENCED,
        retryCodes: STALE_EPOCH_CODES,
        requestTimeoutMs: this.options.requestTimeoutMs,
        retryBackoffMs: this.options.retryBackoffMs,
      },
      offsets,
      timeoutMs,
      () => {},
    );
  }

  /**
   * Leaves the group (a heartbeat at epoch -1, or -2 for a static member), best effort. Without
   * `closing` (unsubscribe) the member may subscribe again later: it then joins at epoch 0.
   */
  async leave(closing = true): Promise<void> {
    this.stopHeartbeats();
    this.stopped = true;
    await this.inFlight;
    const wasActive = this.active;
    const epoch = this.staticMember ? LEAVE_STATIC_EPOCH : LEAVE_EPOCH;
    if (!closing) {
      this.subscription = null;
      this.stopped = false;
      this.lost = false;
      this.target = null;
      this.owned = [];
      this.ownedVersion++;
      this.subscriptionSent = false;
    }
    this.memberEpoch = closing ? epoch : 0;
    if (!wasActive) return;
    try {
      await this.coordinator.attempt(async (connection) => {
        const response = await connection.request<ConsumerGroupHeartbeatResponse>(
          ApiKey.ConsumerGroupHeartbeat,
          connection.negotiatedVersion(ApiKey.ConsumerGroupHeartbeat, 1, 1),
          {
            groupId: this.groupId,
            memberId: this.memberId,
            memberEpoch: epoch,
            instanceId: this.options.groupInstanceId,
          },
          { timeoutMs: this.options.requestTimeoutMs },
        );
        return { errorCode: response.errorCode, value: true };
      });
    } catch {
      // Leaving is a courtesy: the session timeout removes the member anyway.
    }
  }

  stopHeartbeats(): void {
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
  }

  private schedule(ms: number): void {
    if (this.stopped || this.subscription === null) return;
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = null;
      if (this.inFlight !== null) {
        // One heartbeat at a time; the one in flight schedules the next.
        return;
      }
      this.inFlight = this.heartbeat()
        .catch((error: unknown) => {
          this.fenced =
            error instanceof KafkaError
              ? error
              : new KafkaError(ErrorCode.UNKNOWN_SERVER_ERROR, String(error));
          this.options.onChange();
        })
        .finally(() => {
          this.inFlight = null;
          if (this.fenced === null && !this.lost) this.schedule(this.pendingReport() ? 0 : this.intervalMs);
        });
    }, ms);
    // A consumer that is otherwise idle (closing) must not be kept alive by its heartbeats.
    this.timer.unref();
  }

  private pendingReport(): boolean {
    return !this.subscriptionSent || this.reportedVersion !== this.ownedVersion;
  }

  private async heartbeat(): Promise<void> {
    const subscription = this.subscription;
    if (subscription === null || this.stopped) return;
    const joining = this.memberEpoch === 0;
    const sendSubscription = joining || !this.subscriptionSent;
    const version = this.ownedVersion;
    const owned = joining ? [] : this.reportedVersion === version ? null : this.owned;
    const outcome = await this.coordinator.attempt(async (connection) => {
      const version = connection.negotiatedVersion(ApiKey.ConsumerGroupHeartbeat, 1, 0);
      if ("regex" in subscription && version < 1)
        throw new KafkaError(
          ErrorCode.UNSUPPORTED_VERSION,
          "The cluster does not support regular expression subscriptions",
        );
      const response = await connection.request<ConsumerGroupHeartbeatResponse>(
        ApiKey.ConsumerGroupHeartbeat,
        version,
        {
          groupId: this.groupId,
          memberId: version >= 1 || this.memberEpoch > 0 ? this.memberId : "",
          memberEpoch: this.memberEpoch,
          // Every time: Kafka's coordinator tells static members from dynamic ones by it.
          instanceId: this.options.groupInstanceId,
          rackId: null,
          rebalanceTimeoutMs: joining ? this.options.rebalanceTimeoutMs : -1,
          subscribedTopicNames: sendSubscription
            ? "topics" in subscription
              ? subscription.topics
              : []
            : null,
          // "" clears a pattern sent before (null would keep it).
          subscribedTopicRegex: sendSubscription ? ("regex" in subscription ? subscription.regex : "") : null,
          serverAssignor: joining ? this.options.serverAssignor : null,
          topicPartitions: owned,
        },
        { timeoutMs: this.options.requestTimeoutMs },
      );
      return { errorCode: response.errorCode, value: response };
    });
    const response = outcome.value;
    const code = outcome.errorCode;
    if (code === null || COORDINATOR_MOVED.has(code) || code === ErrorCode.REQUEST_TIMED_OUT) {
      // Found again at the next heartbeat: the join (or the report) is sent again.
      await sleep(this.options.retryBackoffMs);
      return;
    }
    if (FENCED.has(code)) {
      this.lost = true;
      this.options.onChange();
      return;
    }
    if (code !== ErrorCode.NONE || response === null) {
      if (FATAL.has(code))
        throw new KafkaError(code, response?.errorMessage ?? errorMessageOf(code, null) ?? undefined);
      await sleep(this.options.retryBackoffMs);
      return;
    }
    if (sendSubscription) this.subscriptionSent = true;
    if (owned !== null) this.reportedVersion = version;
    this.memberEpoch = response.memberEpoch;
    if (response.heartbeatIntervalMs > 0) this.intervalMs = response.heartbeatIntervalMs;
    if (response.assignment !== null) {
      this.target = await this.namesOf(response.assignment.topicPartitions);
      this.options.onChange();
    }
  }

  /** The assignment by topic name; topics not in the metadata yet are looked up again. */
  private async namesOf(
    assignment: readonly { topicId: Uuid; partitions: readonly number[] }[],
  ): Promise<TopicPartition[]> {
    if (assignment.some((t) => !this.names.has(t.topicId))) {
      for (const t of await this.cluster.admin.listTopics({
        listInternal: true,
        timeoutMs: this.options.requestTimeoutMs,
      })) {
        this.names.set(t.topicId, t.name);
        this.ids.set(t.name, t.topicId);
      }
    }
    const out: TopicPartition[] = [];
    for (const t of assignment) {
      const topic = this.names.get(t.topicId);
      if (topic === undefined) continue;
      for (const partition of t.partitions) out.push({ topic, partition });
    }
    return out.sort((a, b) => partitionKey(a).localeCompare(partitionKey(b)));
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
