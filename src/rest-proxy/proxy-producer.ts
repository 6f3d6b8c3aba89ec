import {
  type AdminClient,
  BufferMemory,
  clientSecurityOptions,
  Producer,
  type RecordMetadata,
} from "../client/index.js";
import { ErrorCode } from "../protocol/index.js";
import { clusterCall, kafkaErrorAnswer, restErrors } from "./rest-error.js";
import type { ProxyClientSecurity, ProxyProducerSettings } from "./rest-proxy-settings.js";

/** One record to produce, its key and value already serialized. */
export interface ProxyRecord {
  topic: string;
  partition?: number;
  key: Buffer | null;
  value: Buffer | null;
  headers?: readonly { key: string; value: Buffer | null }[];
  timestamp?: number;
}

/** What a record costs the buffer besides its key, value and headers (Kafka's record overhead, roughly). */
const RECORD_OVERHEAD_BYTES = 64;
/** How long a topic's partition count is trusted before metadata is asked again. */
const PARTITION_COUNT_FRESH_MS = 5000;
const PARTITION_COUNTS_CACHED_MAX = 10_000;
/** How long a streamed record waits for room in the buffer before it is answered 429 (Kafka's max.block.ms). */
const BUFFER_WAIT_MS_MAX = 60_000;

export function recordBytes(record: ProxyRecord): number {
  let bytes = RECORD_OVERHEAD_BYTES + (record.key?.length ?? 0) + (record.value?.length ?? 0);
  for (const h of record.headers ?? []) bytes += h.key.length + (h.value?.length ?? 0);
  return bytes;
}

/**
 * The producer the whole proxy shares (kafka-rest keeps one per process too): idempotent with
 * acks=all by default, so concurrent HTTP requests' records share batches and requests to the
 * leaders. Its buffer is the proxy's backpressure: record bytes are taken before a record is sent
 * and given back when it is answered; a v2 request takes all of its records' bytes at once or is
 * refused with 429, a v3 stream waits for room (the stream is not read meanwhile). The producer's
 * own buffer.memory is set above that bound, so it never blocks.
 *
 * Before records are sent the topic is looked up (with auto-creation, as Kafka's producer asks):
 * a topic that does not exist fails at once instead of after max.block.ms.
 */
export class ProxyProducer {
  private readonly settings: ProxyProducerSettings;
  private readonly bootstrap: string;
  private readonly security: ProxyClientSecurity | undefined;
  private readonly admin: AdminClient;
  private readonly memory: BufferMemory;
  private readonly partitionCounts = new Map<string, { count: number; atMs: number }>();
  private producer: Producer | null = null;

  constructor(
    settings: ProxyProducerSettings,
    bootstrap: string,
    admin: AdminClient,
    security?: ProxyClientSecurity,
  ) {
    this.settings = settings;
    this.bootstrap = bootstrap;
    this.security = security;
    this.admin = admin;
    this.memory = new BufferMemory(settings.bufferMemory, BUFFER_WAIT_MS_MAX);
  }

  get bufferedBytes(): number {
    return this.memory.usedBytes;
  }

  /** Takes `bytes` of the buffer now, or answers 429 (v2: a request is admitted whole or not at all). */
  admitNow(bytes: number): number {
    const taken = Math.min(bytes, this.memory.limitBytes);
    if (this.memory.waiting > 0 || this.memory.usedBytes + taken > this.memory.limitBytes)
      throw restErrors.tooManyRequests(this.fullMessage());
    this.memory.request(
      taken,
      () => {},
      () => {},
    );
    return taken;
  }

  /** Waits, in arrival order, for `bytes` of the buffer (v3 streams); 429 after Kafka's max.block.ms. */
  admit(bytes: number): Promise<number> {
    const taken = Math.min(bytes, this.memory.limitBytes);
    return new Promise((resolve, reject) =>
      this.memory.request(
        taken,
        () => resolve(taken),
        () => reject(restErrors.tooManyRequests(this.fullMessage())),
      ),
    );
  }

  release(bytes: number): void {
    this.memory.release(bytes);
  }

  private fullMessage(): string {
    return `the proxy's producer buffer (rest.proxy.producer.buffer.memory, ${this.memory.limitBytes} bytes) is full; retry later.`;
  }

  /**
   * The topic's partition count, creating the topic where the cluster auto-creates them; 0 while
   * it has none yet (the producer waits for them). A topic that does not exist is 40401.
   */
  async partitionCount(topic: string): Promise<number> {
    const known = this.partitionCounts.get(topic);
    if (known !== undefined && performance.now() - known.atMs < PARTITION_COUNT_FRESH_MS) return known.count;
    const metadata = await clusterCall(() => this.admin.metadata([topic], { allowAutoTopicCreation: true }));
    const found = metadata.topics.find((t) => t.name === topic);
    const errorCode = found?.errorCode ?? ErrorCode.UNKNOWN_TOPIC_OR_PARTITION;
    if (errorCode === ErrorCode.UNKNOWN_TOPIC_OR_PARTITION) throw restErrors.topicNotFound();
    if (errorCode !== ErrorCode.NONE && errorCode !== ErrorCode.LEADER_NOT_AVAILABLE)
      throw kafkaErrorAnswer(errorCode, null);
    const count = found?.partitions.length ?? 0;
    if (count > 0) {
      if (this.partitionCounts.size >= PARTITION_COUNTS_CACHED_MAX) this.partitionCounts.clear();
      this.partitionCounts.set(topic, { count, atMs: performance.now() });
    }
    return count;
  }

  /** Sends a record admitted to the buffer; the caller releases its bytes once this settles. */
  async send(record: ProxyRecord): Promise<RecordMetadata> {
    const producer = this.client();
    return clusterCall(() =>
      producer.send({
        topic: record.topic,
        ...(record.partition === undefined ? {} : { partition: record.partition }),
        key: record.key,
        value: record.value,
        ...(record.headers === undefined ? {} : { headers: record.headers }),
        ...(record.timestamp === undefined ? {} : { timestamp: record.timestamp }),
      }),
    );
  }

  private client(): Producer {
    this.producer ??= new Producer({
      bootstrap: this.bootstrap,
      ...clientSecurityOptions(this.security),
      clientId: "rest-proxy-producer",
      acks: this.settings.acks,
      lingerMs: this.settings.lingerMs,
      batchSize: this.settings.batchSize,
      compression: this.settings.compression,
      deliveryTimeoutMs: this.settings.deliveryTimeoutMs,
      // The proxy's buffer bounds what is held; the producer's own must never be the one that blocks.
      bufferMemory: this.settings.bufferMemory * 2 + 1024 * 1024,
    });
    return this.producer;
  }

  /** Sends what is buffered, then closes (a node's shutdown). */
  async close(): Promise<void> {
    await this.producer?.close();
  }
}
