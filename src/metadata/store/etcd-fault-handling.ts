import type { IOptions } from "etcd3";

/**
 * The fault-handling policies `EtcdKvStore` gives etcd3 in place of its defaults (a global retry
 * of every "recoverable" error, 3 attempts, and a per-member circuit breaker). Retrying belongs to
 * the store, which knows which requests may be sent twice; etcd3 only picks the member.
 */

/** A member that failed is avoided for this long while another one answers. */
const MEMBER_AVOID_MS = 2_000;

type FaultHandling = NonNullable<IOptions["faultHandling"]>;
type HostPolicy = ReturnType<NonNullable<FaultHandling["host"]>>;
type GlobalPolicy = NonNullable<FaultHandling["global"]>;
/** etcd3 calls only `execute` on its policies (cockatiel's IPolicy); the context is never aborted. */
const POLICY_CONTEXT = { signal: new AbortController().signal };

/** etcd3's global policy: no retry (`EtcdKvStore.request` retries, knowing which requests may be). */
export function noRetry(): GlobalPolicy {
  const policy = {
    execute<T>(fn: (context: typeof POLICY_CONTEXT) => PromiseLike<T> | T): Promise<T> {
      return Promise.resolve().then(() => fn(POLICY_CONTEXT));
    },
  };
  return policy as unknown as GlobalPolicy;
}

/** Thrown by a member's policy to make etcd3 try the next member; the request was not sent. */
export class AvoidedMember extends Error {}

/**
 * etcd3's per-member policy, replacing its circuit breaker (which refuses a member for 5 s after
 * 3 failures, even when it is the only one: a restarted single etcd would stay unusable for those
 * 5 s). Here a member that just failed with an unavailability error is skipped for
 * MEMBER_AVOID_MS, but only while another member is not avoided: a request always goes somewhere.
 */
export class MemberAvoidance {
  private readonly avoidUntilMs = new Map<string, number>();

  /** etcd3 asks for one policy per member (its host string). */
  policyFor(host: string): HostPolicy {
    this.avoidUntilMs.set(host, 0);
    const policy = {
      execute: <T>(fn: (context: typeof POLICY_CONTEXT) => PromiseLike<T> | T) => this.execute(host, fn),
    };
    return policy as unknown as HostPolicy;
  }

  private async execute<T>(
    host: string,
    fn: (context: typeof POLICY_CONTEXT) => PromiseLike<T> | T,
  ): Promise<T> {
    const now = Date.now();
    if (
      (this.avoidUntilMs.get(host) ?? 0) > now &&
      [...this.avoidUntilMs.values()].some((until) => until <= now)
    ) {
      throw new AvoidedMember(`etcd member ${host} avoided after a failure`);
    }
    try {
      const result = await fn(POLICY_CONTEXT);
      this.avoidUntilMs.set(host, 0);
      return result;
    } catch (error) {
      if (isMemberFailure(error)) this.avoidUntilMs.set(host, Date.now() + MEMBER_AVOID_MS);
      throw error;
    }
  }
}

/** gRPC UNAVAILABLE or DEADLINE_EXCEEDED (etcd3's typed errors carry the code in their message). */
function isMemberFailure(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  const code = (error as { code?: unknown }).code;
  return code === 14 || code === 4 || /^(\w+: )?(14 UNAVAILABLE|4 DEADLINE_EXCEEDED)/.test(error.message);
}
