import {
  type AdminClient,
  Consumer,
  type ConsumerRecord,
  clientSecurityOptions,
  type OffsetResetStrategy,
  partitionKey,
  type TopicPartition,
} from "../client/index.js";
import type { EmbeddedFormat } from "./media-types.js";
import { deserialize, type SchemaById } from "./record-serde.js";
import { clusterCall, clusterFailure, restErrors } from "./rest-error.js";
import type { RestProxySettings } from "./rest-proxy-settings.js";

/** How a consumer instance was asked for (POST /consumers/{group}). */
export interface ConsumerInstanceConfig {
  group: string;
  name: string;
  format: EmbeddedFormat;
  autoOffsetReset: OffsetResetStrategy;
  autoCommit: boolean;
  /** The instance's fetch.min.bytes and consumer.request.timeout.ms; null: the proxy's. */
  fetchMinBytes: number | null;
  requestTimeoutMs: number | null;
}

/** One record as a records read answers it: key and value in the instance's format. */
export interface ReadRecord {
  topic: string;
  key: unknown;
  value: unknown;
  partition: number;
  offset: number;
}

/** A committed offset, as GET .../offsets lists it. */
export interface CommittedRecordOffset extends TopicPartition {
  offset: number;
  metadata: string;
}

/** Kafka's message for mixing subscribe, pattern subscribe and assign. */
const MUTUALLY_EXCLUSIVE = "Subscription to topics, partitions and pattern are mutually exclusive";
/** A poll asks for at most this long at a time, so that a read's own limits are checked between polls. */
const POLL_SLICE_MS = 200;
let clientSequence = 0;

/**
 * A v2 consumer instance: one of Brook's consumers (kafka-rest keeps one KafkaConsumer per
 * instance), owned by the proxy until it is deleted or unused for consumer.instance.timeout.ms.
 * Records a poll brought that a read could not answer with (its byte limit) wait for the next
 * read, as kafka-rest's consumer state keeps them. Reads run one at a time; the consumer's poll,
 * which may wait for a group rebalance, runs at most once at a time and outlives a read that
 * timed out (the next read collects what it brought).
 */
export class ConsumerInstance {
  readonly config: ConsumerInstanceConfig;
  lastUsedMs = performance.now();
  private readonly settings: RestProxySettings;
  private readonly admin: AdminClient;
  private consumer: Consumer;
  private subscription: { topics: readonly string[] } | { pattern: RegExp } | null = null;
  private assigned = false;
  private readonly pending: ConsumerRecord[] = [];
  private polling: Promise<void> | null = null;
  private pollFailure: unknown = null;
  private reading: Promise<unknown> = Promise.resolve();
  private activeReads = 0;

  constructor(config: ConsumerInstanceConfig, settings: RestProxySettings, admin: AdminClient) {
    this.config = config;
    this.settings = settings;
    this.admin = admin;
    this.consumer = this.newConsumer();
  }

  get busy(): boolean {
    return this.activeReads > 0;
  }

  touch(): void {
    this.lastUsedMs = performance.now();
  }

  private newConsumer(): Consumer {
    const { consumer } = this.settings;
    return new Consumer({
      bootstrap: this.settings.bootstrap,
      ...clientSecurityOptions(this.settings.security),
      clientId: `consumer-${this.config.group}-${++clientSequence}`,
      groupId: this.config.group,
      autoOffsetReset: this.config.autoOffsetReset,
      enableAutoCommit: this.config.autoCommit,
      sessionTimeoutMs: consumer.sessionTimeoutMs,
      maxPollRecords: consumer.maxPollRecords,
      isolationLevel: consumer.isolationLevel,
    });
  }

  subscribe(target: { topics: readonly string[] } | { pattern: RegExp }): void {
    const kind = "topics" in target ? "topics" : "pattern";
    const current = this.subscription === null ? null : "topics" in this.subscription ? "topics" : "pattern";
    if (this.assigned || (current !== null && current !== kind))
      throw restErrors.illegalState(MUTUALLY_EXCLUSIVE);
    this.consumer.subscribe("topics" in target ? target.topics : target.pattern);
    this.subscription = target;
  }

  /** The subscribed topics; for a pattern, those its assignment holds (what Kafka's consumer matched). */
  subscribedTopics(): string[] {
    if (this.subscription === null) return [];
    if ("topics" in this.subscription) return [...this.subscription.topics];
    return [...new Set(this.consumer.assignment().map((tp) => tp.topic))].sort();
  }

  /** Leaves the group and forgets the subscription and assignment (KafkaConsumer.unsubscribe). */
  async unsubscribe(): Promise<void> {
    const old = this.consumer;
    // A poll under way (it may be waiting for a rebalance) is not waited for: closing its consumer
    // ends it, and what it brings is dropped (it is no longer this instance's consumer).
    this.consumer = this.newConsumer();
    this.subscription = null;
    this.assigned = false;
    this.pending.length = 0;
    await old.close().catch(() => {});
  }

  assign(partitions: readonly TopicPartition[]): void {
    if (this.subscription !== null) throw restErrors.illegalState(MUTUALLY_EXCLUSIVE);
    this.consumer.assign(partitions.map(({ topic, partition }) => ({ topic, partition })));
    this.assigned = true;
    this.pending.length = 0;
  }

  assignment(): TopicPartition[] {
    return this.consumer.assignment();
  }

