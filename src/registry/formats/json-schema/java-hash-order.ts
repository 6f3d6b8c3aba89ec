/**
 * The order in which Java's `HashMap`/`HashSet` iterate string (or `Integer`) keys. Confluent's diff walks
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

/** Java's `hashCode()` of a `String` or an `Integer` key. */
function javaHash(key: string | number): number {
  return typeof key === "number" ? key | 0 : javaStringHash(key);
}

function iterationOrder<K extends string | number>(keys: readonly K[], initialCapacity: number): K[] {
  const distinct = [...new Set(keys)];
  let capacity = tableSizeFor(initialCapacity);
  while (distinct.length > capacity * LOAD_FACTOR) capacity *= 2;
  const bucket = (key: K) => spread(javaHash(key)) & (capacity - 1);
  return distinct
    .map((key, index) => ({ key, index, bucket: bucket(key) }))
    .sort((a, b) => a.bucket - b.bucket || a.index - b.index)
    .map((entry) => entry.key);
}

/** `new HashMap<>()` filled with `keys` in order, then iterated. */
export function hashMapOrder<K extends string | number>(keys: readonly K[]): K[] {
  return iterationOrder(keys, DEFAULT_CAPACITY);
}

/** `new HashSet<>(first)` then `addAll(second)`, iterated (`first` in its own iteration order). */
export function hashSetUnionOrder<K extends string | number>(
  first: readonly K[],
  second: readonly K[] = [],
): K[] {
  const initial = Math.max(Math.floor(new Set(first).size / LOAD_FACTOR) + 1, DEFAULT_CAPACITY);
  return iterationOrder([...first, ...second], initial);
}
