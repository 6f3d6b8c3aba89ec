import { assert } from "../base/index.js";
import { ErrorCode } from "../protocol/index.js";
import { ClassicGroupMember } from "./classic-group-member.js";
import { ClassicGroupState, isValidTransition } from "./classic-group-state.js";
import { CONSUMER_PROTOCOL_TYPE, subscribedTopics } from "./consumer-protocol.js";
import { CoordinatorError } from "./coordinator-error.js";
import type { GroupMetadataValue } from "./coordinator-record.js";
import type { JoinGroupProtocol, JoinGroupResponseMember, RequestHandle } from "./group-api.js";

/**
 * A classic (pre-KIP-848) group: its state, generation, selected protocol, leader and members,
 * with the bookkeeping of the join and sync barriers. It holds data and enforces its invariants;
 * the decisions (when to rebalance, what to answer) are the coordinator shard's.
 *
 * Invariants (checked by `checkInvariants`, asserted in tests after every event):
 * - the leader is a member, and there is one whenever there are members;
 * - `awaitingJoinCount` is the number of members with a parked JoinGroup;
 * - `protocolSupport[name]` counts the members supporting `name`;
 * - every static member id maps back from its instance id, and vice versa;
 * - pending members (KIP-394, given an id but not joined yet) are not members;
 * - Empty and Dead groups have no members; a group with members has a protocol type;
 *   CompletingRebalance and Stable groups have a selected protocol that every member supports.
 */
export class ClassicGroup {
  readonly groupId: string;
  generationId = 0;
  protocolType: string | null = null;
  protocolName: string | null = null;
  leaderId: string | null = null;
  /** Wall-clock time of the last state change; null when loaded from an old record without it. */
  currentStateTimestampMs: number | null;
  /** Set when a member joins during the initial rebalance, which extends its delay. */
  newMemberAdded = false;
  /** Topics the members subscribe to (consumer protocol only); null when not known. */
  subscribedTopics: ReadonlySet<string> | null = null;
  private stateValue: ClassicGroupState;
  private previousStateValue: ClassicGroupState | null = null;
  private readonly members = new Map<string, ClassicGroupMember>();
  private readonly pendingJoinMembers = new Set<string>();
  private readonly pendingSyncMembers = new Set<string>();
  private readonly staticMembers = new Map<string, string>();
  private readonly protocolSupport = new Map<string, number>();
  private awaitingJoinCount = 0;

  constructor(groupId: string, nowMs: number | null, state: ClassicGroupState = ClassicGroupState.Empty) {
    this.groupId = groupId;
    this.stateValue = state;
    this.currentStateTimestampMs = nowMs;
  }

  get state(): ClassicGroupState {
    return this.stateValue;
  }

  get previousState(): ClassicGroupState | null {
    return this.previousStateValue;
  }

  is(state: ClassicGroupState): boolean {
    return this.stateValue === state;
  }

  transitionTo(target: ClassicGroupState, nowMs: number): void {
    assert(
      isValidTransition(this.stateValue, target),
      () => `group ${this.groupId}: ${this.stateValue} -> ${target}`,
    );
    this.previousStateValue = this.stateValue;
    this.stateValue = target;
    this.currentStateTimestampMs = nowMs;
  }

  /** PreparingRebalance may be entered from here. */
  canRebalance(): boolean {
    return isValidTransition(this.stateValue, ClassicGroupState.PreparingRebalance);
  }

  get size(): number {
    return this.members.size;
  }

  get numAwaitingJoin(): number {
    return this.awaitingJoinCount;
  }

  allMembers(): ClassicGroupMember[] {
    return [...this.members.values()];
  }

  member(memberId: string): ClassicGroupMember | undefined {
    return this.members.get(memberId);
  }

  hasMember(memberId: string): boolean {
    return this.members.has(memberId);
  }

  isLeader(memberId: string): boolean {
    return this.leaderId === memberId;
  }

