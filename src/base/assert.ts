/**
 * Assertions guard Brook's own invariants (offsets increase, the high watermark never passes the
 * log end, an epoch never goes back). They stay on in production: a broken invariant means a bug
 * in Brook, and continuing would risk acknowledged data. Input from clients is never checked with
 * assert(): it gets a Kafka error code instead.
 */
export class AssertionError extends Error {
  override readonly name = "AssertionError";
}

export function assert(condition: unknown, message?: string | (() => string)): asserts condition {
  if (!condition) {
    throw new AssertionError(typeof message === "function" ? message() : (message ?? "assertion failed"));
  }
}

export function unreachable(value: never, message = "unreachable"): never {
  throw new AssertionError(`${message}: ${String(value)}`);
}
