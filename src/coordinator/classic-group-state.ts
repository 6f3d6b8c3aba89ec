/**
 * The states of a classic group, spelled exactly as Kafka reports them in DescribeGroups and
 * ListGroups (tools parse these strings), and the transitions Kafka allows:
 *
 *   Empty --join--> PreparingRebalance --barrier--> CompletingRebalance --leader sync--> Stable
 *     ^                 |  ^                            |                                 |
 *     +--last member----+  +--member joins/leaves/dies--+---------------------------------+
 *   any state --deleted, expired or unloaded--> Dead
 */
export const ClassicGroupState = {
  Empty: "Empty",
  PreparingRebalance: "PreparingRebalance",
  CompletingRebalance: "CompletingRebalance",
  Stable: "Stable",
  Dead: "Dead",
} as const;
export type ClassicGroupState = (typeof ClassicGroupState)[keyof typeof ClassicGroupState];

const VALID_PREVIOUS_STATES: Readonly<Record<ClassicGroupState, readonly ClassicGroupState[]>> = {
  Empty: ["PreparingRebalance"],
  PreparingRebalance: ["Stable", "CompletingRebalance", "Empty"],
  CompletingRebalance: ["PreparingRebalance"],
  Stable: ["CompletingRebalance"],
  Dead: ["Stable", "PreparingRebalance", "CompletingRebalance", "Empty", "Dead"],
};

export function isValidTransition(from: ClassicGroupState, to: ClassicGroupState): boolean {
  return VALID_PREVIOUS_STATES[to].includes(from);
}

/** The state named by a ListGroups filter entry (Kafka matches case-insensitively, trimmed). */
export function matchesStateFilter(state: ClassicGroupState, filter: readonly string[]): boolean {
  if (filter.length === 0) return true;
  const wanted = state.toLowerCase();
  return filter.some((s) => s.trim().toLowerCase() === wanted);
}
