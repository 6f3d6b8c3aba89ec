import type { MetadataImage } from "../metadata/index.js";
import { ErrorCode } from "../protocol/index.js";

export interface LeaderHint {
  leaderId: number;
  leaderEpoch: number;
}

export interface NodeEndpointHint {
  nodeId: number;
  host: string;
  port: number;
  rack: string | null;
}

/** Errors after which a client needs to find the partition's new leader. */
const LEADER_MOVED = new Set<number>([ErrorCode.NOT_LEADER_OR_FOLLOWER, ErrorCode.FENCED_LEADER_EPOCH]);

/**
 * KIP-951: a Produce or Fetch answered NOT_LEADER_OR_FOLLOWER (or FENCED_LEADER_EPOCH) also names
 * the partition's current leader and epoch, and the response lists that leader's endpoint on the
 * client's listener, so that the client moves at once instead of refreshing its metadata first.
 * Collects the endpoints of the leaders named.
 */
export class LeaderHints {
  private readonly image: MetadataImage;
  private readonly listenerName: string;
  private readonly endpoints = new Map<number, NodeEndpointHint>();

  constructor(image: MetadataImage, listenerName: string) {
    this.image = image;
    this.listenerName = listenerName;
  }

  /** The leader to name for `topic`-`partition` after `errorCode`, or undefined when none applies. */
  hint(errorCode: number, topic: string, partition: number): LeaderHint | undefined {
    if (!LEADER_MOVED.has(errorCode)) return undefined;
    const registration = this.image.partition(topic, partition);
    if (registration === undefined || registration.leader < 0) return undefined;
    const broker = this.image.brokers.get(registration.leader);
    const endpoint = broker?.endPoints.find((e) => e.name === this.listenerName);
    if (broker === undefined || broker.fenced || endpoint === undefined) return undefined;
    this.endpoints.set(broker.id, {
      nodeId: broker.id,
      host: endpoint.host,
      port: endpoint.port,
      rack: broker.rack,
    });
    return { leaderId: registration.leader, leaderEpoch: registration.leaderEpoch };
  }

  get nodeEndpoints(): NodeEndpointHint[] {
    return [...this.endpoints.values()].sort((a, b) => a.nodeId - b.nodeId);
  }
}
