import { assert } from "./assert.js";

/**
 * Memory lent to one response for as long as its bytes may still be read: tail-cache slabs and
 * pooled read buffers that a Fetch response references instead of copying. The network layer
 * calls `release` once the socket has taken the response's last byte; only then may the lenders
 * reuse the memory. A lease that is never released (the connection closed first) costs nothing but
 * the reuse: lenders treat memory still on lease as gone and allocate anew.
 */
export class BufferLease {
  private releases: (() => void)[] = [];
  private released = false;

  /** Registers what gives the memory back; called once, at `release`. */
  add(release: () => void): void {
    assert(!this.released, "memory lent to a lease that was already released");
    this.releases.push(release);
  }

  get isEmpty(): boolean {
    return this.releases.length === 0;
  }

  release(): void {
    if (this.released) return;
    this.released = true;
    const releases = this.releases;
    this.releases = [];
    for (const release of releases) release();
  }
}
