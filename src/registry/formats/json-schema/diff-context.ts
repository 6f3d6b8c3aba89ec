import type { Difference, DifferenceType } from "./difference.js";
import type { SchemaNode } from "./schema-node.js";

/**
 * The state of one diff: the path walked so far, the differences found at this level, and what
 * all levels share: a memo of compared pairs (combined schemas compare every pair of subschemas,
 * and recursive definitions meet the same pairs again and again), the pairs on the stack (a pair
 * met again while being compared is a recursive cycle, assumed compatible), and the pairs a
 * previous pass found incompatible (so that assumption can be corrected: see `schema-diff.ts`).
 * Memo results are relative to their pair and rebased onto the path where they are reused.
 */
export class DiffContext {
  readonly compatible: ReadonlySet<DifferenceType>;
  readonly differences: Difference[] = [];
  private readonly path: string[];
  private readonly shared: SharedDiffState;

  constructor(compatible: ReadonlySet<DifferenceType>, shared: SharedDiffState, path: string[] = []) {
    this.compatible = compatible;
    this.shared = shared;
    this.path = path;
  }

  /** A context for a trial comparison at the current path, whose findings the caller may keep. */
  subcontext(): DiffContext {
    return new DiffContext(this.compatible, this.shared, [...this.path]);
  }

  /** Compares two (possibly absent) schemas of any type at this context's path. */
  compare(original: SchemaNode | undefined, update: SchemaNode | undefined): void {
    this.shared.compareSchemas(this, original, update);
  }

  isCompatible(): boolean {
    return this.differences.every((d) => this.compatible.has(d.type));
  }

  add(type: DifferenceType, attribute?: string): void {
    const path = attribute === undefined ? this.path : [...this.path, attribute];
    this.differences.push({ type, jsonPath: `#/${path.join("/")}` });
  }

  addAll(differences: readonly Difference[]): void {
    this.differences.push(...differences);
  }

  /** Runs `body` with `segment` (one or more path segments) appended to the path. */
  at(segment: string, body: () => void): void {
    this.path.push(segment);
    try {
      body();
    } finally {
      this.path.pop();
    }
  }

  /** Compares a pair through the memo; `compare` fills a fresh context rooted at the pair. */
  compareMemoized(
    original: SchemaNode,
    update: SchemaNode,
    compare: (context: DiffContext) => void,
  ): readonly Difference[] {
    const cached = this.shared.memo.get(original)?.get(update);
    if (cached) return cached;
    const inProgress = this.shared.inProgress.get(original) ?? new Set<SchemaNode>();
    if (inProgress.has(update)) {
      const seeded = this.shared.incompatibleSeed.get(original)?.get(update);
      if (seeded) return seeded;
      this.shared.optimistic = true;
      return [];
    }
    this.shared.inProgress.set(original, inProgress);
    inProgress.add(update);
    try {
      const context = new DiffContext(this.compatible, this.shared);
      compare(context);
      const result = [...context.differences];
      pairMap(this.shared.memo, original).set(update, result);
      return result;
    } finally {
      inProgress.delete(update);
    }
  }

  /** Adds pair-relative differences under the current path. */
  addRebased(relative: readonly Difference[]): void {
    if (this.path.length === 0) {
      this.differences.push(...relative);
      return;
    }
    const prefix = `#/${this.path.join("/")}`;
    for (const difference of relative) {
      const rest = difference.jsonPath.slice(2);
      this.differences.push({ type: difference.type, jsonPath: rest === "" ? prefix : `${prefix}/${rest}` });
    }
  }
}

export type PairMap = Map<SchemaNode, Map<SchemaNode, readonly Difference[]>>;

export interface SharedDiffState {
  memo: PairMap;
  inProgress: Map<SchemaNode, Set<SchemaNode>>;
  incompatibleSeed: PairMap;
  /** Set when a recursive cycle was assumed compatible in this pass. */
  optimistic: boolean;
  /**
   * The comparison of two schemas of any type (schema-diff.ts's `compareSchemas`), handed in so
   * that the per-type diffs recurse through the context instead of importing the dispatcher that
   * imports them.
   */
  readonly compareSchemas: (context: DiffContext, original?: SchemaNode, update?: SchemaNode) => void;
}

export function pairMap(map: PairMap, original: SchemaNode): Map<SchemaNode, readonly Difference[]> {
  let inner = map.get(original);
  if (!inner) {
    inner = new Map();
    map.set(original, inner);
  }
  return inner;
}

/** The memoized pairs that are incompatible, for the next pass's seed. */
export function incompatiblePairs(state: SharedDiffState, compatible: ReadonlySet<DifferenceType>): PairMap {
  const result: PairMap = new Map();
  for (const [original, inner] of state.memo) {
    for (const [update, differences] of inner) {
      if (differences.some((d) => !compatible.has(d.type)))
        pairMap(result, original).set(update, differences);
    }
  }
  return result;
}

export function pairCount(map: PairMap): number {
  let count = 0;
  for (const inner of map.values()) count += inner.size;
  return count;
}