  /**
   * Whether a request naming this member (and static instance) speaks for a current member:
   * UNKNOWN_MEMBER_ID if not, FENCED_INSTANCE_ID if the instance now has another member id.
   */
  validateMember(memberId: string, groupInstanceId: string | null): number {
    if (groupInstanceId !== null) {
      const current = this.staticMembers.get(groupInstanceId);
      if (current === undefined) return ErrorCode.UNKNOWN_MEMBER_ID;
      if (current !== memberId) return ErrorCode.FENCED_INSTANCE_ID;
    }
    return this.members.has(memberId) ? ErrorCode.NONE : ErrorCode.UNKNOWN_MEMBER_ID;
  }

  // ---- static members and pending members ----

  staticMemberId(groupInstanceId: string): string | undefined {
    return this.staticMembers.get(groupInstanceId);
  }

  hasStaticMember(groupInstanceId: string): boolean {
    return this.staticMembers.has(groupInstanceId);
  }

  isPendingMember(memberId: string): boolean {
    return this.pendingJoinMembers.has(memberId);
  }

  addPendingMember(memberId: string): void {
    assert(!this.members.has(memberId), "a pending member is not a member yet");
    this.pendingJoinMembers.add(memberId);
  }

  get pendingMemberCount(): number {
    return this.pendingJoinMembers.size;
  }

  addPendingSyncMember(memberId: string): void {
    assert(this.members.has(memberId), "only members can be awaited in the sync phase");
    this.pendingSyncMembers.add(memberId);
  }

  removePendingSyncMember(memberId: string): void {
    this.pendingSyncMembers.delete(memberId);
  }

  clearPendingSyncMembers(): void {
    this.pendingSyncMembers.clear();
  }

  pendingSyncMemberIds(): string[] {
    return [...this.pendingSyncMembers];
  }

  hasReceivedSyncFromAllMembers(): boolean {
    return this.pendingSyncMembers.size === 0;
  }

  // ---- membership ----

  /** Adds a member (leader if it is the first), parking its JoinGroup if `joinHandle` is set. */
  add(member: ClassicGroupMember, joinHandle: RequestHandle | null): void {
    assert(!this.members.has(member.memberId), () => `member ${member.memberId} added twice`);
    if (this.members.size === 0) this.protocolType = member.protocolType;
    assert(this.protocolType === member.protocolType, "a member's protocol type matches the group's");
    if (this.leaderId === null) this.leaderId = member.memberId;
    this.members.set(member.memberId, member);
    this.countProtocols(member, 1);
    this.setJoinHandle(member, joinHandle);
    this.pendingJoinMembers.delete(member.memberId);
    if (member.groupInstanceId !== null) this.staticMembers.set(member.groupInstanceId, member.memberId);
  }

  /** Removes a member or pending member; the caller has answered its parked requests. */
  remove(memberId: string): void {
    const member = this.members.get(memberId);
    if (member !== undefined) {
      this.countProtocols(member, -1);
      if (member.isAwaitingJoin) this.awaitingJoinCount--;
      this.members.delete(memberId);
      if (member.groupInstanceId !== null && this.staticMembers.get(member.groupInstanceId) === memberId) {
        this.staticMembers.delete(member.groupInstanceId);
      }
    }
    if (this.isLeader(memberId)) {
      const next = this.members.keys().next();
      this.leaderId = next.done ? null : next.value;
    }
    this.pendingJoinMembers.delete(memberId);
    this.pendingSyncMembers.delete(memberId);
  }

  /**
   * Replaces a member's protocols and timeouts and parks (or clears) its JoinGroup. Returns the
   * JoinGroup it had parked before, which the caller must answer.
   */
  updateMember(
    member: ClassicGroupMember,
    protocols: readonly JoinGroupProtocol[],
    rebalanceTimeoutMs: number,
    sessionTimeoutMs: number,
    joinHandle: RequestHandle | null,
  ): RequestHandle | null {
    assert(protocols.length > 0, "a member supports at least one protocol");
    this.countProtocols(member, -1);
    member.supportedProtocols = protocols;
    this.countProtocols(member, 1);
    member.rebalanceTimeoutMs = rebalanceTimeoutMs;
    member.sessionTimeoutMs = sessionTimeoutMs;
    const previous = this.takeJoinHandle(member);
    this.setJoinHandle(member, joinHandle);
    return previous;
  }

