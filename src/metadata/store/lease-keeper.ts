import type { Env, Timer } from "../../base/index.js";
import { KvLeaseNotFound, type KvStore } from "./kv-store.js";

/**
 * Keeps one store lease alive and says, conservatively, when it may have expired. The store
 * deletes a lease `ttlMs` after the last keep-alive it received; the holder cannot know when
 * that was, only when it sent the last keep-alive the store acknowledged. So the lease counts as
 * held until `ttlMs` after that send, and not a moment longer: a holder cut off from the store
 * (a partition, a long pause) gives up what the lease guards before anyone else can be granted it.
 */
export class LeaseKeeper {
  private readonly store: KvStore;
  private readonly env: Env;
  readonly ttlMs: number;
  private readonly onLost: (reason: string) => void;
  private leaseId: string | null = null;
  /** Monotonic time the last acknowledged keep-alive (or the grant) was sent. */
  private validFromMs = 0;
  private renewTimer: Timer | null = null;
  private expiryTimer: Timer | null = null;
  private ended = false;

  constructor(store: KvStore, env: Env, ttlMs: number, onLost: (reason: string) => void) {
    this.store = store;
    this.env = env;
    this.ttlMs = ttlMs;
    this.onLost = onLost;
  }

  get id(): string {
    if (this.leaseId === null) throw new Error("lease not granted");
    return this.leaseId;
  }

  /** true while the lease cannot have expired in the store. */
  get held(): boolean {
    return (
      !this.ended && this.leaseId !== null && this.env.clock.monotonicMs() - this.validFromMs < this.ttlMs
    );
  }

  async grant(): Promise<string> {
    const sentAt = this.env.clock.monotonicMs();
    const grant = await this.store.grantLease(this.ttlMs);
    this.leaseId = grant.id;
    this.acknowledged(sentAt);
    this.scheduleRenewal();
    return grant.id;
  }

  /** Stops renewing and revokes the lease (its keys go at once); never reports it lost. */
  async revoke(): Promise<void> {
    if (this.ended) return;
    this.stopTimers();
    this.ended = true;
    if (this.leaseId !== null) await this.store.revokeLease(this.leaseId).catch(() => {});
  }

  /** Declares the lease lost now (its holder saw it fenced some other way). */
  lose(reason: string): void {
    if (this.ended) return;
    this.ended = true;
    this.stopTimers();
    this.onLost(reason);
  }

  private acknowledged(sentAtMs: number): void {
    if (sentAtMs < this.validFromMs) return;
    this.validFromMs = sentAtMs;
    this.expiryTimer?.cancel();
    const remaining = this.validFromMs + this.ttlMs - this.env.clock.monotonicMs();
    this.expiryTimer = this.env.timers.after(Math.max(0, remaining), () => {
      if (!this.held) this.lose(`no keep-alive acknowledged for ${this.ttlMs} ms`);
    });
  }

  private scheduleRenewal(): void {
    if (this.ended) return;
    // Three keep-alives per TTL, as etcd's own clients do: one lost or slow answer is survivable.
    this.renewTimer = this.env.timers.after(Math.max(1, Math.floor(this.ttlMs / 3)), () => {
      void this.renew();
    });
  }

  private async renew(): Promise<void> {
    if (this.ended || this.leaseId === null) return;
    const sentAt = this.env.clock.monotonicMs();
    try {
      await this.store.keepAlive(this.leaseId);
      if (this.ended) return;
      this.acknowledged(sentAt);
    } catch (error) {
      if (error instanceof KvLeaseNotFound) {
        this.lose("the store expired the lease");
        return;
      }
      // Unreachable: keep trying; the expiry timer decides when the lease must count as lost.
    }
    this.scheduleRenewal();
  }

  private stopTimers(): void {
    this.renewTimer?.cancel();
    this.expiryTimer?.cancel();
  }
}
