import type { Socket } from "node:net";
import { assert } from "../base/index.js";
import type { FrameBufferPool } from "./frame-buffer-pool.js";
import { FrameReader } from "./frame-reader.js";
import { javaHostAddress } from "./host-address.js";
import type { RequestQueue } from "./request-queue.js";
import { readIntoSharedBuffer } from "./shared-socket-reads.js";

/**
 * What a request handler gives back: response chunks (without the size prefix), or nothing.
 * `onWritten`, when set, is called once the socket has taken the last chunk (its memory may then be
 * reused); never when the connection closes first.
 */
export type ResponseChunks = (readonly Buffer[] & { onWritten?: () => void }) | null;

/** The broker side of the network: turns one request frame into one response. */
export interface RequestHandler {
  /**
   * Called once per request frame, in arrival order. May answer later (a long-poll fetch, an
   * acks=all produce); the connection still sends responses in request order. Throwing closes the
   * connection (a frame that cannot be parsed), as Kafka does.
   */
  handle(frame: Buffer, connection: Connection): ResponseChunks | Promise<ResponseChunks>;
  /**
   * Whether requests of this API key are read only until their handling completes (`handle`
   * returned, or its promise settled): nothing kept, returned or handed on refers to the frame's
   * bytes afterwards. Such frames may be assembled in recycled buffers, which are reused as soon as
   * the handling completes. Without this method, no frame is.
   */
  releasesFrameOnCompletion?(apiKey: number): boolean;
  /**
   * The response of the frame's request reporting `errorCode` for everything it asked, or null
   * when its API cannot carry one (a SASL listener refusing a request before authentication).
   */
  errorResponse?(frame: Buffer, connection: Connection, errorCode: number): ResponseChunks;
  /**
   * How the frame's request is ordered against the connection's other requests (see
   * RequestOrdering); without this method, every request is "pipelined".
   */
  orderingOf?(frame: Buffer): RequestOrdering;
}

/**
 * Kafka handles a connection's requests one at a time: it reads the next only once the previous
 * one is answered, so every answer reflects what the requests before it did (a Metadata request
 * behind an acks=all Produce that waits seconds for its replicas is answered with the leaders of
 * that later moment). Brook handles a connection's requests as they arrive where that cannot
 * change an answer, and keeps Kafka's order where it can:
 * - "free": handled at once, and no later request waits for it (a Fetch: a long poll must not
 *   hold a consumer's heartbeats or commits);
 * - "pipelined": handled at once; a later "serial" request waits for it (a Produce);
 * - "serial": handled once no earlier request of the connection other than a "free" one is still
 *   being handled (everything else: its answer reads state the earlier ones may change).
 * A request that waits holds back every later one, so requests are always handled in arrival order.
 */
export type RequestOrdering = "free" | "pipelined" | "serial";

export interface ConnectionLimits {
  /** socket.request.max.bytes: a larger size prefix closes the connection. */
  requestBytesMax: number;
  /** Requests read but not yet answered; past this, reading pauses (TCP pushes back on the client). */
  inFlightRequestsMax: number;
  /**
   * Bytes the connection may hold (`bufferedBytes`): requests read and not yet answered, plus
   * responses not yet sent (queued in the socket, or finished behind an earlier request that is
   * still being handled). Past this, reading pauses until the client reads and the requests in
   * flight finish. A single request or response larger than this still goes through.
   */
  bufferedBytesMax: number;
}

export interface ConnectionEvents {
  onClose(connection: Connection): void;
  onError(connection: Connection, error: unknown): void;
}

/** Kafka's KafkaPrincipal.ANONYMOUS: a client that did not authenticate (plaintext, or TLS without a certificate). */
export const ANONYMOUS_PRINCIPAL = "ANONYMOUS";

const FRAME_PREFIX_BYTES = 4;
const EMPTY = Buffer.alloc(0);
/** Up to this many bytes of a response are copied into its first write; larger chunks are referenced. */
const COALESCED_WRITE_BYTES_MAX = 16 * 1024;

interface Slot {
  done: boolean;
  response: ResponseChunks;
  /** The request frame's bytes while it is handled, then the response's until it is written. */
  bytes: number;
  /** A later "serial" request waits until this one is answered (it is not "free"). */
  holdsSerial: boolean;
}

/** A request read and not yet handed to the handler: it waits for earlier ones (RequestOrdering). */
interface WaitingRequest {
  readonly slot: Slot;
  /** A copy: the frame read may live in a buffer that is reused once the read returns. */
  readonly frame: Buffer;
  readonly ordering: RequestOrdering;
}

