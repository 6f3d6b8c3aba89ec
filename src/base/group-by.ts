/**
 * `items` in lists by key, each list in the items' order and the keys in first-seen order (what a
 * request needs to name partitions per topic or per broker). Linear: each item is pushed once.
 */
export function groupBy<T, K, V = T>(
  items: Iterable<T>,
  keyOf: (item: T) => K,
  valueFor: (item: T) => V = (item) => item as unknown as V,
): Map<K, V[]> {
  const groups = new Map<K, V[]>();
  for (const item of items) {
    const key = keyOf(item);
    const list = groups.get(key);
    if (list === undefined) groups.set(key, [valueFor(item)]);
    else list.push(valueFor(item));
  }
  return groups;
}
