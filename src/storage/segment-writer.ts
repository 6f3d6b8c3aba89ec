import { constants } from "node:os";
import { performance } from "node:perf_hooks";
import { Worker } from "node:worker_threads";
import { assert } from "../base/index.js";
import { writeFullySync } from "./durable-file.js";
import { StorageError } from "./storage-error.js";

/**
 * Segment writes, on the event loop or, where configured, off it. Copying an append into the page
 * cache is most of its cost (about 1 GB/s on the machines we measured), and a synchronous write
 * holds the event loop for all of it. With policy "always" appends are queued instead and written,
 * in order, by one writer thread, while the event loop validates the next batch and serves the
 * network: throughput becomes that of the file write alone instead of the write plus the CRC32C
 * check and the bookkeeping. Queued bytes are copied into a shared ring. With policy "never" (the
 * default) the write happens at once on the caller's thread, as Kafka's request threads do.
 *
 * Why "never" is the default: on the machines we could measure (2 vCPUs), handing bytes to another
 * core cost the event loop about as much as the page-cache copy it saved, and the thread's write
 * came on top, so a broker whose appends come from the network used more CPU per record with the
 * thread and ran no faster (bench/README.md); only appends from memory (the storage bench) gained.
 * An adaptive policy that queued only while the event loop was saturated and a core idle, and only
 * while queueing measurably paid, was tried: it hinged on timing thresholds tuned on one VM, sampled
 * the machine's CPU times on the hot path, and where it did start the thread the thread's ring and
 * C heap stayed resident long after the burst. "always" stays for machines where a measurement
 * shows the thread pays (BROOK_SEGMENT_WRITER=always).
 *
 * What it keeps: the bytes of a file are written in the order they were appended (a crash leaves a
 * prefix, as before); every other access to a file (a read, a truncation, an fsync, a close) first
 * waits for that file's queued writes (`WriteChannel.waitSync`, an Atomics.wait of at most one
 * write); and an append counts as written, for acknowledgements and the high watermark, only once
 * the writer thread has handed it to the kernel (`whenDone`), so that SIGKILL loses nothing that
 * was acknowledged.
 *
 * One writer thread serves the process; each log dir writes through its own `WriteChannel`, so
 * that a failed write (ENOSPC, EIO) takes that log dir offline, as Kafka's LogDirFailureChannel
 * does, and nothing else. After a failure the thread skips the channel's later writes: a file never
 * gets data past a hole.
 */

/**
 * Control words (Int32): commands published, commands done, the writer is asleep, the writer died,
 * the writer is held (tests hold it to see what waits for a write).
 */
const CTL_PUBLISHED = 0;
const CTL_DONE = 1;
const CTL_SLEEPING = 2;
const CTL_DEAD = 3;
const CTL_HELD = 4;
/** The thread generation that may take commands; an older thread exits when it sees a newer one. */
const CTL_GENERATION = 5;
const CTL_WORDS = 6;
/** Command counters wrap at 2^30; fewer than `slots` are ever outstanding. */
const SEQ_MASK = 0x3fffffff;
/** Per command (Float64): fd, file position, ring offset, length, channel id. */
const FIELDS = 5;
/** Contiguous commands to one file are written with one call, up to this many bytes. */
const COALESCE_BYTES_MAX = 8 * 1024 * 1024;
const WAIT_SLICE_MS = 1000;
/**
 * A sleeping thread is woken once this much is queued, or at the end of the current task (a
 * microtask), or before anyone waits for it: one wake-up per request or per few hundred KiB, not one
 * per append, since waking a thread costs a system call and a context switch.
 */
const WAKE_BYTES = 512 * 1024;

/** Whether appends go to the thread ("always") or are written on the caller's thread ("never"). */
export type SegmentWriterPolicy = "always" | "never";

export interface SegmentWriterOptions {
  /** Bytes of appends in flight at most; an append waits for room beyond it. */
  ringBytes: number;
  /** Appends in flight at most. */
  slots: number;
  policy: SegmentWriterPolicy;
}

