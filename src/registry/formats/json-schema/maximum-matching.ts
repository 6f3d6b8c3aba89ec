/**
 * A maximum matching in a bipartite graph (left vertices `0..left-1`, right `0..right-1`), by
 * augmenting paths (Kuhn's algorithm): at most a few dozen subschemas per side, so O(V·E) is
 * plenty. Answers the matched `[left, right]` pairs in left order.
 */
export function maximumMatching(
  left: number,
  right: number,
  adjacent: (l: number, r: number) => boolean,
): [number, number][] {
  const matchOfRight = new Array<number>(right).fill(-1);
  const augment = (l: number, visited: boolean[]): boolean => {
    for (let r = 0; r < right; r++) {
      if (visited[r] || !adjacent(l, r)) continue;
      visited[r] = true;
      if (matchOfRight[r] === -1 || augment(matchOfRight[r]!, visited)) {
        matchOfRight[r] = l;
        return true;
      }
    }
    return false;
  };
  for (let l = 0; l < left; l++) augment(l, new Array<boolean>(right).fill(false));
  const pairs: [number, number][] = [];
  matchOfRight.forEach((l, r) => {
    if (l >= 0) pairs.push([l, r]);
  });
  return pairs.sort((a, b) => a[0] - b[0]);
}
