/**
 * The order in which Java's `HashMap`/`HashSet` iterate string keys. Confluent's diff walks
 * property names, dependency names and combined keywords through hash sets, so the order of its
 * differences (and of the messages a client sees) follows Java's string hash, not the document.
 *
 * A hash table iterates bucket by bucket, each bucket in insertion order (a resize splits
 * buckets without reordering them), so the order is a stable sort of the insertion sequence by
 * the key's bucket in the final table. Buckets that turn into trees (8+ colliding keys in a
 * table of 64+) are not modelled.
 */

const LOAD_FACTOR = 0.75;
const DEFAULT_CAPACITY = 16;

function javaStringHash(text: string): number {
  let hash = 0;
  for (let i = 0; i < text.length; i++) hash = (Math.imul(hash, 31) + text.charCodeAt(i)) | 0;
  return hash;
}

function spread(hash: number): number {
  return hash ^ (hash >>> 16);
}

function tableSizeFor(capacity: number): number {
  let size = 1;
  while (size < capacity) size *= 2;
  return size;
}

function iterationOrder(keys: readonly string[], initialCapacity: number): string[] {
  const distinct = [...new Set(keys)];
  let capacity = tableSizeFor(initialCapacity);
  while (distinct.length > capacity * LOAD_FACTOR) capacity *= 2;
  const bucket = (key: string) => spread(javaStringHash(key)) & (capacity - 1);
  return distinct
    .map((key, index) => ({ key, index, bucket: bucket(key) }))
    .sort((a, b) => a.bucket - b.bucket || a.index - b.index)
    .map((entry) => entry.key);
}

/** `new HashMap<>()` filled with `keys` in order, then iterated. */
export function hashMapOrder(keys: readonly string[]): string[] {
  return iterationOrder(keys, DEFAULT_CAPACITY);
}

/** `new HashSet<>(first)` then `addAll(second)`, iterated (`first` in its own iteration order). */
export function hashSetUnionOrder(first: readonly string[], second: readonly string[] = []): string[] {
  const initial = Math.max(Math.floor(new Set(first).size / LOAD_FACTOR) + 1, DEFAULT_CAPACITY);
  return iterationOrder([...first, ...second], initial);
}