export const DEFAULT_SEGMENT_WRITER_OPTIONS: SegmentWriterOptions = {
  ringBytes: 8 * 1024 * 1024,
  slots: 8192,
  policy: "never",
};

/**
 * A thread that took no write for this long stops: an idle broker should not keep a second isolate
 * (~10 MB resident) for its last burst. The next burst starts a new one (~20 ms). (The ring stays:
 * see the constructor.)
 */
export const RETIRE_IDLE_MS = 10_000;

/** The writer thread's loop; runs from source in a Worker, so it uses nothing from this module. */
const WORKER_SOURCE = `
const { workerData } = require("node:worker_threads");
const { writeSync } = require("node:fs");
const ctl = new Int32Array(workerData.control);
const cmd = new Float64Array(workerData.commands);
const status = new Int32Array(workerData.status);
const ring = Buffer.from(workerData.ring);
const slots = workerData.slots;
const generation = workerData.generation;
const failed = new Set();
try {
  let done = Atomics.load(ctl, ${CTL_DONE});
  for (;;) {
    if (Atomics.load(ctl, ${CTL_HELD}) === 1) {
      Atomics.wait(ctl, ${CTL_HELD}, 1);
      continue;
    }
    let published = Atomics.load(ctl, ${CTL_PUBLISHED});
    // Read after the commands: a retired thread never takes one published for its successor.
    if (Atomics.load(ctl, ${CTL_GENERATION}) !== generation) break;
    if (published === done) {
      Atomics.store(ctl, ${CTL_SLEEPING}, 1);
      published = Atomics.load(ctl, ${CTL_PUBLISHED});
      if (published === done) Atomics.wait(ctl, ${CTL_PUBLISHED}, done);
      if (Atomics.load(ctl, ${CTL_GENERATION}) !== generation) break;
      Atomics.store(ctl, ${CTL_SLEEPING}, 0);
      continue;
    }
    const first = (done % slots) * ${FIELDS};
    const fd = cmd[first], position = cmd[first + 1], offset = cmd[first + 2], channel = cmd[first + 4];
    let length = cmd[first + 3];
    let count = 1;
    for (let next = (done + 1) & ${SEQ_MASK}; next !== published && length < ${COALESCE_BYTES_MAX}; next = (next + 1) & ${SEQ_MASK}) {
      const at = (next % slots) * ${FIELDS};
      if (cmd[at] !== fd || cmd[at + 4] !== channel || cmd[at + 1] !== position + length || cmd[at + 2] !== offset + length) break;
      length += cmd[at + 3];
      count++;
    }
    let errno = 0;
    if (failed.has(channel)) errno = -1;
    else {
      try {
        for (let written = 0; written < length; ) {
          written += writeSync(fd, ring, offset + written, length - written, position + written);
        }
      } catch (error) {
        errno = typeof error.errno === "number" && error.errno !== 0 ? error.errno : -2;
        failed.add(channel);
      }
    }
    for (let i = 0; i < count; i++) status[((done + i) & ${SEQ_MASK}) % slots] = errno;
    done = (done + count) & ${SEQ_MASK};
    Atomics.store(ctl, ${CTL_DONE}, done);
    Atomics.notify(ctl, ${CTL_DONE});
  }
} catch (error) {
  Atomics.store(ctl, ${CTL_DEAD}, 1);
  Atomics.notify(ctl, ${CTL_DONE});
  throw error;
}
`;

interface Waiter {
  seq: number;
  resolve: () => void;
}

type WaitAsync = (
  array: Int32Array,
  index: number,
  value: number,
  timeoutMs?: number,
) => { async: false; value: string } | { async: true; value: Promise<string> };
const waitAsync = (Atomics as unknown as { waitAsync: WaitAsync }).waitAsync;

export interface SegmentWriterStats {
  policy: SegmentWriterPolicy;
  /** Whether appends go to the thread. */
  offloading: boolean;
  threadRunning: boolean;
  threadsStarted: number;
  threadsRetired: number;
  bytesAtOnceTotal: number;
  bytesQueuedTotal: number;
}

