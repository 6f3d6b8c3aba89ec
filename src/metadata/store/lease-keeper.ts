import type { Env, Timer } from "../../base/index.js";
import { KvLeaseNotFound, type KvStore } from "./kv-store.js";

/**
 * The wait before the next keep-alive after one failed. Short: the lease is only safe if a
 * keep-alive gets through soon after the store is back, and waiting the usual third of the TTL
 * after a failed try (itself up to a request timeout long) could let an outage shorter than the
 * TTL outlive it.
 */
const RETRY_AFTER_FAILURE_MS = 100;

/**
 * The longest wait between keep-alives. The holder counts its lease from the last acknowledged
 * send, so an outage that starts just before a renewal is survived only for the TTL less the
 * renewal interval: etcd's own clients renew every third of the TTL, which with a 9 s session
 * would leave 6 s. One renewal a second (Kafka's brokers heartbeat every 2 s) costs etcd nothing
 * (renewals do not go through its log) and keeps nearly the whole TTL for riding out an outage.
 */
export const KEEPALIVE_INTERVAL_MAX_MS = 1_000;

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
  private revoking: Promise<void> | null = null;

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

  /**
   * Stops renewing and revokes the lease (its keys go at once); never reports it lost. One revoke
   * for all calls, each resolving once it is answered: a caller that awaits it (a clean shutdown)
   * must not go on, and exit, while an earlier caller's revoke is still on its way. A lease
   * already counted lost is revoked too: the store may still hold it, and its keys should go.
   */
  revoke(): Promise<void> {
    this.revoking ??= this.revokeOnce();
    return this.revoking;
  }

  private async revokeOnce(): Promise<void> {
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

  private scheduleRenewal(afterFailure = false): void {
    if (this.ended) return;
    // At least three keep-alives per TTL, as etcd's own clients do: one lost or slow answer is survivable.
    const interval = Math.max(1, Math.min(KEEPALIVE_INTERVAL_MAX_MS, Math.floor(this.ttlMs / 3)));
    const delay = afterFailure ? Math.min(interval, RETRY_AFTER_FAILURE_MS) : interval;
    this.renewTimer = this.env.timers.after(delay, () => {
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
      // Unreachable: try again soon; the expiry timer decides when the lease must count as lost.
      this.scheduleRenewal(true);
      return;
    }
    this.scheduleRenewal();
  }

  private stopTimers(): void {
    this.renewTimer?.cancel();
    this.expiryTimer?.cancel();
  }
}