  /** Moves partitions' positions (an offset, or one end); Kafka's IllegalStateException for partitions not assigned. */
  seek(positions: readonly (TopicPartition & { offset: bigint | OffsetResetStrategy })[]): void {
    for (const p of positions) {
      try {
        this.consumer.seek(p, p.offset);
      } catch (error) {
        throw restErrors.illegalState((error as Error).message);
      }
      this.dropPending(p);
    }
  }

  /** Positions at the first offset at or after each timestamp (the log end where there is none). */
  async seekToTimestamps(targets: readonly (TopicPartition & { timestampMs: bigint })[]): Promise<void> {
    const positions: (TopicPartition & { offset: bigint | OffsetResetStrategy })[] = [];
    for (const t of targets) {
      const [listed] = await clusterCall(() => this.admin.listOffsets([t], { timestampMs: t.timestampMs }));
      const offset = listed === undefined || listed.offset < 0n ? "latest" : listed.offset;
      positions.push({ topic: t.topic, partition: t.partition, offset });
    }
    this.seek(positions);
  }

  private dropPending(tp: TopicPartition): void {
    const key = partitionKey(tp);
    for (let i = this.pending.length - 1; i >= 0; i--)
      if (partitionKey(this.pending[i] as ConsumerRecord) === key) this.pending.splice(i, 1);
  }

  /** Commits the given offsets (each the last record processed, so +1 is committed, as kafka-rest does), or every position. */
  async commit(
    offsets: readonly (TopicPartition & { offset: bigint; metadata: string | null })[] | null,
  ): Promise<void> {
    const consumer = this.consumer;
    await clusterCall(() =>
      offsets === null
        ? consumer.commitSync()
        : consumer.commitSync(offsets.map((o) => ({ ...o, offset: o.offset + 1n }))),
    );
  }

  async committed(partitions: readonly TopicPartition[]): Promise<CommittedRecordOffset[]> {
    const found = await clusterCall(() => this.consumer.committed(partitions));
    return found.flatMap((c) =>
      c.offset === null
        ? []
        : [{ topic: c.topic, partition: c.partition, offset: Number(c.offset), metadata: c.metadata ?? "" }],
    );
  }

  /**
   * A records read (kafka-rest's KafkaConsumerReadTask): records until the read's timeout
   * (`timeoutMs` capped by the instance's consumer.request.timeout.ms), until more than
   * fetch.min.bytes are gathered, or until the next record would pass `maxBytes`. Reads of one
   * instance queue behind each other.
   */
  read(timeoutMs: number, maxBytes: number, schemaById: SchemaById): Promise<ReadRecord[]> {
    this.activeReads++;
    const run = this.reading.then(() => this.readNow(timeoutMs, maxBytes, schemaById));
    this.reading = run.catch(() => {});
    return run.finally(() => {
      this.activeReads--;
      this.touch();
    });
  }

  private async readNow(timeoutMs: number, maxBytes: number, schemaById: SchemaById): Promise<ReadRecord[]> {
    if (this.subscription === null && !this.assigned)
      throw restErrors.illegalState("Consumer is not subscribed to any topics or assigned any partitions");
    const limitMs = this.config.requestTimeoutMs ?? this.settings.consumerRequestTimeoutMs;
    const waitMs = timeoutMs > 0 ? Math.min(timeoutMs, limitMs) : limitMs;
    const minBytes = this.config.fetchMinBytes ?? this.settings.fetchMinBytes;
    const bytesMax =
      maxBytes > 0
        ? Math.min(maxBytes, this.settings.consumerRequestMaxBytes)
        : this.settings.consumerRequestMaxBytes;
    const endMs = performance.now() + waitMs;
    const out: ReadRecord[] = [];
    let bytes = 0;
    for (;;) {
      while (this.pending.length > 0) {
        const record = this.pending[0] as ConsumerRecord;
        let key: Awaited<ReturnType<typeof deserialize>>;
        let value: typeof key;
        try {
          key = await deserialize(this.config.format, record.key, schemaById);
          value = await deserialize(this.config.format, record.value, schemaById);
        } catch (error) {
          // As Kafka's consumer: the records before one it cannot read are answered; that one
          // fails the next read, and every read after, until a seek moves past it.
          if (out.length > 0) return out;
          throw error;
        }
        const size = key.size + value.size;
        // The record that would reach the limit stays for the next read.
        if (bytes + size >= bytesMax) return out;
        this.pending.shift();
        out.push({
          topic: record.topic,
          key: key.json,
          value: value.json,
          partition: record.partition,
          offset: Number(record.offset),
        });
        bytes += size;
        if (minBytes >= 0 && bytes > minBytes) return out;
      }
      const remainingMs = endMs - performance.now();
      if (remainingMs <= 0) return out;
      await this.poll(Math.min(remainingMs, POLL_SLICE_MS));
    }
  }

  /** Polls once (or joins the poll under way), waiting at most `ms` for it. */
  private async poll(ms: number): Promise<void> {
    if (this.polling === null) {
      const consumer = this.consumer;
      this.polling = consumer
        .poll(ms)
        .then(
          (records) => {
            if (consumer === this.consumer) this.pending.push(...records);
          },
          (error: unknown) => {
            if (consumer === this.consumer) this.pollFailure = error;
          },
        )
        .finally(() => {
          this.polling = null;
        });
    }
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([this.polling, new Promise((resolve) => (timer = setTimeout(resolve, ms)))]);
    clearTimeout(timer);
    if (this.pollFailure !== null) {
      const failure = this.pollFailure;
      this.pollFailure = null;
      throw clusterFailure(failure);
    }
  }

  /** Commits (with auto-commit) and leaves the group. */
  async close(): Promise<void> {
    await this.consumer.close().catch(() => {});
  }
}