/**
 * One client connection. Requests are read as frames and handed to the handler as they arrive
 * (pipelining), and responses leave in the order of their requests, whatever order they complete
 * in: a slot per request is queued and the queue is flushed from its head.
 *
 * Reading pauses (the socket is paused, so TCP pushes back on the client) while too many of its
 * requests are in flight, too many bytes are held for it, the broker's request queue is full, or
 * the connection is throttled by a quota (KIP-219: the response goes at once, then the channel is
 * muted for the throttle time).
 *
 * Memory: what a connection holds is bounded, however slowly its client reads (or however many
 * requests it pipelines without reading): reading pauses while it has `inFlightRequestsMax`
 * requests unanswered or `bufferedBytesMax` bytes held (requests being handled, finished responses
 * waiting for an earlier one, and bytes queued in the socket), and resumes when the client drains
 * them; TCP then pushes back on the client. So a connection holds at most about that limit plus
 * one request and one response (and a socket chunk being read).
 *
 * Invariants: `slots` holds exactly the requests read and not yet written back, in arrival order;
 * `queuedCount` of them are counted in the shared request queue (the others are parked).
 */
export class Connection {
  readonly id: string;
  readonly socket: Socket;
  readonly remoteAddress: string;
  /** The client's IP address as Kafka's ACL hosts name it (Java's getHostAddress; host-address.ts). */
  readonly hostAddress: string;
  readonly listenerName: string;
  /**
   * Who the client is (Kafka's principal name, what `user` quotas match): the user a SASL
   * listener authenticated, the subject of a verified TLS client certificate, else ANONYMOUS.
   */
  principal: string;
  /** Free for the layer above: SASL state, client software name, fetch sessions... */
  readonly attributes = new Map<string, unknown>();
  lastActiveMs: number;
  private readonly reader: FrameReader;
  private readonly framePool: FrameBufferPool | null;
  private readonly slots: Slot[] = [];
  /** Requests read that wait for earlier ones before they are handled, in arrival order. */
  private readonly waiting: WaitingRequest[] = [];
  /** Requests being handled that a "serial" request must wait for. */
  private holdingSerial = 0;
  /** Inside `handOnWaiting` (a request handed on may complete at once and call it again). */
  private handingOn = false;
  /** Where frames go: on a SASL listener, its authenticator until the client authenticated. */
  private handler: RequestHandler;
  private readonly limits: ConnectionLimits;
  private readonly events: ConnectionEvents;
  private closed = false;
  /** The socket is corked by `complete` (responses waiting for their pipelined successors). */
  private corked = false;
  private uncorkScheduled = false;
  private paused = false;
  /** Inside `read` (frames are being handed to the handler). */
  private reading = false;
  /** Bytes of the requests being handled and of finished responses waiting in `slots`. */
  private heldBytes = 0;
  private readonly requestQueue: RequestQueue | null;
  /** Requests of this connection counted in `requestQueue` (in flight and not parked). */
  private queuedCount = 0;
  /** Monotonic time until which a quota mutes the connection (reads nothing). */
  private throttledUntilMs = 0;
  private throttleTimer: NodeJS.Timeout | null = null;
  requestCount = 0;
  bytesIn = 0;
  bytesOut = 0;

