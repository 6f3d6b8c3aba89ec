import { type ConsumerGroup, regexRecord } from "./consumer-group.js";
import type { ConsumerGroupMember } from "./consumer-group-member.js";
import {
  compileTopicRegex,
  REGEX_REFRESH_INTERVAL_MS,
  type ResolvedRegex,
  resolveTopicRegexes,
} from "./consumer-group-regex.js";
import type { CoordinatorRecord } from "./coordinator-record.js";
import type { RequestContext } from "./group-api.js";
import type { ShardState } from "./shard-state.js";

/** The outcome of a heartbeat for the group's patterns. */
export interface RegexUpdate {
  /** The group epoch must move: a pattern's topics changed, or a member took up a resolved pattern. */
  readonly bumpEpoch: boolean;
  /** The resolutions the rest of the heartbeat must use (the group's, with this heartbeat's records). */
  readonly resolved: ReadonlyMap<string, ResolvedRegex>;
}

/**
 * Kafka's maybeUpdateRegularExpressions, on one heartbeat of `before` that makes it `updated`: a
 * pattern no member uses any more loses its resolution (a tombstone); a new pattern must compile
 * (INVALID_REGULAR_EXPRESSION otherwise) and is resolved; and the group's patterns are resolved
 * again when some has no resolution or topics were created since the last one, at most every
 * REGEX_REFRESH_INTERVAL_MS. Each resolution is a ConsumerGroupRegularExpression record; with an
 * authorizer it holds only the topics the member whose heartbeat resolved it may DESCRIBE, as Kafka's.
 *
 * Kafka resolves in a background task whose result arrives as a later write; here the topic list
 * is in memory and resolving is a loop over names, so it happens in the heartbeat itself: the
 * member that brings a pattern gets its partitions in the answer to the same heartbeat.
 */
export function updateRegularExpressions(
  s: ShardState,
  group: ConsumerGroup,
  before: ConsumerGroupMember,
  updated: ConsumerGroupMember,
  records: CoordinatorRecord[],
  context: RequestContext,
): RegexUpdate {
  const resolved = new Map(group.resolvedRegexes);
  const counts = group.subscribedRegexes();
  const previous = before.subscribedTopicRegex;
  const next = updated.subscribedTopicRegex;
  let bumpEpoch = false;
  let refresh = false;
  if (previous !== next) {
    if (previous !== null && counts.get(previous) === 1) {
      records.push(regexRecord(group.groupId, previous, null));
      resolved.delete(previous);
    }
    if (next !== null) {
      if ((counts.get(next) ?? 0) === 0) {
        compileTopicRegex(next);
        refresh = true;
      } else {
        bumpEpoch = resolved.has(next);
      }
    }
  }
  if (!refresh && counts.size === 0) return { bumpEpoch, resolved };

  // Aligned refreshes: at most one per interval for the whole group, so that many members and
  // many new topics make one rebalance, not one each.
  const nowMs = s.clock.nowMs();
  let lastRefreshMs = Number.NEGATIVE_INFINITY;
  let lastVersion = -1n;
  for (const r of group.resolvedRegexes.values()) {
    lastRefreshMs = Math.max(lastRefreshMs, Number(r.timestamp));
    if (r.version > lastVersion) lastVersion = r.version;
  }
  if (nowMs <= lastRefreshMs + REGEX_REFRESH_INTERVAL_MS) return { bumpEpoch, resolved };

  const subscribed = new Map(counts);
  if (previous !== null) {
    const n = (subscribed.get(previous) ?? 0) - 1;
    if (n > 0) subscribed.set(previous, n);
    else subscribed.delete(previous);
  }
  if (next !== null) subscribed.set(next, (subscribed.get(next) ?? 0) + 1);
  const topicsVersion = s.topics.topicsVersion();
  refresh ||= [...subscribed.keys()].some((regex) => !resolved.has(regex));
  refresh ||= lastVersion < topicsVersion;
  if (!refresh || subscribed.size === 0) return { bumpEpoch, resolved };

  const resolutions = resolveTopicRegexes(subscribed.keys(), s.topics.topicNames());
  const describable = context.describableTopics?.([...new Set([...resolutions.values()].flat())]);
  for (const [regex, matched] of resolutions) {
    const topics = describable === undefined ? matched : matched.filter((t) => describable.has(t));
    if (!sameNames(resolved.get(regex)?.topics ?? [], topics)) bumpEpoch = true;
    const resolution: ResolvedRegex = { topics, version: topicsVersion, timestamp: BigInt(nowMs) };
    records.push(regexRecord(group.groupId, regex, resolution));
    resolved.set(regex, resolution);
  }
  return { bumpEpoch, resolved };
}

function sameNames(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((name, i) => name === b[i]);
}