  /** Clears and returns a member's parked JoinGroup. */
  takeJoinHandle(member: ClassicGroupMember): RequestHandle | null {
    const handle = member.joinHandle;
    if (handle !== null) {
      member.joinHandle = null;
      this.awaitingJoinCount--;
    }
    return handle;
  }

  /** Clears and returns a member's parked SyncGroup. */
  takeSyncHandle(member: ClassicGroupMember): RequestHandle | null {
    const handle = member.syncHandle;
    member.syncHandle = null;
    return handle;
  }

  /**
   * Gives a static member a new member id, keeping its place, assignment and leadership. The
   * caller has answered the old id's parked requests (Kafka fences them with FENCED_INSTANCE_ID).
   */
  replaceStaticMember(groupInstanceId: string, oldMemberId: string, newMemberId: string): ClassicGroupMember {
    const member = this.members.get(oldMemberId);
    assert(
      member !== undefined && member.groupInstanceId === groupInstanceId,
      "replacing a known static member",
    );
    assert(!member.isAwaitingJoin && !member.isAwaitingSync, "the old member's requests are answered first");
    // Rebuild the map to keep the member's position (the leader falls back to the first member).
    const entries = [...this.members.entries()].map(([id, m]): [string, ClassicGroupMember] =>
      id === oldMemberId ? [newMemberId, m] : [id, m],
    );
    this.members.clear();
    for (const [id, m] of entries) this.members.set(id, m);
    member.memberId = newMemberId;
    if (this.isLeader(oldMemberId)) this.leaderId = newMemberId;
    if (this.pendingSyncMembers.delete(oldMemberId)) this.pendingSyncMembers.add(newMemberId);
    this.staticMembers.set(groupInstanceId, newMemberId);
    return member;
  }

  private setJoinHandle(member: ClassicGroupMember, handle: RequestHandle | null): void {
    assert(member.joinHandle === null, "a parked JoinGroup is taken before another is parked");
    member.joinHandle = handle;
    if (handle !== null) this.awaitingJoinCount++;
  }

  private countProtocols(member: ClassicGroupMember, delta: 1 | -1): void {
    for (const p of member.supportedProtocols) {
      const count = (this.protocolSupport.get(p.name) ?? 0) + delta;
      if (count === 0) this.protocolSupport.delete(p.name);
      else this.protocolSupport.set(p.name, count);
    }
  }

  // ---- barriers ----

  /** The join barrier: every member has a parked JoinGroup and no pending member is outstanding. */
  hasAllMembersJoined(): boolean {
    return this.members.size === this.awaitingJoinCount && this.pendingJoinMembers.size === 0;
  }

  notYetRejoinedMembers(): ClassicGroupMember[] {
    return this.allMembers().filter((m) => !m.isAwaitingJoin);
  }

  /**
   * Makes sure the leader is a member that rejoined: keeps it if it did, else picks the first
   * member that did. False when no member rejoined (or there is no leader).
   */
  maybeElectNewJoinedLeader(): boolean {
    if (this.leaderId === null) return false;
    const leader = this.members.get(this.leaderId);
    if (leader?.isAwaitingJoin) return true;
    const joined = this.allMembers().find((m) => m.isAwaitingJoin);
    if (joined === undefined) return false;
    this.leaderId = joined.memberId;
    return true;
  }

  /** The longest rebalance timeout among the members: how long a join barrier waits. */
  rebalanceTimeoutMs(): number {
    let max = 0;
    for (const m of this.members.values()) max = Math.max(max, m.rebalanceTimeoutMs);
    return max;
  }

