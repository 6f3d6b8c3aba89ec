import type { IEvent, IWatchCreateRequest, IWatchRequest, IWatchResponse } from "etcd3";
import { assert } from "../../base/index.js";
import { KvCompacted, type KvEvent, KvUnavailable, type KvWatch, type KvWatchListener } from "./kv-store.js";

/** The part of a gRPC duplex stream (etcd's Watch RPC) a watch uses. */
export interface EtcdWatchStream {
  readonly writable: boolean;
  write(request: IWatchRequest): void;
  end(): void;
  cancel(): void;
  on(event: "data", fn: (response: IWatchResponse) => void): this;
  on(event: "error", fn: (error: Error) => void): this;
  on(event: "end", fn: () => void): this;
}

export interface EtcdWatchOptions {
  /** For messages: what is watched from where. */
  readonly description: string;
  readonly createRequest: IWatchCreateRequest;
  readonly fromRevision: bigint;
  readonly listener: KvWatchListener;
  /** The watch fails when etcd has not confirmed it within this time. */
  readonly createdTimeoutMs: number;
  openStream(): Promise<EtcdWatchStream>;
  /** Why the watch ended, as the listener hears it, from a stream or connection error or etcd's cancel reason. */
  translate(error: unknown): Error;
  /** Whether a stream that failed before etcd confirmed the watch may be replaced by another (on another member). */
  retryable(error: unknown): boolean;
  /** Called once when the watch ends, cancelled or failed. */
  ended(watch: EtcdWatch): void;
}

const EMPTY = Buffer.alloc(0);
/** Streams tried before etcd confirms the watch (each on the next member that is not avoided). */
const OPEN_ATTEMPTS_MAX = 5;
const OPEN_BACKOFF_MS_FIRST = 50;

/**
 * One `KvStore` watch: one etcd watcher on a gRPC stream of its own.
 *
 * Delivery: events in revision order; each `events` call holds whole revisions (etcd splits a
 * batch only between revisions, and the fragments of a large response, asked for with
 * `fragment`, are joined before delivery); the first event is at `fromRevision` or later and
 * every call starts after the previous call's last revision (asserted).
 *
 * Opening: a stream that fails before etcd confirms the watch (a member that is down) is replaced
 * by another, up to OPEN_ATTEMPTS_MAX and `createdTimeoutMs`: nothing was delivered yet.
 *
 * Ending: at the first disconnect, stream error or cancellation by etcd, `failed` is called once
 * (KvCompacted with etcd's compact revision when `fromRevision` was compacted away, KvUnavailable
 * otherwise) and nothing is delivered after it. A watch is never resumed behind the owner's back:
 * the owner re-reads and watches again from what it has, which is what etcd3's own watch manager
 * gets wrong (it resumes from the revision of the last response header, which skips the history
 * not yet replayed when the stream dropped). After `cancel()` nothing is delivered, not even
 * `failed`.
 */
export class EtcdWatch implements KvWatch {
  private readonly options: EtcdWatchOptions;
  private ended = false;
  private stream: EtcdWatchStream | null = null;
  private created = false;
  private openAttempts = 0;
  private createdTimer: NodeJS.Timeout | null = null;
  private reopenTimer: NodeJS.Timeout | null = null;
  /** Events of a response etcd sent in fragments, until the last fragment. */
  private fragments: KvEvent[] = [];
  /** The revision of the last event delivered (fromRevision - 1 before the first). */
  private deliveredRevision: bigint;

  constructor(options: EtcdWatchOptions) {
    this.options = options;
    this.deliveredRevision = options.fromRevision - 1n;
  }

  start(): void {
    const { createdTimeoutMs, description } = this.options;
    this.createdTimer = setTimeout(() => {
      this.fail(
        new KvUnavailable(`${description}: etcd did not confirm the watch within ${createdTimeoutMs} ms`),
      );
    }, createdTimeoutMs);
    this.open();
  }

  cancel(): void {
    this.end();
  }

