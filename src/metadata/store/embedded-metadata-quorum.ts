import { assert } from "../../base/index.js";
import { ErrorCode, iterateBatches, KafkaError } from "../../protocol/index.js";
import type { Log } from "../../storage/index.js";
import { decodeMetadataEntry, encodeMetadataEntry } from "../metadata-entry-codec.js";
import {
  type BrokerSession,
  type BrokerSessionInfo,
  type Campaign,
  type CampaignListener,
  type ControllerCandidate,
  type ControllerInfo,
  type MetadataEntry,
  type MetadataFollower,
  type MetadataQuorum,
  NotControllerError,
  type SessionListener,
  type Subscription,
} from "./metadata-quorum.js";

/** Bytes read per step while replaying the log. */
const REPLAY_READ_BYTES = 4 * 1024 * 1024;

/**
 * The metadata quorum of a single node: the log is `__cluster_metadata-0` in the node's own data
 * directory, fsynced before an append counts (it is the only copy of the cluster's shape), the
 * node is always the controller, and its broker session lives in memory and never expires.
 * Existing entries are delivered synchronously when following starts, so the node's image is
 * complete before it listens.
 */
export class EmbeddedMetadataQuorum implements MetadataQuorum {
  readonly kind = "embedded";
  private readonly log: Log;
  private readonly epoch: number;
  private readonly followers = new Set<MetadataFollower>();
  private readonly sessions = new Map<number, BrokerSessionInfo>();
  private readonly sessionWatchers = new Set<(sessions: ReadonlyMap<number, BrokerSessionInfo>) => void>();
  private controller: ControllerInfo | null = null;
  private readonly controllerWatchers = new Set<(controller: ControllerInfo | null) => void>();
  private closed = false;

  constructor(log: Log) {
    this.log = log;
    // Each start is a new controller epoch, as a restarted KRaft controller's is.
    this.epoch = Math.max(0, log.latestEpoch) + 1;
    log.updateHighWatermark(log.logEndOffset);
  }

  follow(afterOffset: bigint, follower: MetadataFollower): Subscription {
    const existing = this.readEntries(afterOffset + 1n);
    if (existing.length > 0) follower.entries(existing);
    this.followers.add(follower);
    return { stop: () => this.followers.delete(follower) };
  }

  async committedEnd(): Promise<bigint> {
    return this.log.logEndOffset;
  }

  campaign(candidate: ControllerCandidate, listener: CampaignListener): Campaign {
    let active = true;
    const startEnd = this.log.logEndOffset;
    queueMicrotask(() => {
      if (!active || this.closed) return;
      this.controller = { nodeId: candidate.nodeId, epoch: this.epoch, endPoint: candidate.endPoint };
      for (const w of this.controllerWatchers) w(this.controller);
      listener.elected({
        epoch: this.epoch,
        startEnd,
        entryBytesMax: 32 * 1024 * 1024,
        append: (expectedEnd, records) => {
          if (!active) return Promise.reject(new NotControllerError("the node's controller stopped"));
          return this.append(expectedEnd, records);
        },
        // The embedded log keeps every entry, as today's single node always has.
        writeSnapshot: async () => {},
      });
    });
    return {
      stop: async () => {
        if (!active) return;
        active = false;
        this.controller = null;
        for (const w of this.controllerWatchers) w(null);
        listener.resigned("stopped");
      },
    };
  }

  watchController(listener: (controller: ControllerInfo | null) => void): Subscription {
    this.controllerWatchers.add(listener);
    listener(this.controller);
    return { stop: () => this.controllerWatchers.delete(listener) };
  }

  async openSession(registration: BrokerSessionInfo, _listener: SessionListener): Promise<BrokerSession> {
    const id = registration.brokerId;
    this.setSession(id, registration);
    return {
      update: async (info) => this.setSession(id, info),
      close: async () => {
        this.sessions.delete(id);
        this.publishSessions();
      },
    };
  }

  watchSessions(listener: (sessions: ReadonlyMap<number, BrokerSessionInfo>) => void): Subscription {
    this.sessionWatchers.add(listener);
    listener(new Map(this.sessions));
    return { stop: () => this.sessionWatchers.delete(listener) };
  }

  async close(): Promise<void> {
    this.closed = true;
    this.followers.clear();
    this.sessionWatchers.clear();
    this.controllerWatchers.clear();
  }

  async abandon(): Promise<void> {
    await this.close();
  }

  private setSession(id: number, info: BrokerSessionInfo): void {
    this.sessions.set(id, info);
    this.publishSessions();
  }

  private publishSessions(): void {
    const copy = new Map(this.sessions);
    // Asynchronously, as from a store: the controller reacts after the caller's turn.
    queueMicrotask(() => {
      for (const w of this.sessionWatchers) w(copy);
    });
  }

  private async append(expectedEnd: bigint, records: readonly MetadataRecord[]): Promise<bigint> {
    // Its log dir failed (ENOSPC, EIO): nothing more can be committed until the node restarts.
    // The node keeps serving the image it has; Kafka would halt instead.
    if (this.log.isOffline) {
      throw new KafkaError(
        ErrorCode.KAFKA_STORAGE_ERROR,
        `the metadata log ${this.log.name} is offline (its log dir failed): no metadata change can be committed until the node restarts`,
        { cause: this.log.offlineCause },
      );
    }
    assert(expectedEnd === this.log.logEndOffset, "the single controller appends at the log end");
    const batch = encodeMetadataEntry(expectedEnd, records, this.epoch);
    const info = this.log.appendAsLeader(batch, this.epoch, { origin: "coordinator" });
    await this.log.whenWritten();
    await this.log.flushAsync();
    this.log.updateHighWatermark(this.log.logEndOffset);
    const entry: MetadataEntry = { baseOffset: info.firstOffset, records };
    for (const f of this.followers) f.entries([entry]);
    return info.firstOffset;
  }

  private readEntries(from: bigint): MetadataEntry[] {
    const entries: MetadataEntry[] = [];
    let offset = from > this.log.logStartOffset ? from : this.log.logStartOffset;
    while (offset < this.log.logEndOffset) {
      const read = this.log.read({
        fetchOffset: offset,
        maxBytes: REPLAY_READ_BYTES,
        maxOffset: this.log.logEndOffset,
      });
      if (read.records.length === 0) break;
      for (const chunk of read.records) {
        for (const { at, size } of iterateBatches(chunk)) {
          const entry = decodeMetadataEntry(chunk.subarray(at, at + size));
          if (entry.baseOffset + BigInt(entry.records.length) <= offset) continue;
          entries.push(entry);
        }
      }
      assert(read.nextOffset > offset, "metadata replay makes progress");
      offset = read.nextOffset;
    }
    return entries;
  }
}

type MetadataRecord = MetadataEntry["records"][number];
