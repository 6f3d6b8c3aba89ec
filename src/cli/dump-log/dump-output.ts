/**
 * Where `brook dump-log` writes: its dump on stdout, Kafka's summaries and notices on stderr. A
 * segment dump runs to millions of lines, faster than any pipe (`| less`, `| grep`) reads them:
 * stdout is written in blocks, and the dump waits whenever the reader is behind, so that the
 * output neither piles up in memory nor is cut off when the process exits.
 */
export interface DumpIo {
  /** Node's stream write: false when the reader is behind. */
  out(text: string): unknown;
  err(text: string): void;
  /** Resolves once the reader of `out` has caught up (the stream's 'drain'). */
  drained?(): Promise<void>;
  /** Resolves once everything written so far has left the process. */
  finished?(): Promise<void>;
}

const FLUSH_CHARS = 64 * 1024;

export class DumpOutput {
  private readonly io: DumpIo;
  private pending = "";
  private behind = false;

  constructor(io: DumpIo) {
    this.io = io;
  }

  println(text: string): void {
    this.pending += `${text}\n`;
    if (this.pending.length >= FLUSH_CHARS) this.flush();
  }

  /** A stderr line; stdout written so far goes first, so the two read in order on a terminal. */
  errln(text: string): void {
    this.flush();
    this.io.err(`${text}\n`);
  }

  flush(): void {
    if (this.pending === "") return;
    if (this.io.out(this.pending) === false) this.behind = true;
    this.pending = "";
  }

  /** Waits while the reader is behind; called between batches and entries. */
  async pace(): Promise<void> {
    if (!this.behind || this.io.drained === undefined) return;
    this.behind = false;
    await this.io.drained();
  }

  /** Writes what is left and waits until it is out. */
  async finish(): Promise<void> {
    this.flush();
    await this.io.finished?.();
  }
}

/**
 * A failure that ends the dump (Kafka's tool dies of the exception there, after what it printed):
 * a file that cannot be read, bytes that are not batches, a record a decoder must refuse.
 */
export class DumpLogError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "DumpLogError";
  }
}
