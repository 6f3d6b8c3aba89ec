/**
 * Cuts a byte stream of concatenated JSON values (`{...}{...}` or one per line, as a v3 produce
 * request may stream them) into the text of each top-level value, as it arrives: it tracks
 * nesting, strings and escapes, and parses nothing. A value longer than `valueBytesMax`, or a
 * top-level token that is not an object or array, ends the stream with an error (the rest is
 * not JSON values it can find the edges of).
 */
export class JsonValueSplitter {
  private readonly valueBytesMax: number;
  private parts: Buffer[] = [];
  private partBytes = 0;
  private depth = 0;
  private inString = false;
  private escaped = false;
  failure: string | null = null;

  constructor(valueBytesMax: number) {
    this.valueBytesMax = valueBytesMax;
  }

  /** The values this chunk completes (with what earlier chunks started). */
  push(chunk: Buffer): string[] {
    const values: string[] = [];
    let start = this.depth > 0 ? 0 : -1;
    for (let i = 0; i < chunk.length && this.failure === null; i++) {
      const byte = chunk[i] as number;
      if (this.depth === 0) {
        if (byte === 0x7b || byte === 0x5b) {
          start = i;
          this.depth = 1;
        } else if (!isWhitespace(byte)) {
          this.failure = `Unexpected character ('${String.fromCharCode(byte)}' (code ${byte})): expected a JSON object`;
        }
        continue;
      }
      if (this.inString) {
        if (this.escaped) this.escaped = false;
        else if (byte === 0x5c) this.escaped = true;
        else if (byte === 0x22) this.inString = false;
        continue;
      }
      if (byte === 0x22) this.inString = true;
      else if (byte === 0x7b || byte === 0x5b) this.depth++;
      else if (byte === 0x7d || byte === 0x5d) {
        this.depth--;
        if (this.depth === 0) {
          values.push(this.take(chunk.subarray(start, i + 1)));
          start = -1;
        }
      }
    }
    if (this.depth > 0 && this.failure === null) {
      const rest = chunk.subarray(Math.max(start, 0));
      this.parts.push(rest);
      this.partBytes += rest.length;
      if (this.partBytes > this.valueBytesMax)
        this.failure = "Error processing message: Produce request size is larger than allowed threshold";
    }
    return values;
  }

  /** At the end of the stream: an error when a value was left unfinished. */
  end(): void {
    if (this.depth > 0 && this.failure === null)
      this.failure = "Unexpected end-of-input: expected close marker for Object";
  }

  private take(last: Buffer): string {
    const text =
      this.parts.length === 0 ? last.toString("utf8") : Buffer.concat([...this.parts, last]).toString("utf8");
    this.parts = [];
    this.partBytes = 0;
    return text;
  }
}

function isWhitespace(byte: number): boolean {
  return byte === 0x20 || byte === 0x0a || byte === 0x0d || byte === 0x09;
}