  // ---- protocols ----

  /** Whether a member with this protocol type and these protocols may join. */
  supportsProtocols(protocolType: string, protocols: readonly JoinGroupProtocol[]): boolean {
    if (this.is(ClassicGroupState.Empty)) return protocolType !== "" && protocols.length > 0;
    return (
      this.protocolType === protocolType &&
      protocols.some((p) => this.protocolSupport.get(p.name) === this.members.size)
    );
  }

  /** The protocol every member supports that most members prefer (ties: first voted). */
  selectProtocol(): string {
    assert(this.members.size > 0, "cannot select a protocol for an empty group");
    const candidates = new Set<string>();
    for (const [name, count] of this.protocolSupport) if (count === this.members.size) candidates.add(name);
    const votes = new Map<string, number>();
    for (const m of this.members.values()) {
      const choice = m.vote(candidates);
      votes.set(choice, (votes.get(choice) ?? 0) + 1);
    }
    let best = "";
    let bestVotes = 0;
    for (const [name, count] of votes) {
      if (count > bestVotes) {
        best = name;
        bestVotes = count;
      }
    }
    return best;
  }

  /** Next generation: select the protocol and go to CompletingRebalance, or to Empty. */
  initNextGeneration(nowMs: number): void {
    this.generationId++;
    this.protocolName = this.members.size > 0 ? this.selectProtocol() : null;
    this.subscribedTopics = this.computeSubscribedTopics();
    this.transitionTo(
      this.members.size > 0 ? ClassicGroupState.CompletingRebalance : ClassicGroupState.Empty,
      nowMs,
    );
    this.clearPendingSyncMembers();
  }

  usesConsumerProtocol(): boolean {
    return this.protocolType === CONSUMER_PROTOCOL_TYPE;
  }

  /** Union of the members' subscribed topics, for consumer groups whose metadata all decodes. */
  computeSubscribedTopics(): ReadonlySet<string> | null {
    if (!this.usesConsumerProtocol()) return null;
    if (this.members.size === 0) return new Set();
    if (this.protocolName === null) return null;
    const topics = new Set<string>();
    for (const m of this.members.values()) {
      const memberTopics = subscribedTopics(m.metadata(this.protocolName));
      if (memberTopics === null) return null;
      for (const t of memberTopics) topics.add(t);
    }
    return topics;
  }

  isSubscribedToTopic(topic: string): boolean {
    return this.subscribedTopics?.has(topic) ?? false;
  }

  // ---- views ----

  /** The member list the leader receives in its JoinGroup response. */
  currentMembersForJoin(): JoinGroupResponseMember[] {
    const protocolName = this.protocolName;
    assert(protocolName !== null, "a group with members in a generation has a protocol");
    return this.allMembers().map((m) => ({
      memberId: m.memberId,
      groupInstanceId: m.groupInstanceId,
      metadata: m.metadata(protocolName),
    }));
  }

  groupAssignment(): Map<string, Buffer> {
    return new Map(this.allMembers().map((m) => [m.memberId, m.assignment]));
  }

  checkInvariants(): void {
    let awaiting = 0;
    for (const [id, m] of this.members) {
      assert(id === m.memberId, "members are keyed by member id");
      assert(!this.pendingJoinMembers.has(id), "a pending member is not a member");
      if (m.isAwaitingJoin) awaiting++;
      if (m.groupInstanceId !== null) assert(this.staticMembers.get(m.groupInstanceId) === id, "static map");
    }
    for (const [instance, id] of this.staticMembers) {
      assert(this.members.get(id)?.groupInstanceId === instance, "static map points at the member");
    }
    assert(awaiting === this.awaitingJoinCount, "awaiting join count");
    for (const id of this.pendingSyncMembers)
      assert(this.members.has(id), "pending sync members are members");
    assert((this.members.size === 0) === (this.leaderId === null), "a leader exactly when there are members");
    assert(this.leaderId === null || this.members.has(this.leaderId), "the leader is a member");
    if (this.is(ClassicGroupState.Empty) || this.is(ClassicGroupState.Dead)) {
      assert(this.members.size === 0, () => `${this.state} group ${this.groupId} has no members`);
    }
    if (this.is(ClassicGroupState.CompletingRebalance) || this.is(ClassicGroupState.Stable)) {
      const name = this.protocolName;
      assert(name !== null, "a group in a generation has a protocol");
      for (const m of this.members.values()) m.metadata(name);
    }
  }