/** The process's segment writer's decisions (nothing started when no log was ever written). */
export function segmentWriterStats(): SegmentWriterStats {
  return SegmentWriter.shared().stats();
}

export class SegmentWriter {
  private static sharedWriter: SegmentWriter | null = null;

  /**
   * The process's writer (its thread starts at the first write it takes). The policy is "never"
   * unless BROOK_SEGMENT_WRITER says "always" (tests run the storage model both ways).
   */
  static shared(): SegmentWriter {
    if (SegmentWriter.sharedWriter === null) {
      const env = process.env.BROOK_SEGMENT_WRITER;
      const policy = env === "always" || env === "never" ? env : DEFAULT_SEGMENT_WRITER_OPTIONS.policy;
      SegmentWriter.sharedWriter = new SegmentWriter({ ...DEFAULT_SEGMENT_WRITER_OPTIONS, policy });
    }
    return SegmentWriter.sharedWriter;
  }

  readonly ringBytes: number;
  policy: SegmentWriterPolicy;
  private readonly slots: number;
  private readonly control: SharedArrayBuffer;
  private readonly commandsBuffer: SharedArrayBuffer;
  private readonly statusBuffer: SharedArrayBuffer;
  private readonly ringBuffer: SharedArrayBuffer;
  private readonly ctl: Int32Array;
  private readonly cmd: Float64Array;
  private readonly status: Int32Array;
  private readonly ring: Buffer;
  private readonly slotChannel: (WriteChannel | null)[];
  private readonly slotRingEnd: Float64Array;
  private worker: Worker | null = null;
  private generation = 0;
  private lastQueuedMs = 0;
  private retireTimer: NodeJS.Timeout | null = null;
  /** Threads started and retired (tests, /metrics). */
  threadsStarted = 0;
  threadsRetired = 0;
  /** Bytes written at once on the caller's thread and bytes queued to the writer thread (totals). */
  bytesAtOnceTotal = 0;
  bytesQueuedTotal = 0;
  private deadReason: string | null = null;
  /** Commands issued and commands whose completion was collected; seq n is the n-th command. */
  private issued = 0;
  private collected = 0;
  /** Ring bytes allocated and released, as running totals. */
  private head = 0;
  private freedTo = 0;
  private waiters: Waiter[] = [];
  /** Bytes queued since the sleeping thread was last woken; whether a wake-up is scheduled. */
  private unsignalledBytes = 0;
  private wakeScheduled = false;
  private readonly wakeTask = (): void => {
    this.wakeScheduled = false;
    this.wake();
  };
  private pumping = false;
  private nextChannelId = 1;

  constructor(options: SegmentWriterOptions) {
    assert(options.slots > 0 && SEQ_MASK % options.slots === options.slots - 1, "slots must divide 2^30");
    assert(options.ringBytes >= 64 * 1024, "the ring needs at least 64 KiB");
    this.ringBytes = options.ringBytes;
    this.slots = options.slots;
    this.policy = options.policy;
    this.control = new SharedArrayBuffer(CTL_WORDS * 4);
    this.commandsBuffer = new SharedArrayBuffer(options.slots * FIELDS * 8);
    this.statusBuffer = new SharedArrayBuffer(options.slots * 4);
    this.ctl = new Int32Array(this.control);
    this.cmd = new Float64Array(this.commandsBuffer);
    this.status = new Int32Array(this.statusBuffer);
    // Allocated now, while the C allocator still maps a buffer this large on its own (untouched
    // pages cost nothing): later, after large buffers came and went, it may carve it from its
    // heap, zeroed (all resident), and never give it back.
    this.ringBuffer = new SharedArrayBuffer(options.ringBytes);
    this.ring = Buffer.from(this.ringBuffer);
    this.slotChannel = new Array<WriteChannel | null>(options.slots).fill(null);
    this.slotRingEnd = new Float64Array(options.slots);
  }

  channel(): WriteChannel {
    return new WriteChannel(this, this.nextChannelId++);
  }

