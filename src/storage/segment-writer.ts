import { availableParallelism, constants, cpus } from "node:os";
import { performance } from "node:perf_hooks";
import { Worker } from "node:worker_threads";
import { assert } from "../base/index.js";
import { writeFullySync } from "./durable-file.js";
import { StorageError } from "./storage-error.js";

/**
 * Segment writes off the event loop, when that pays. Copying an append into the page cache is most
 * of its cost (about 1 GB/s on the machines we measured), and a synchronous write holds the event
 * loop for all of it. While the event loop is saturated and a core is spare (policy "auto", see
 * `offloading`), appends are queued instead and written, in order, by one writer thread, while the
 * event loop validates the next batch and serves the network: throughput becomes that of the file
 * write alone instead of the write plus the CRC32C check and the bookkeeping. Queued bytes are
 * copied into a shared ring. Otherwise the write happens at once on the caller's thread.
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
/** Microseconds the thread spent writing, a running total (wraps; read as differences). */
const CTL_BUSY_US = 5;
/** The thread generation that may take commands; an older thread exits when it sees a newer one. */
const CTL_GENERATION = 6;
const CTL_WORDS = 7;
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

/**
 * When appends go to the thread: "auto" while the event loop is saturated (see `offloading`),
 * "always", or "never" (every write on the caller's thread, as a synchronous write).
 */
export type SegmentWriterPolicy = "auto" | "always" | "never";

export interface SegmentWriterOptions {
  /** Bytes of appends in flight at most; an append waits for room beyond it. */
  ringBytes: number;
  /** Appends in flight at most. */
  slots: number;
  policy: SegmentWriterPolicy;
  /** CPU time of the machine so far (default: /proc/stat through os.cpus()); tests pass their own. */
  machine?: () => MachineTimes;
}

export interface MachineTimes {
  idle: number;
  total: number;
  cores: number;
}

export const DEFAULT_SEGMENT_WRITER_OPTIONS: SegmentWriterOptions = {
  ringBytes: 8 * 1024 * 1024,
  slots: 8192,
  policy: "auto",
};

/**
 * "auto" hands appends to the thread when the event loop is the bottleneck and a core is spare:
 * the event loop was busy more than OFFLOAD_ON of the last window and the machine had at least
 * SPARE_ON cores idle (counting the writer thread's own time while it writes); it writes them
 * itself again below OFFLOAD_OFF or SPARE_OFF. Handing bytes to another core is not free: on the
 * 2-vCPU machine we measured, moving them between caches cost the event loop about as much as the
 * page-cache copy it saved (~0.8 s per GB) and the thread's write came on top, so with no spare core
 * it only adds CPU. With one, appends cost the larger of the two threads' shares instead of the sum.
 */
const OFFLOAD_WINDOW_MS = 25;
const OFFLOAD_ON = 0.9;
const OFFLOAD_OFF = 0.6;
const SPARE_ON = 0.6;
const SPARE_OFF = 0.3;
/**
 * Both signals are moving averages with this time constant: /proc/stat counts in 10 ms ticks, and a
 * burst of requests saturates the event loop for a window without making it the bottleneck.
 */
const SMOOTHING_MS = 60;
/**
 * And the thread must earn its keep: after TRIAL_MS of queueing, the event loop's time per appended
 * byte (busy time, less what it spent waiting for a full ring) must be below COST_GAIN of what it
 * was when writing itself, else the writer goes back to writing at once and tries again after
 * RETRY_MS. (On this VM a broker whose appends come from the network saved nothing by queueing;
 * the storage bench's appends saved half.)
 */
const TRIAL_MS = 200;
/** The first queueing windows pay for the thread starting and the ring filling: not sampled. */
const TRIAL_WARMUP_MS = 50;
const COST_GAIN = 0.85;
const RETRY_MS = 10_000;
/**
 * Windows with fewer appended bytes say nothing about the cost per byte, and the thread is not
 * started for them: below ~10 MB/s the appends' share of a saturated event loop is small, and a
 * loop saturated by small requests (one record each) would pay the hand-over's wake-ups per append
 * with no trial ever able to judge them.
 */