  // ---- records ----

  /** The group metadata record value, with `assignment` for every member. */
  toRecordValue(assignment: ReadonlyMap<string, Buffer>): GroupMetadataValue {
    const protocolName = this.protocolName;
    return {
      protocolType: this.protocolType ?? "",
      generation: this.generationId,
      protocol: protocolName,
      leader: this.leaderId,
      currentStateTimestamp: BigInt(this.currentStateTimestampMs ?? -1),
      members: this.allMembers().map((m) => {
        assert(protocolName !== null, "a group with members has a protocol when it is written");
        const memberAssignment = assignment.get(m.memberId);
        assert(memberAssignment !== undefined, () => `member ${m.memberId} is written with an assignment`);
        return {
          memberId: m.memberId,
          groupInstanceId: m.groupInstanceId,
          clientId: m.clientId,
          clientHost: m.clientHost,
          rebalanceTimeout: m.rebalanceTimeoutMs,
          sessionTimeout: m.sessionTimeoutMs,
          subscription: m.metadata(protocolName),
          assignment: memberAssignment,
        };
      }),
    };
  }

  /** A group as a group metadata record describes it: Stable with its members, or Empty. */
  static fromRecord(groupId: string, value: GroupMetadataValue): ClassicGroup {
    if (value.members.length > 0 && (value.protocol === null || value.protocolType === "")) {
      throw new CoordinatorError(
        "BRK_ERR_COORDINATOR_CORRUPT_RECORD",
        `group ${groupId}: a group metadata record with members but no protocol`,
      );
    }
    const memberIds = new Set(value.members.map((m) => m.memberId));
    const instanceIds = value.members.flatMap((m) => (m.groupInstanceId === null ? [] : [m.groupInstanceId]));
    const leaderIsMember = value.leader === null || value.members.length === 0 || memberIds.has(value.leader);
    if (
      memberIds.size !== value.members.length ||
      new Set(instanceIds).size !== instanceIds.length ||
      !leaderIsMember
    ) {
      throw new CoordinatorError(
        "BRK_ERR_COORDINATOR_CORRUPT_RECORD",
        `group ${groupId}: a group metadata record with repeated members or a leader that is not one`,
      );
    }
    const state = value.members.length === 0 ? ClassicGroupState.Empty : ClassicGroupState.Stable;
    const timestamp = value.currentStateTimestamp < 0n ? null : Number(value.currentStateTimestamp);
    const group = new ClassicGroup(groupId, timestamp, state);
    group.generationId = value.generation;
    group.protocolName = value.protocol;
    for (const m of value.members) {
      const member = new ClassicGroupMember({
        memberId: m.memberId,
        groupInstanceId: m.groupInstanceId,
        clientId: m.clientId,
        clientHost: m.clientHost,
        protocolType: value.protocolType,
        rebalanceTimeoutMs: m.rebalanceTimeout < 0 ? m.sessionTimeout : m.rebalanceTimeout,
        sessionTimeoutMs: m.sessionTimeout,
        supportedProtocols: [{ name: value.protocol ?? "", metadata: m.subscription }],
      });
      member.assignment = m.assignment;
      group.add(member, null);
    }
    group.protocolType = value.protocolType === "" ? null : value.protocolType;
    if (value.leader !== null && group.hasMember(value.leader)) group.leaderId = value.leader;
    group.subscribedTopics = group.computeSubscribedTopics();
    return group;
  }
}