  /**
   * Tests only: the thread stops taking commands until `release()`. A synchronous wait for a write
   * meanwhile would block for good: only what waits asynchronously may run while held.
   */
  hold(): void {
    Atomics.store(this.ctl, CTL_HELD, 1);
  }

  release(): void {
    Atomics.store(this.ctl, CTL_HELD, 0);
    Atomics.notify(this.ctl, CTL_HELD);
  }

  /**
   * Writes `data` at `position` of `fd`, at once (returns 0) or queued to the thread (returns the
   * command's sequence number; policy "always"). Queued bytes are copied into the ring, so the
   * caller may reuse `data` at once; a batch too large for the ring is written here, after
   * everything queued before it.
   *
   * Request frames in SharedArrayBuffers, written from where they are, were tried and measured
   * worse: copying socket reads into shared memory cost the broker ~60 % more CPU per produced GB.
   */
  write(channel: WriteChannel, fd: number, data: Uint8Array, position: number, now = false): number {
    const length = data.length;
    assert(length > 0, "empty segment write");
    // At once: asked for, the policy, or too large for the ring (after what is queued).
    const drained = this.issued === this.collected || this.issued === this.collect();
    if (now || (this.policy === "never" && drained) || length > this.ringBytes / 4) {
      this.waitSync(this.issued);
      writeFullySync(fd, data, position);
      this.bytesAtOnceTotal += length;
      return 0;
    }
    this.checkAlive();
    const ringBytes = this.ringBytes;
    let start = this.head;
    const offset = start % ringBytes;
    if (offset + length > ringBytes) start += ringBytes - offset; // no command wraps the ring
    this.waitForSlot(start, length);
    const ringOffset = start % ringBytes;
    this.ensureWorker();
    this.ring.set(data, ringOffset);
    this.lastQueuedMs = performance.now();
    this.bytesQueuedTotal += length;
    this.head = start + length;
    return this.enqueue(channel, fd, position, ringOffset, length);
  }

  /** Waits for a free command slot and for `length` free ring bytes from `start`. */
  private waitForSlot(start: number, length: number): void {
    for (;;) {
      const outstanding = this.issued - this.collect();
      if (outstanding < this.slots && start + length - this.freedTo <= this.ringBytes) return;
      this.waitForProgress();
    }
  }

  private enqueue(
    channel: WriteChannel,
    fd: number,
    position: number,
    offset: number,
    length: number,
  ): number {
    const seq = ++this.issued;
    const slot = (seq - 1) % this.slots;
    const at = slot * FIELDS;
    this.cmd[at] = fd;
    this.cmd[at + 1] = position;
    this.cmd[at + 2] = offset;
    this.cmd[at + 3] = length;
    this.cmd[at + 4] = channel.id;
    this.slotChannel[slot] = channel;
    this.slotRingEnd[slot] = this.head;
    Atomics.store(this.ctl, CTL_PUBLISHED, seq & SEQ_MASK);
    this.unsignalledBytes += length;
    if (this.unsignalledBytes >= WAKE_BYTES) this.wake();
    else if (!this.wakeScheduled) {
      this.wakeScheduled = true;
      queueMicrotask(this.wakeTask);
    }
    return seq;
  }

  /** Wakes the thread if it sleeps with commands queued. */
  private wake(): void {
    if (this.unsignalledBytes === 0) return;
    this.unsignalledBytes = 0;
    if (Atomics.load(this.ctl, CTL_SLEEPING) === 1) Atomics.notify(this.ctl, CTL_PUBLISHED, 1);
  }

  isDone(seq: number): boolean {
    return seq <= this.collected || seq <= this.collect();
  }

  /** Blocks until command `seq` is done (one write's time at most, unless the ring was full). */
  waitSync(seq: number): void {
    while (this.collect() < seq) this.waitForProgress();
  }

