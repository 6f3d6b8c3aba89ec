import { ApiKey, ErrorCode, KafkaError, type OffsetCommitResponse } from "../protocol/index.js";
import type { TopicPartition } from "./admin-group-results.js";
import { offsetCommitTopics } from "./admin-groups.js";
import { errorMessageOf } from "./admin-results.js";
import { COORDINATOR_MOVED, type CoordinatorLink } from "./coordinator-link.js";
import { Deadline } from "./deadline.js";

/** Who commits: read at each attempt, so a retry carries the member's current epoch. */
export interface Committer {
  /** The generation (classic) or member epoch (consumer protocol); -1 outside the group. */
  readonly generationOrEpoch: number;
  readonly memberId: string;
  readonly groupInstanceId: string | null;
}

export interface CommitOptions {
  groupId: string;
  /** OffsetCommit versions: the highest to use, and the lowest the member may use. */
  maxVersion: number;
  minVersion: number;
  /** Answers after which the commit fails and the member must join again (CommitFailedException). */
  rejoinCodes: ReadonlySet<number>;
  /** Answers retried with the member's state read again (the consumer protocol's STALE_MEMBER_EPOCH). */
  retryCodes: ReadonlySet<number>;
  requestTimeoutMs: number;
  retryBackoffMs: number;
}

/**
 * Commits offsets on the group's coordinator, as Kafka's consumers do: a coordinator that moved or
 * a lost connection is retried until the deadline; a rejoin code fails the commit with Kafka's
 * CommitFailedException message and calls `onRejoin`.
 */
export async function commitOffsets(
  coordinator: CoordinatorLink,
  committer: () => Committer,
  options: CommitOptions,
  offsets: readonly (TopicPartition & { offset: bigint })[],
  timeoutMs: number,
  onRejoin: () => void,
): Promise<void> {
  if (offsets.length === 0) return;
  const deadline = new Deadline(timeoutMs);
  for (;;) {
    const outcome = await coordinator.attempt(async (connection) => {
      const who = committer();
      const version = connection.negotiatedVersion(
        ApiKey.OffsetCommit,
        options.maxVersion,
        options.minVersion,
      );
      const response = await connection.request<OffsetCommitResponse>(
        ApiKey.OffsetCommit,
        version,
        {
          groupId: options.groupId,
          generationIdOrMemberEpoch: who.generationOrEpoch,
          memberId: who.memberId,
          groupInstanceId: who.groupInstanceId,
          retentionTimeMs: -1n,
          topics: offsetCommitTopics(offsets),
        },
        { timeoutMs: deadline.attemptTimeoutMs(options.requestTimeoutMs) },
      );
      const failed = response.topics.flatMap((t) => t.partitions).find((p) => p.errorCode !== ErrorCode.NONE);
      return { errorCode: failed?.errorCode ?? ErrorCode.NONE, value: true };
    });
    const code = outcome.errorCode;
    if (code === ErrorCode.NONE) return;
    if (code !== null && options.rejoinCodes.has(code)) {
      onRejoin();
      throw new KafkaError(
        code,
        "Commit cannot be completed since the group has already rebalanced and assigned the partitions to another member.",
      );
    }
    const retry =
      code === null ||
      COORDINATOR_MOVED.has(code) ||
      options.retryCodes.has(code) ||
      code === ErrorCode.REQUEST_TIMED_OUT ||
      code === ErrorCode.NETWORK_EXCEPTION;
    if (!retry || deadline.expired())
      throw new KafkaError(code ?? ErrorCode.REQUEST_TIMED_OUT, errorMessageOf(code ?? 7, null) ?? undefined);
    await deadline.sleep(options.retryBackoffMs);
  }
}