const COST_SAMPLE_BYTES_MIN = 256 * 1024;
/**
 * A thread that took no write for this long stops: an idle broker should not keep a second isolate
 * (~10 MB resident) for its last burst. The next burst starts a new one (~20 ms), which the policy's
 * trial window already absorbs. (The ring stays: see the constructor.)
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
      const started = performance.now();
      try {
        for (let written = 0; written < length; ) {
          written += writeSync(fd, ring, offset + written, length - written, position + written);
        }
      } catch (error) {
        errno = typeof error.errno === "number" && error.errno !== 0 ? error.errno : -2;
        failed.add(channel);
      }
      Atomics.add(ctl, ${CTL_BUSY_US}, Math.round((performance.now() - started) * 1000) | 0);
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
  /** Whether appends go to the thread now. */
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
   * The process's writer (its thread starts at the first write it takes). The policy is "auto"
   * unless BROOK_SEGMENT_WRITER says "always" or "never" (tests run the storage model both ways).
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
  private offload = false;
  private offloadCheckedMs = 0;
  private eventLoopMark = performance.eventLoopUtilization();
  private readonly machine: () => MachineTimes;
  private idleMark: MachineTimes;
  private busyMarkUs = 0;
  private spareCores = 1;
  private eventLoopLoad = 0;
  /** Bytes appended since the last window; event-loop ms per byte, writing at once and queueing. */
  private bytesInWindow = 0;
  private costAtOnce = Number.NaN;
  private costQueued = Number.NaN;
  private offloadedSinceMs = 0;
  private retryAfterMs = 0;
  /** Time the event loop spent waiting for the thread (a full ring): not work, though busy. */
  private blockedMs = 0;
  private blockedMarkMs = 0;

  constructor(options: SegmentWriterOptions) {
    assert(options.slots > 0 && SEQ_MASK % options.slots === options.slots - 1, "slots must divide 2^30");
    assert(options.ringBytes >= 64 * 1024, "the ring needs at least 64 KiB");
    this.ringBytes = options.ringBytes;
    this.slots = options.slots;
    this.policy = options.policy;
    this.machine = options.machine ?? machineIdle;
    this.idleMark = this.machine();
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
   * command's sequence number; see `offloading`). Queued bytes are copied into the ring, so the
   * caller may reuse `data` at once; a batch too large for the ring is written here, after
   * everything queued before it.
   *
   * Request frames in SharedArrayBuffers, written from where they are, were tried and measured
   * worse: copying socket reads into shared memory cost the broker ~60 % more CPU per produced GB.
   */
  write(channel: WriteChannel, fd: number, data: Uint8Array, position: number, now = false): number {
    const length = data.length;
    assert(length > 0, "empty segment write");
    this.bytesInWindow += length;
    // At once: asked for, not worth the thread now, or too large for the ring (after what is queued).
    if (now || (!this.offloading() && this.issued === this.collect()) || length > this.ringBytes / 4) {
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

  /** Whether appends go to the thread now (the policy; for "auto", the event loop's recent load). */
  private offloading(): boolean {
    if (this.policy !== "auto") return this.policy === "always";
    const now = performance.now();
    const windowMs = now - this.offloadCheckedMs;
    if (windowMs >= OFFLOAD_WINDOW_MS) {
      const load = performance.eventLoopUtilization(this.eventLoopMark).utilization;
      this.eventLoopMark = performance.eventLoopUtilization();
      const idle = this.machine();
      const idleCores =
        idle.total > this.idleMark.total
          ? ((idle.idle - this.idleMark.idle) / (idle.total - this.idleMark.total)) * idle.cores
          : 0;
      this.idleMark = idle;
      const busyUs = Atomics.load(this.ctl, CTL_BUSY_US);
      const writerCores = ((busyUs - this.busyMarkUs) | 0) / 1000 / windowMs;
      this.busyMarkUs = busyUs;
      this.offloadCheckedMs = now;
      const spare = idleCores + (this.offload ? writerCores : 0);
      const weight = 1 - Math.exp(-windowMs / SMOOTHING_MS);
      this.spareCores += weight * (spare - this.spareCores);
      this.eventLoopLoad += weight * (load - this.eventLoopLoad);
      const blockedMs = this.blockedMs - this.blockedMarkMs;
      this.blockedMarkMs = this.blockedMs;
      const windowBytes = this.bytesInWindow;
      if (windowBytes >= COST_SAMPLE_BYTES_MIN) {
        const cost = Math.max(0, load * windowMs - blockedMs) / windowBytes;
        if (this.offload) {
          if (now - this.offloadedSinceMs > TRIAL_WARMUP_MS)
            this.costQueued = smooth(this.costQueued, cost, weight);
        } else this.costAtOnce = smooth(this.costAtOnce, cost, weight);
      }
      this.bytesInWindow = 0;
      if (this.offload) {
        const earns = !(
          now - this.offloadedSinceMs > TRIAL_MS && this.costQueued > COST_GAIN * this.costAtOnce
        );
        this.offload = earns && this.eventLoopLoad > OFFLOAD_OFF && this.spareCores > SPARE_OFF;
        if (!earns) this.retryAfterMs = now + RETRY_MS;
      } else if (
        now >= this.retryAfterMs &&
        windowBytes >= COST_SAMPLE_BYTES_MIN &&
        this.eventLoopLoad > OFFLOAD_ON &&
        this.spareCores > SPARE_ON &&
        this.mayUseAnotherCore()
      ) {
        this.offload = true;
        this.offloadedSinceMs = now;
        this.costQueued = Number.NaN;
      }
    }
    return this.offload;
  }

  /**
   * Whether this process may run on two cores at all: the machine's idle cores are no use to a
   * process pinned to one (taskset, a cpuset of one CPU), whose writer thread would only take
   * turns with the event loop on the same core (measured: acks=all p99 went from 0.5 to 4 ms).
   */
  private mayUseAnotherCore(): boolean {
    return this.machine !== machineIdle || availableParallelism() >= 2;
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
    const started = performance.now();
    Atomics.wait(this.ctl, CTL_DONE, low, WAIT_SLICE_MS);
    this.blockedMs += performance.now() - started;
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
    if (now - this.lastQueuedMs < RETIRE_IDLE_MS || this.offload) return;
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

  /** What the policy decided, for /metrics. */
  stats(): SegmentWriterStats {
    return {
      policy: this.policy,
      offloading: this.offload || this.policy === "always",
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

function smooth(average: number, sample: number, weight: number): number {
  return Number.isNaN(average) ? sample : average + weight * (sample - average);
}

/** The machine's CPU time so far, idle and total (os.cpus() reads /proc/stat on Linux). */
function machineIdle(): MachineTimes {
  let idle = 0;
  let total = 0;
  const list = cpus();
  for (const cpu of list) {
    idle += cpu.times.idle;
    total += cpu.times.idle + cpu.times.user + cpu.times.sys + cpu.times.nice + cpu.times.irq;
  }
  return { idle, total, cores: list.length };
}

function errnoName(errno: number): string {
  if (errno === -1) return "an earlier write of this log dir failed";
  if (errno === -3) return "the writer thread stopped";
  const found = Object.entries(constants.errno).find(([, value]) => value === -errno);
  return found === undefined ? `errno ${errno}` : found[0];
}
