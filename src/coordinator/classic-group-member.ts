import { assert } from "../base/index.js";
import { EMPTY_ASSIGNMENT, type JoinGroupProtocol, type RequestHandle } from "./group-api.js";

/**
 * One member of a classic group: who it is (member id, optional static `group.instance.id`,
 * client id and host), its timeouts, the protocols it supports in preference order with their
 * metadata, its current assignment, and the requests it has parked with the coordinator.
 *
 * Invariants: `supportedProtocols` is non-empty with distinct names; at most one JoinGroup and one
 * SyncGroup request of a member is parked at a time (`joinHandle`, `syncHandle`). The join handle
 * is changed only through ClassicGroup, which counts the members awaiting a join.
 */
export class ClassicGroupMember {
  memberId: string;
  readonly groupInstanceId: string | null;
  readonly clientId: string;
  readonly clientHost: string;
  readonly protocolType: string;
  rebalanceTimeoutMs: number;
  sessionTimeoutMs: number;
  supportedProtocols: readonly JoinGroupProtocol[];
  assignment: Buffer = EMPTY_ASSIGNMENT;
  /** A member that has not completed a join yet: its session timeout does not protect it. */
  isNew = false;
  /** The parked JoinGroup request; set and cleared through ClassicGroup only. */
  joinHandle: RequestHandle | null = null;
  /** The parked SyncGroup request. */
  syncHandle: RequestHandle | null = null;

  constructor(init: {
    memberId: string;
    groupInstanceId: string | null;
    clientId: string;
    clientHost: string;
    protocolType: string;
    rebalanceTimeoutMs: number;
    sessionTimeoutMs: number;
    supportedProtocols: readonly JoinGroupProtocol[];
  }) {
    assert(init.supportedProtocols.length > 0, "a member supports at least one protocol");
    this.memberId = init.memberId;
    this.groupInstanceId = init.groupInstanceId;
    this.clientId = init.clientId;
    this.clientHost = init.clientHost;
    this.protocolType = init.protocolType;
    this.rebalanceTimeoutMs = init.rebalanceTimeoutMs;
    this.sessionTimeoutMs = init.sessionTimeoutMs;
    this.supportedProtocols = init.supportedProtocols;
  }

  get isStatic(): boolean {
    return this.groupInstanceId !== null;
  }

  get isAwaitingJoin(): boolean {
    return this.joinHandle !== null;
  }

  get isAwaitingSync(): boolean {
    return this.syncHandle !== null;
  }

  /**
   * Whether a heartbeat deadline passing leaves the member alive: a member parked in a rebalance
   * is waiting on the coordinator, not failing to heartbeat, unless it is new.
   */
  hasSatisfiedHeartbeat(): boolean {
    if (this.isNew) return false;
    return this.isAwaitingJoin || this.isAwaitingSync;
  }

  /** The member's metadata for `protocolName`, which it must support. */
  metadata(protocolName: string): Buffer {
    const protocol = this.supportedProtocols.find((p) => p.name === protocolName);
    assert(protocol !== undefined, () => `member ${this.memberId} does not support protocol ${protocolName}`);
    return protocol.metadata;
  }

  /** Same protocols, same order, same metadata bytes. */
  matches(protocols: readonly JoinGroupProtocol[]): boolean {
    if (protocols.length !== this.supportedProtocols.length) return false;
    return protocols.every((p, i) => {
      const own = this.supportedProtocols[i] as JoinGroupProtocol;
      return own.name === p.name && own.metadata.equals(p.metadata);
    });
  }

  /** The member's most preferred protocol among `candidates`. */
  vote(candidates: ReadonlySet<string>): string {
    const choice = this.supportedProtocols.find((p) => candidates.has(p.name));
    assert(choice !== undefined, () => `member ${this.memberId} supports none of the candidate protocols`);
    return choice.name;
  }
}