  /** Ends the watch and tells the listener why (at most once, never after `cancel()`). */
  fail(error: Error): void {
    if (this.ended) return;
    this.end();
    this.options.listener.failed(error);
  }

  private open(): void {
    this.openAttempts++;
    this.options.openStream().then(
      (stream) => this.opened(stream),
      (error: unknown) => this.lost(null, error),
    );
  }

  private opened(stream: EtcdWatchStream): void {
    stream.on("error", (error) => this.lost(stream, error));
    if (this.ended) {
      closeStream(stream);
      return;
    }
    this.stream = stream;
    stream.on("data", (response) => {
      if (stream === this.stream) this.received(response);
    });
    stream.on("end", () => {
      if (stream === this.stream)
        this.fail(new KvUnavailable(`${this.options.description}: etcd ended the stream`));
    });
    stream.write({ create_request: this.options.createRequest });
  }

  /** The stream (or the opening of one) failed: before etcd confirmed the watch, try another; else end. */
  private lost(stream: EtcdWatchStream | null, error: unknown): void {
    if (this.ended || stream !== this.stream) return;
    if (!this.created && this.openAttempts < OPEN_ATTEMPTS_MAX && this.options.retryable(error)) {
      if (stream !== null) closeStream(stream);
      this.stream = null;
      this.reopenTimer = setTimeout(
        () => {
          this.reopenTimer = null;
          if (!this.ended) this.open();
        },
        OPEN_BACKOFF_MS_FIRST * 2 ** (this.openAttempts - 1),
      );
      return;
    }
    this.fail(this.options.translate(error));
  }

  private received(response: IWatchResponse): void {
    if (this.ended) return;
    if (response.created) {
      this.created = true;
      this.clearCreatedTimer();
      if (!response.canceled) return;
    }
    if (response.canceled) {
      const compactRevision = BigInt(response.compact_revision || "0");
      this.fail(
        compactRevision > 0n
          ? new KvCompacted(compactRevision)
          : this.options.translate(new Error(`etcd cancelled the watch: ${response.cancel_reason}`)),
      );
      return;
    }
    for (const event of response.events) this.fragments.push(toEvent(event));
    if (response.fragment || this.fragments.length === 0) return; // more fragments, or a progress notice
    const events = this.fragments;
    this.fragments = [];
    let previous = this.deliveredRevision;
    for (const [i, event] of events.entries()) {
      const ordered = i === 0 ? event.modRevision > previous : event.modRevision >= previous;
      assert(
        ordered,
        () => `${this.options.description}: revision ${event.modRevision} delivered after ${previous}`,
      );
      previous = event.modRevision;
    }
    this.deliveredRevision = previous;
    this.options.listener.events(events);
  }

  private end(): void {
    if (this.ended) return;
    this.ended = true;
    this.clearCreatedTimer();
    if (this.reopenTimer !== null) clearTimeout(this.reopenTimer);
    this.reopenTimer = null;
    if (this.stream !== null) closeStream(this.stream);
    this.stream = null;
    this.options.ended(this);
  }

  private clearCreatedTimer(): void {
    if (this.createdTimer !== null) clearTimeout(this.createdTimer);
    this.createdTimer = null;
  }
}

/**
 * Ends the client's side, then cancels the call: etcd keeps a watch stream open after the client
 * half-closes it, and ending first keeps etcd3 from counting the cancellation as a member failure.
 */
function closeStream(stream: EtcdWatchStream): void {
  try {
    stream.end();
  } catch {
    // already ended or destroyed
  }
  try {
    stream.cancel();
  } catch {
    // already finished
  }
}

function toEvent(event: IEvent): KvEvent {
  const kv = event.kv;
  const put = event.type === "Put";
  return {
    type: put ? "put" : "delete",
    key: kv.key.toString("utf8"),
    value: put ? kv.value : EMPTY,
    modRevision: BigInt(kv.mod_revision),
    createRevision: BigInt(kv.create_revision),
  };
}