  constructor(options: {
    id: string;
    socket: Socket;
    listenerName: string;
    handler: RequestHandler;
    limits: ConnectionLimits;
    events: ConnectionEvents;
    nowMs: number;
    /** Recycled buffers for frames the handler releases on completion (shared by a server's connections). */
    framePool?: FrameBufferPool;
    /** The broker's request queue (queued.max.requests), shared by a server's connections. */
    requestQueue?: RequestQueue;
    /**
     * Whether the socket may read into the process's shared buffer (shared-socket-reads.ts);
     * default true. A TLSSocket's chunks are decrypted data, not its handle's reads: it emits 'data'.
     */
    sharedReads?: boolean;
    principal?: string;
    /**
     * The largest request before `authenticated` (Kafka's sasl.server.max.receive.size): an
     * unauthenticated client may not make the broker buffer socket.request.max.bytes.
     */
    unauthenticatedRequestBytesMax?: number;
  }) {
    this.id = options.id;
    this.socket = options.socket;
    this.remoteAddress = `${options.socket.remoteAddress ?? "?"}:${options.socket.remotePort ?? 0}`;
    this.hostAddress = javaHostAddress(options.socket.remoteAddress);
    this.listenerName = options.listenerName;
    this.principal = options.principal ?? ANONYMOUS_PRINCIPAL;
    this.handler = options.handler;
    this.limits = options.limits;
    this.events = options.events;
    this.lastActiveMs = options.nowMs;
    this.requestQueue = options.requestQueue ?? null;
    this.requestQueue?.register(this);
    this.framePool = options.framePool ?? null;
    const onChunk = (chunk: Buffer) => this.onData(chunk);
    const shared = options.sharedReads !== false && readIntoSharedBuffer(this.socket, onChunk);
    if (!shared) this.socket.on("data", onChunk);
    const frameBytesMax = Math.min(
      options.limits.requestBytesMax,
      options.unauthenticatedRequestBytesMax ?? Number.POSITIVE_INFINITY,
    );
    this.reader = new FrameReader(frameBytesMax, {
      ...(options.framePool === undefined ? {} : { pool: options.framePool }),
      mayPool: (apiKey) => this.handler.releasesFrameOnCompletion?.(apiKey) === true,
      transientChunks: shared,
    });
    this.socket.setNoDelay(true);
    this.socket.on("drain", () => this.updateFlowControl());
    this.socket.on("error", (error) => {
      // Resets and broken pipes are ordinary client behaviour; the close handler cleans up.
      if (
        (error as NodeJS.ErrnoException).code !== "ECONNRESET" &&
        (error as NodeJS.ErrnoException).code !== "EPIPE"
      ) {
        this.events.onError(this, error);
      }
    });
    this.socket.on("close", () => {
      this.closed = true;
      this.slots.length = 0;
      this.waiting.length = 0;
      this.heldBytes = 0;
      this.leaveQueue();
      this.reader.discard();
      this.events.onClose(this);
    });
    // A connection that arrives while the broker's queue is full waits like the others.
    if (this.requestQueue?.full === true) this.updateFlowControl();
  }

  /**
   * SASL authenticated the client as `principal`: later frames (from the next one on, even in the
   * same socket read) go to `handler` directly.
   */
  authenticated(principal: string, handler: RequestHandler): void {
    this.principal = principal;
    this.handler = handler;
    this.reader.setFrameBytesMax(this.limits.requestBytesMax);
  }

  /** Whether a quota mutes the connection now. */
  get isThrottled(): boolean {
    return this.throttledUntilMs > performance.now();
  }

  /**
   * Mutes the connection for `ms` (a quota's throttle time, KIP-219): nothing more is read from it
   * until then; responses still leave. A longer throttle extends the mute, a shorter one changes
   * nothing.
   */
  throttle(ms: number): void {
    if (this.closed || !(ms > 0)) return;
    const until = performance.now() + ms;
    if (until <= this.throttledUntilMs) return;
    this.throttledUntilMs = until;
    this.armThrottleTimer(ms);
    this.updateFlowControl();
  }

  private armThrottleTimer(ms: number): void {
    if (this.throttleTimer !== null) clearTimeout(this.throttleTimer);
    this.throttleTimer = setTimeout(() => {
      this.throttleTimer = null;
      // Timers round to whole milliseconds: one that fires a little early waits the rest.
      const remainingMs = this.throttledUntilMs - performance.now();
      if (remainingMs > 1) {
        this.armThrottleTimer(remainingMs);
        return;
      }
      this.throttledUntilMs = 0;
      this.updateFlowControl();
    }, ms);
    this.throttleTimer.unref();
  }

  /**
   * Takes one of this connection's requests out of the broker's request queue while it waits for
   * something outside the broker (a long poll, replicas): Kafka's purgatory. The returned function
   * puts it back; call it before the request completes.
   */
  park(): () => void {
    if (this.requestQueue === null || this.queuedCount === 0) return () => {};
    this.queuedCount--;
    this.requestQueue.dequeue();
    let parked = true;
    return () => {
      if (!parked) return;
      parked = false;
      if (this.closed || this.requestQueue === null) return;
      this.queuedCount++;
      this.requestQueue.enqueue();
    };
  }

  /** This connection's requests leave the broker's queue (the connection closed). */
  private leaveQueue(): void {
    if (this.throttleTimer !== null) clearTimeout(this.throttleTimer);
    this.throttleTimer = null;
    if (this.requestQueue === null) return;
    this.requestQueue.forget(this);
    this.requestQueue.dequeue(this.queuedCount);
    this.queuedCount = 0;
  }

