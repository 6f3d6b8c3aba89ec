/**
 * The cleaner's map from record key to the offset of its latest record in the dirty range
 * (Kafka's SkimpyOffsetMap, but exact: keys are kept whole as latin1 strings, one char per byte,
 * so no two keys collide). Bounded by a key count and by the bytes of key material.
 */
export class OffsetMap {
  readonly keysMax: number;
  readonly keyBytesMax: number;
  private readonly offsets = new Map<string, number>();
  private keyBytes = 0;
  /** The largest offset put (-1 when empty). */
  latestOffset = -1;

  constructor(keysMax: number, keyBytesMax: number) {
    this.keysMax = keysMax;
    this.keyBytesMax = keyBytesMax;
  }

  get size(): number {
    return this.offsets.size;
  }

  /** Whether `keys` more keys of `bytes` bytes would still fit. */
  hasRoomFor(keys: number, bytes: number): boolean {
    return this.offsets.size + keys <= this.keysMax && this.keyBytes + bytes <= this.keyBytesMax;
  }

  put(key: Buffer, offset: number): void {
    const k = key.toString("latin1");
    if (!this.offsets.has(k)) this.keyBytes += key.length;
    this.offsets.set(k, offset);
    if (offset > this.latestOffset) this.latestOffset = offset;
  }

  get(key: Buffer): number | undefined {
    return this.offsets.get(key.toString("latin1"));
  }
}