  /** Resolves once command `seq` is done. */
  whenDone(seq: number): Promise<void> {
    if (this.isDone(seq)) return Promise.resolve();
    return new Promise<void>((resolve) => {
      this.waiters.push({ seq, resolve });
      if (!this.pumping) {
        this.pumping = true;
        this.worker?.ref(); // a pending acknowledgement keeps the process alive
        this.pump();
      }
    });
  }

  /** Takes in the commands the thread finished since the last call; returns the last one done. */
  private collect(): number {
    const done = this.doneFrom(Atomics.load(this.ctl, CTL_DONE));
    for (let seq = this.collected + 1; seq <= done; seq++) {
      const slot = (seq - 1) % this.slots;
      const errno = this.status[slot] as number;
      const channel = this.slotChannel[slot] as WriteChannel;
      this.slotChannel[slot] = null;
      if (errno !== 0) channel.failWith(errno);
      this.freedTo = this.slotRingEnd[slot] as number;
    }
    if (done > this.collected) this.collected = done;
    return this.collected;
  }

  /** The number of commands done, from the thread's wrapping counter. */
  private doneFrom(low: number): number {
    return this.issued - (((this.issued & SEQ_MASK) - low) & SEQ_MASK);
  }

  private waitForProgress(): void {
    this.checkAlive();
    // A held thread (tests) would never end this wait: fail loudly instead of hanging.
    assert(Atomics.load(this.ctl, CTL_HELD) === 0, "a synchronous wait on a held segment writer");
    this.wake();
    const low = Atomics.load(this.ctl, CTL_DONE);
    if (this.doneFrom(low) > this.collected) return;
    Atomics.wait(this.ctl, CTL_DONE, low, WAIT_SLICE_MS);
  }

  private pump(): void {
    for (;;) {
      const done = this.collect();
      if (this.waiters.some((w) => w.seq <= done)) {
        const ready = this.waiters.filter((w) => w.seq <= done);
        this.waiters = this.waiters.filter((w) => w.seq > done);
        for (const w of ready) w.resolve();
      }
      if (this.waiters.length === 0 || this.deadReason !== null) break;
      this.wake();
      const low = Atomics.load(this.ctl, CTL_DONE);
      if (this.doneFrom(low) > this.collected) continue;
      if (Atomics.load(this.ctl, CTL_DEAD) === 1) {
        this.markDead("the segment writer thread stopped");
        break;
      }
      const waiting = waitAsync(this.ctl, CTL_DONE, low, WAIT_SLICE_MS);
      if (waiting.async) {
        waiting.value.then(() => this.pump());
        return;
      }
    }
    this.pumping = false;
    this.worker?.unref();
  }

  private ensureWorker(): void {
    if (this.worker !== null) return;
    const generation = ++this.generation;
    Atomics.store(this.ctl, CTL_GENERATION, generation);
    const worker = new Worker(WORKER_SOURCE, {
      eval: true,
      workerData: {
        control: this.control,
        commands: this.commandsBuffer,
        status: this.statusBuffer,
        ring: this.ringBuffer,
        slots: this.slots,
        generation,
      },
      resourceLimits: { maxOldGenerationSizeMb: 16, maxYoungGenerationSizeMb: 4 },
    });
    // Only the current thread's end is a failure; a retired one ends by design.
    const current = () => this.worker === worker;
    worker.on("error", (error) => {
      if (current()) this.markDead(`the segment writer thread failed: ${error}`);
    });
    worker.on("exit", (code) => {
      if (current()) this.markDead(`the segment writer thread exited (${code})`);
    });
    worker.unref();
    this.worker = worker;
    this.threadsStarted++;
    this.retireTimer ??= setInterval(() => this.retireIfIdle(), RETIRE_IDLE_MS / 2);
    this.retireTimer.unref();
  }