  /** One request of this connection was answered (or dropped): it leaves the broker's queue. */
  private requestDone(): void {
    if (this.requestQueue === null || this.closed) return;
    assert(this.queuedCount > 0, "a request completes after it was queued and unparked");
    this.queuedCount--;
    this.requestQueue.dequeue();
  }

  get inFlightCount(): number {
    return this.slots.length;
  }

  /** Bytes held for this connection: requests in flight, finished responses and unsent socket bytes. */
  get bufferedBytes(): number {
    return this.heldBytes + this.socket.writableLength;
  }

  /** Reading is paused (flow control: too many requests in flight or too many bytes held). */
  get isReadPaused(): boolean {
    return this.paused;
  }

  get isClosed(): boolean {
    return this.closed;
  }

  private onData(chunk: Buffer): void {
    this.bytesIn += chunk.length;
    this.lastActiveMs = performance.now();
    this.read(chunk);
  }

  private readonly frameSink = (frame: Buffer, pooled: Buffer | null): void => this.onFrame(frame, pooled);
  /** Frames are taken from a chunk only while the connection is under its limits. */
  private readonly mayRead = (): boolean => !this.closed && !this.overloaded();

  /**
   * Hands the chunk's frames to the handler while under the limits: a chunk full of small requests
   * (each of which may bring a large response) stops at the limit too, its rest kept unread.
   */
  private read(chunk: Buffer): void {
    this.reading = true;
    // Answers made while the chunk's frames are handled leave together when it is done.
    const corkedHere = !this.corked;
    if (corkedHere) {
      this.corked = true;
      this.socket.cork();
    }
    try {
      this.reader.push(chunk, this.frameSink, this.mayRead);
    } catch (error) {
      this.events.onError(this, error);
      this.close();
    } finally {
      this.reading = false;
    }
    if (corkedHere) this.uncork();
    this.updateFlowControl();
  }

  /**
   * Hands one frame to the handler. A pooled frame (`pooled` is its pool buffer) goes back to the
   * pool when the handling completes, whichever way: the handler returned, threw, or its promise
   * settled. The response was encoded by then, into buffers of its own.
   */
  private onFrame(frame: Buffer, pooled: Buffer | null): void {
    if (this.closed) {
      if (pooled !== null) this.framePool?.release(pooled);
      return;
    }
    this.requestCount++;
    const ordering = this.handler.orderingOf?.(frame) ?? "pipelined";
    const slot: Slot = { done: false, response: null, bytes: frame.length, holdsSerial: ordering !== "free" };
    this.heldBytes += slot.bytes;
    this.slots.push(slot);
    if (this.requestQueue !== null) {
      this.queuedCount++;
      this.requestQueue.enqueue();
    }
    if (this.waiting.length > 0 || (ordering === "serial" && this.holdingSerial > 0)) {
      this.waiting.push({ slot, frame: Buffer.from(frame), ordering });
      if (pooled !== null) this.framePool?.release(pooled);
      return;
    }
    this.handOn(slot, frame, pooled);
  }

  /** Hands a request to the handler; its answer fills its slot. */
  private handOn(slot: Slot, frame: Buffer, pooled: Buffer | null): void {
    if (slot.holdsSerial) this.holdingSerial++;
    let result: ResponseChunks | Promise<ResponseChunks>;
    try {
      result = this.handler.handle(frame, this);
    } catch (error) {
      if (pooled !== null) this.framePool?.release(pooled);
      this.events.onError(this, error);
      this.close();
      return;
    }
    if (result instanceof Promise) {
      result.then(
        (response) => {
          if (pooled !== null) this.framePool?.release(pooled);
          this.complete(slot, response);
        },
        (error: unknown) => {
          if (pooled !== null) this.framePool?.release(pooled);
          this.events.onError(this, error);
          this.close();
        },
      );
    } else {
      if (pooled !== null) this.framePool?.release(pooled);
      this.complete(slot, result);
    }
  }

  /** Hands on the waiting requests whose turn came, in arrival order. */
  private handOnWaiting(): void {
    if (this.handingOn) return;
    this.handingOn = true;
    try {
      while (!this.closed && this.waiting.length > 0) {
        const next = this.waiting[0] as WaitingRequest;
        if (next.ordering === "serial" && this.holdingSerial > 0) break;
        this.waiting.shift();
        this.handOn(next.slot, next.frame, null);
      }
    } finally {
      this.handingOn = false;
    }
  }

