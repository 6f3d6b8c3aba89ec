import { closeSync, openSync } from "node:fs";
import { assert } from "../base/index.js";
import type { WriteChannel } from "./segment-writer.js";
import type { StorageFaults } from "./storage-faults.js";

/**
 * A bounded pool of open file descriptors. Each `PooledFile` opens its file on first use and may be
 * closed by the pool when more than `openFilesMax` files are open, least recently used first;
 * the next use opens it again. A file pinned by an operation in flight (an async fsync) is never
 * closed underneath it. Node runs storage calls on one thread, so "in use" only spans an async op.
 */
export class FileHandlePool {
  readonly openFilesMax: number;
  /** Errors injected by tests (storage-faults.ts), checked before each file operation. */
  readonly faults: StorageFaults;
  private readonly lru = new Map<PooledFile, true>();
  private mostRecent: PooledFile | null = null;

  constructor(openFilesMax: number, faults: StorageFaults) {
    assert(openFilesMax >= 1, "openFilesMax must be at least 1");
    this.openFilesMax = openFilesMax;
    this.faults = faults;
  }

  get openCount(): number {
    return this.lru.size;
  }

  /** @internal */
  touch(file: PooledFile): void {
    if (this.mostRecent === file) return;
    this.lru.delete(file);
    this.lru.set(file, true);
    this.mostRecent = file;
    if (this.lru.size > this.openFilesMax) this.evict();
  }

  /** @internal */
  forget(file: PooledFile): void {
    this.lru.delete(file);
    if (this.mostRecent === file) this.mostRecent = null;
  }

  private evict(): void {
    for (const candidate of this.lru.keys()) {
      if (this.lru.size <= this.openFilesMax) return;
      if (candidate.pinCount > 0 || candidate === this.mostRecent) continue;
      candidate.close();
    }
  }
}

/**
 * One file of a segment. Its appends go through `writes`, the channel of its log dir (see
 * segment-writer.ts): a failed write fails that channel, and so that log dir, and no other.
 */
export class PooledFile {
  path: string;
  pinCount = 0;
  private closeWhenUnpinned = false;
  private readonly pool: FileHandlePool;
  private readonly writes: WriteChannel;
  private fd: number | null = null;
  private writable = false;
  /** A read-only descriptor an operation in flight still holds, replaced by a writable one. */
  private retiredFd: number | null = null;
  /** The last append queued to the writer thread and not yet known to be done (0: none). */
  private queuedWrite = 0;

  constructor(pool: FileHandlePool, writes: WriteChannel, path: string) {
    this.pool = pool;
    this.writes = writes;
    this.path = path;
  }

  get isOpen(): boolean {
    return this.fd !== null;
  }

  /**
   * Queues `data` to be written at `position` by the writer thread; returns the write's sequence
   * number (0 when it was written at once). Any other use of the file waits for it first.
   */
  appendAt(data: Uint8Array, position: number, now = false): number {
    this.pool.faults.check(this.path, "write");
    const seq = this.writes.write(this.writeFd(false), data, position, now);
    if (seq !== 0) this.queuedWrite = seq;
    return seq;
  }

  /** Waits until the queued appends are in the file; throws when one of them failed. */
  settle(): void {
    if (this.queuedWrite === 0) return;
    const seq = this.queuedWrite;
    this.writes.waitSync(seq);
    if (this.queuedWrite === seq) this.queuedWrite = 0;
  }

  /** An fd for reading; opens the file if the pool closed it. */
  readFd(): number {
    this.settle();
    this.pool.faults.check(this.path, "read");
    if (this.fd === null) {
      this.fd = openSync(this.path, "r");
      this.writable = false;
    }
    this.pool.touch(this);
    return this.fd;
  }

  /** An fd for reading and writing (the file must exist). */
  writeFd(settle = true): number {
    if (settle) this.settle();
    if (this.fd !== null && !this.writable) {
      if (this.pinCount === 0) this.close();
      else {
        // An fsync in flight holds the read-only descriptor: it is closed when unpinned.
        assert(this.retiredFd === null, "one retired descriptor at a time");
        this.retiredFd = this.fd;
        this.fd = null;
        this.pool.forget(this);
      }
    }
    if (this.fd === null) {
      this.fd = openSync(this.path, "r+");
      this.writable = true;
    }
    this.pool.touch(this);
    return this.fd;
  }

  pin(): void {
    this.pinCount++;
  }

  unpin(): void {
    assert(this.pinCount > 0, "unpin without pin");
    this.pinCount--;
    if (this.pinCount > 0) return;
    if (this.retiredFd !== null) {
      closeSync(this.retiredFd);
      this.retiredFd = null;
    }
    if (this.closeWhenUnpinned) this.close();
  }

  /** Closes the descriptor now, or when the last operation in flight unpins it. */
  close(): void {
    if (this.fd === null) return;
    try {
      this.settle(); // the writer thread must be done with the fd before it is closed (and reused)
    } catch {
      // the failure stays on the channel: the log sees it at its next operation
      this.queuedWrite = 0;
    }
    if (this.pinCount > 0) {
      this.closeWhenUnpinned = true;
      return;
    }
    this.closeWhenUnpinned = false;
    const fd = this.fd;
    this.fd = null;
    this.pool.forget(this);
    closeSync(fd);
  }
}
