/**
 * Captures the in-process broker's log lines (it writes them to stderr) while a hostile test runs,
 * so the test can tell a refused request (a warning that a connection was closed) from a handler
 * bug answered with UNKNOWN_SERVER_ERROR (an ERROR line), and keep its own output readable.
 */
export class BrokerLogCapture {
  readonly lines: string[] = [];
  private readonly original = process.stderr.write.bind(process.stderr);
  /** Lines kept at most: a runaway logger must not become the test's own memory problem. */
  private static readonly LINES_MAX = 10_000;

  constructor() {
    process.stderr.write = ((chunk: string | Uint8Array, ...rest: unknown[]) => {
      const text = typeof chunk === "string" ? chunk : Buffer.from(chunk).toString("utf8");
      if (/^\d{4}-\d\d-\d\dT\S+ (DEBUG|INFO|WARN|ERROR) /.test(text)) {
        if (this.lines.length < BrokerLogCapture.LINES_MAX) this.lines.push(text.trimEnd());
        const callback = rest.find((r) => typeof r === "function") as (() => void) | undefined;
        callback?.();
        return true;
      }
      return (this.original as (...args: unknown[]) => boolean)(chunk, ...rest);
    }) as typeof process.stderr.write;
  }

  /** ERROR lines: requests that failed inside the broker (UNKNOWN_SERVER_ERROR) or background failures. */
  errors(): string[] {
    return this.lines.filter((l) => / ERROR /.test(l));
  }

  restore(): void {
    process.stderr.write = this.original;
  }
}