  private complete(slot: Slot, response: ResponseChunks): void {
    if (this.closed) return;
    this.requestDone();
    if (slot.holdsSerial) this.holdingSerial--;
    slot.done = true;
    slot.response = response;
    // The request's bytes are let go; the response's are held until written.
    let responseBytes = 0;
    if (response !== null) for (const chunk of response) responseBytes += chunk.length;
    this.heldBytes += responseBytes - slot.bytes;
    slot.bytes = responseBytes;
    if (this.slots[0] !== slot) {
      this.handOnWaiting();
      this.updateFlowControl();
      return;
    }
    // Responses leave together while the requests read with them are still being answered: the
    // socket stays corked until the chunk being read is handled, and then until no request is
    // pending or this turn of the event loop ends, so pipelined requests cost one writev instead of
    // a write each (a loopback write costs tens of µs of kernel time, most of a small request's
    // cost). A lone response is written at once.
    if (!this.corked && this.slots.length > 1) {
      this.corked = true;
      this.socket.cork();
    }
    while (this.slots.length > 0 && this.slots[0]?.done) {
      const head = this.slots.shift() as Slot;
      this.heldBytes -= head.bytes;
      if (head.response !== null) this.writeFrame(head.response);
    }
    // Inside read() the cork is read()'s: it sends them when the chunk is done.
    if (!this.reading) {
      if (this.slots.length === 0) this.uncork();
      else if (this.corked && !this.uncorkScheduled) {
        this.uncorkScheduled = true;
        setImmediate(this.uncorkTask);
      }
    }
    this.lastActiveMs = performance.now();
    this.handOnWaiting();
    this.updateFlowControl();
  }

  /**
   * Writes one response frame. The size prefix and the small leading chunks (a whole small
   * response, or the header part of a Fetch response) are copied into one buffer, so a typical
   * response is a single write; large chunks (record batches from the log) follow by reference.
   */
  private writeFrame(chunks: readonly Buffer[] & { onWritten?: () => void }): void {
    let size = 0;
    for (const chunk of chunks) size += chunk.length;
    let copied = 0;
    let headBytes = FRAME_PREFIX_BYTES;
    for (; copied < chunks.length; copied++) {
      const length = (chunks[copied] as Buffer).length;
      if (headBytes + length > COALESCED_WRITE_BYTES_MAX) break;
      headBytes += length;
    }
    const head = Buffer.allocUnsafe(headBytes);
    head.writeInt32BE(size, 0);
    for (let i = 0, at = FRAME_PREFIX_BYTES; i < copied; i++) {
      const chunk = chunks[i] as Buffer;
      head.set(chunk, at);
      at += chunk.length;
    }
    const more = copied < chunks.length;
    const onWritten = chunks.onWritten;
    // Writes complete in order, so the last one's callback says every chunk was taken.
    const done =
      onWritten === undefined
        ? undefined
        : (error?: Error | null) => {
            if (error === undefined || error === null) onWritten();
          };
    if (more) {
      this.socket.cork();
      this.socket.write(head);
      const last = chunks.length - 1;
      for (let i = copied; i < last; i++) this.socket.write(chunks[i] as Buffer);
      this.socket.write(chunks[last] as Buffer, done);
      this.socket.uncork();
    } else {
      this.socket.write(head, done);
    }
    this.bytesOut += size + FRAME_PREFIX_BYTES;
  }

  private overloaded(): boolean {
    return (
      this.requestQueue?.full === true ||
      this.slots.length >= this.limits.inFlightRequestsMax ||
      this.heldBytes + this.socket.writableLength >= this.limits.bufferedBytesMax ||
      this.throttledUntilMs > performance.now()
    );
  }

  /** Pauses the socket at the limits; resumes below them, first with the frames left unread. */
  updateFlowControl(): void {
    if (this.closed) return;
    if (this.requestQueue?.full === true) this.requestQueue.block(this);
    const overloaded = this.overloaded();
    if (overloaded && !this.paused) {
      this.paused = true;
      this.socket.pause();
    } else if (!overloaded && this.paused) {
      this.paused = false;
      // Inside a read, the read goes on by itself; otherwise the frames it left come first.
      if (this.reader.hasPending && !this.reading) this.read(EMPTY);
      if (!this.paused && !this.closed) this.socket.resume();
    }
  }

  /** Sends what the cork holds. */
  private uncork(): void {
    if (!this.corked) return;
    this.corked = false;
    this.socket.uncork();
  }

  private readonly uncorkTask = (): void => {
    this.uncorkScheduled = false;
    this.uncork();
  };

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.slots.length = 0;
    this.waiting.length = 0;
    this.heldBytes = 0;
    this.leaveQueue();
    this.socket.destroy();
  }
}