  /**
   * Stops the thread once nothing was queued for RETIRE_IDLE_MS and everything
   * queued is done: the old thread sees the next generation and exits; the next queued write
   * starts a new thread with a new ring.
   */
  private retireIfIdle(now = performance.now()): void {
    if (this.worker === null || this.deadReason !== null) return;
    if (now - this.lastQueuedMs < RETIRE_IDLE_MS) return;
    if (Atomics.load(this.ctl, CTL_HELD) === 1 || this.collect() !== this.issued || this.waiters.length > 0)
      return;
    this.worker = null;
    this.threadsRetired++;
    Atomics.store(this.ctl, CTL_GENERATION, this.generation + 1);
    Atomics.notify(this.ctl, CTL_PUBLISHED);
    if (this.retireTimer !== null) clearInterval(this.retireTimer);
    this.retireTimer = null;
  }

  /** Tests: retire now if idle, as if RETIRE_IDLE_MS had passed. */
  retireNowIfIdle(): void {
    this.retireIfIdle(this.lastQueuedMs + RETIRE_IDLE_MS);
  }

  /** What the writer did, for /metrics. */
  stats(): SegmentWriterStats {
    return {
      policy: this.policy,
      offloading: this.policy === "always",
      threadRunning: this.worker !== null,
      threadsStarted: this.threadsStarted,
      threadsRetired: this.threadsRetired,
      bytesAtOnceTotal: this.bytesAtOnceTotal,
      bytesQueuedTotal: this.bytesQueuedTotal,
    };
  }

  /** Whether a writer thread is running (tests, metrics). */
  get threadRunning(): boolean {
    return this.worker !== null;
  }

  private checkAlive(): void {
    if (this.deadReason === null && Atomics.load(this.ctl, CTL_DEAD) === 1)
      this.markDead("the segment writer thread stopped");
    if (this.deadReason !== null) throw new StorageError("BRK_ERR_STORAGE_IO", this.deadReason);
  }

  /** Without the thread nothing more gets written: every channel with writes queued fails. */
  private markDead(reason: string): void {
    if (this.deadReason !== null) return;
    this.deadReason = reason;
    for (const channel of this.slotChannel) channel?.failWith(-3);
    const waiters = this.waiters;
    this.waiters = [];
    for (const w of waiters) w.resolve(); // their channels have failed: the waiting side throws
  }
}

/**
 * One log dir's writes. Failures are sticky: after a write failed, every wait on the channel
 * throws, and so does every later write (the log dir goes offline, its logs with it).
 */
export class WriteChannel {
  readonly id: number;
  private readonly writer: SegmentWriter;
  private failure: StorageError | null = null;

  constructor(writer: SegmentWriter, id: number) {
    this.writer = writer;
    this.id = id;
  }

  get failed(): boolean {
    return this.failure !== null;
  }

  /** Queues a write (see SegmentWriter.write); throws when the channel failed before. */
  write(fd: number, data: Uint8Array, position: number, now = false): number {
    this.check();
    return this.writer.write(this, fd, data, position, now);
  }

  isDone(seq: number): boolean {
    return seq === 0 || this.writer.isDone(seq);
  }

  waitSync(seq: number): void {
    if (seq !== 0) this.writer.waitSync(seq);
    this.check();
  }

  async whenDone(seq: number): Promise<void> {
    if (seq !== 0) await this.writer.whenDone(seq);
    this.check();
  }

  /** @internal called by the writer */
  failWith(errno: number): void {
    if (this.failure !== null) return;
    const name = errnoName(errno);
    this.failure = new StorageError("BRK_ERR_STORAGE_IO", `a segment write failed: ${name}`);
  }

  /**
   * Refuses every later write and wait (the log dir went offline for another reason: a failed
   * read, fsync or checkpoint). Writes the thread already holds still reach their files, in order.
   */
  close(reason: string): void {
    if (this.failure !== null) return;
    this.failure = new StorageError("BRK_ERR_STORAGE_LOG_OFFLINE", reason);
  }

  private check(): void {
    if (this.failure !== null) throw this.failure;
  }
}

function errnoName(errno: number): string {
  if (errno === -1) return "an earlier write of this log dir failed";
  if (errno === -3) return "the writer thread stopped";
  const found = Object.entries(constants.errno).find(([, value]) => value === -errno);
  return found === undefined ? `errno ${errno}` : found[0];
}
