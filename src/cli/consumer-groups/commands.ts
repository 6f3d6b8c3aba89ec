import {
  type AdminClient,
  type ConsumerGroupDescription,
  type ListedOffset,
  partitionKey,
  type TopicPartition,
} from "../../client/index.js";
import { ErrorCode, errorName, KafkaError } from "../../protocol/index.js";
import { CommandError, exceptionText, UsageError } from "../options/index.js";
import type { ConsumerGroupsOptions } from "./arguments.js";
import {
  byTopicPartition,
  type Printer,
  printError,
  selectedGroups,
  stateOf,
  topicPartitions,
} from "./group-common.js";
import {
  type ListRow,
  listTable,
  type MemberRow,
  MISSING,
  membersTable,
  type OffsetRow,
  offsetDeletionTable,
  offsetsTable,
  stateTable,
} from "./group-output.js";

/** Kafka's GroupState names for consumer groups, in the order its error message lists them. */
const CONSUMER_GROUP_STATES = [
  "PreparingRebalance",
  "CompletingRebalance",
  "Stable",
  "Dead",
  "Empty",
  "Assigning",
  "Reconciling",
];
const GROUP_TYPES = ["Classic", "Consumer"];

/** A comma-separated list matched case-insensitively against `valid` (Kafka's GroupState.parse and GroupType.parse). */
function parseList(text: string, valid: readonly string[], what: "state" | "types"): string[] {
  const parsed = text.split(",").map((s) => s.trim());
  const unknown = parsed.filter((s) => !valid.some((v) => v.toLowerCase() === s.toLowerCase()));
  if (unknown.length > 0) {
    throw new UsageError(
      `Invalid ${what} list '${text}'. Valid ${what === "state" ? "states" : "types"} are: ${valid.join(", ")}`,
    );
  }
  return parsed.map((s) => valid.find((v) => v.toLowerCase() === s.toLowerCase()) as string);
}

export async function listGroups(
  options: ConsumerGroupsOptions,
  admin: AdminClient,
  io: Printer,
): Promise<void> {
  const withType = options.has("type");
  const withState = options.has("state");
  const states =
    withState && (options.value("state") ?? "") !== ""
      ? parseList(options.value("state") as string, CONSUMER_GROUP_STATES, "state")
      : [];
  const types =
    withType && (options.value("type") ?? "") !== ""
      ? parseList(options.value("type") as string, GROUP_TYPES, "types")
      : [];
  const listings = await admin.listConsumerGroups({ timeoutMs: options.timeoutMs, states });
  if (!withType && !withState) {
    for (const g of listings) io.out(`${g.groupId}\n`);
    return;
  }
  // A broker that does not say (ListGroups before v5) runs classic groups only.
  const typeOf = (type: string) =>
    type === "" ? "Classic" : `${type[0]?.toUpperCase()}${type.slice(1).toLowerCase()}`;
  const rows: ListRow[] = listings
    .map((g) => ({ groupId: g.groupId, type: typeOf(g.type), state: g.state === "" ? "Unknown" : g.state }))
    .filter((g) => types.length === 0 || types.includes(g.type));
  io.out(listTable(rows, withType, withState));
}

/** Kafka's shouldPrintMemberState: the notice a group's state calls for, and whether its rows follow. */
function shouldPrintMemberState(io: Printer, group: string, state: string, rows: number): boolean {
  switch (state) {
    case "Dead":
      printError(io, `Consumer group '${group}' does not exist.`);
      break;
    case "Empty":
      io.err(`\nConsumer group '${group}' has no active members.\n`);
      break;
    case "PreparingRebalance":
    case "CompletingRebalance":
    case "Assigning":
    case "Reconciling":
      io.err(`\nWarning: Consumer group '${group}' is rebalancing.\n`);
      break;
    case "Stable":
      break;
    default:
      throw new CommandError(`Expected a valid consumer group state, but found '${state}'.`);
  }
  return state !== "Dead" && rows > 0;
}

export async function describeGroups(
  options: ConsumerGroupsOptions,
  admin: AdminClient,
  io: Printer,
): Promise<void> {
  const timeoutMs = options.timeoutMs;
  const ids = await selectedGroups(options, admin);
  const groups = (await admin.describeConsumerGroups(ids, { timeoutMs })).sort((a, b) =>
    a.groupId < b.groupId ? -1 : a.groupId > b.groupId ? 1 : 0,
  );
  const verbose = options.has("verbose");
  for (const group of groups) {
    const state = stateOf(group);
    if (options.has("members")) {
      const rows: MemberRow[] = group.members.map((m) => ({
        group: group.groupId,
        consumerId: m.memberId,
        groupInstanceId: m.groupInstanceId ?? "",
        host: m.host,
        clientId: m.clientId,
        assignment: m.assignment,
        ...(m.memberEpoch === undefined ? {} : { memberEpoch: m.memberEpoch }),
        ...(group.targetAssignmentEpoch === undefined ? {} : { targetEpoch: group.targetAssignmentEpoch }),
        ...(m.targetAssignment === undefined ? {} : { targetAssignment: m.targetAssignment }),
      }));
      shouldPrintMemberState(io, group.groupId, state, rows.length);
      io.out(membersTable(rows, verbose));
    } else if (options.has("state")) {
      if (shouldPrintMemberState(io, group.groupId, state, 1)) {
        io.out(
          stateTable(
            {
              group: group.groupId,
              coordinator: group.coordinator,
              assignmentStrategy: group.partitionAssignor,
              state,
              members: group.members.length,
              ...(group.groupEpoch === undefined ? {} : { groupEpoch: group.groupEpoch }),
              ...(group.targetAssignmentEpoch === undefined
                ? {}
                : { targetAssignmentEpoch: group.targetAssignmentEpoch }),
            },
            verbose,
          ),
        );
      }
    } else {
      const rows = await offsetRows(group, admin, timeoutMs);
      if (shouldPrintMemberState(io, group.groupId, state, rows.length)) io.out(offsetsTable(rows, verbose));
    }
  }
}

/**
 * Kafka's collectGroupsOffsets: each member with partitions (most partitions first), its partitions
 * in topic and partition order, then the partitions the group committed for that no member holds.
 */
async function offsetRows(
  group: ConsumerGroupDescription,
  admin: AdminClient,
  timeoutMs: number,
): Promise<OffsetRow[]> {
  if (group.errorCode !== ErrorCode.NONE) return [];
  const committed = new Map(
    (await admin.listConsumerGroupOffsets(group.groupId, { timeoutMs })).map((c) => [partitionKey(c), c]),
  );
  const members = group.members
    .filter((m) => m.assignment.length > 0)
    .sort((a, b) => b.assignment.length - a.assignment.length);
  const assigned = new Set(members.flatMap((m) => m.assignment.map(partitionKey)));
  const unassigned = [...committed.values()].filter((c) => !assigned.has(partitionKey(c)));
  const partitions = [...members.flatMap((m) => m.assignment), ...unassigned];
  const ends = new Map<string, ListedOffset>();
  if (partitions.length > 0) {
    for (const end of await admin.listOffsets(partitions, "latest", { timeoutMs }))
      ends.set(partitionKey(end), end);
  }
  const row = (tp: TopicPartition, consumerId: string, host: string, clientId: string): OffsetRow => {
    const c = committed.get(partitionKey(tp));
    const end = ends.get(partitionKey(tp));
    return {
      group: group.groupId,
      topic: tp.topic,
      partition: tp.partition,
      leaderEpoch: c?.leaderEpoch ?? null,
      offset: c?.offset ?? null,
      logEndOffset: end !== undefined && end.errorCode === ErrorCode.NONE ? end.offset : null,
      consumerId,
      host,
      clientId,
    };
  };
  const rows: OffsetRow[] = [];
  for (const m of members) {
    for (const tp of [...m.assignment].sort(byTopicPartition))
      rows.push(row(tp, m.memberId, m.host, m.clientId));
  }
  for (const tp of unassigned.sort(byTopicPartition)) rows.push(row(tp, MISSING, MISSING, MISSING));
  return rows;
}

export async function deleteGroups(
  options: ConsumerGroupsOptions,
  admin: AdminClient,
  io: Printer,
): Promise<void> {
  const ids = await selectedGroups(options, admin);
  const results = await admin.deleteConsumerGroups(ids, { timeoutMs: options.timeoutMs });
  const quoted = (list: readonly string[]) => list.map((g) => `'${g}'`).join(", ");
  const deleted = results.filter((r) => r.errorCode === ErrorCode.NONE).map((r) => r.groupId);
  const failed = results.filter((r) => r.errorCode !== ErrorCode.NONE);
  if (failed.length === 0) {
    io.out(`Deletion of requested consumer groups (${quoted(deleted)}) was successful.\n`);
    return;
  }
  printError(io, "Deletion of some consumer groups failed:");
  for (const f of failed)
    io.out(`* Group '${f.groupId}' could not be deleted due to: ${exceptionText(f.errorCode)}\n`);
  if (deleted.length > 0) io.out(`\nThese consumer groups were deleted successfully: ${quoted(deleted)}\n`);
}

/**
 * `--delete-offsets`: one group's committed offsets of the topics (or `topic:partitions`) given,
 * printed as Kafka's deleteOffsets prints the outcome.
 */
export async function deleteOffsets(
  options: ConsumerGroupsOptions,
  admin: AdminClient,
  io: Printer,
): Promise<void> {
  const timeoutMs = options.timeoutMs;
  const groupId = options.value("group") as string;
  const rows: { topic: string; partition: number; status: string }[] = [];
  const partitions: TopicPartition[] = [];
  const whole: string[] = [];
  for (const arg of options.values("topic")) {
    if (arg.includes(":")) partitions.push(...(await topicPartitions([arg], admin, timeoutMs)));
    else whole.push(arg);
  }
  for (const t of whole.length === 0 ? [] : await admin.describeTopics(whole, { timeoutMs })) {
    if (t.errorCode !== ErrorCode.NONE) {
      rows.push({ topic: t.name, partition: -1, status: `Error: ${exceptionText(t.errorCode)}` });
    } else {
      for (const p of t.partitions) partitions.push({ topic: t.name, partition: p.partitionIndex });
    }
  }
  const unique = [...new Map(partitions.map((tp) => [partitionKey(tp), tp])).values()];
  const result =
    unique.length === 0
      ? { errorCode: ErrorCode.NONE, partitions: [] }
      : await admin.deleteConsumerGroupOffsets(groupId, unique, { timeoutMs });
  const failedPartition = result.partitions.find((p) => p.errorCode !== ErrorCode.NONE);
  const topLevel =
    result.errorCode !== ErrorCode.NONE ? result.errorCode : (failedPartition?.errorCode ?? ErrorCode.NONE);
  switch (topLevel) {
    case ErrorCode.NONE:
      io.out(`Request succeeded for deleting offsets from group ${groupId}.\n`);
      break;
    case ErrorCode.INVALID_GROUP_ID:
    case ErrorCode.GROUP_ID_NOT_FOUND:
    case ErrorCode.GROUP_AUTHORIZATION_FAILED:
    case ErrorCode.NON_EMPTY_GROUP:
      printError(io, new KafkaError(topLevel).message);
      break;
    case ErrorCode.GROUP_SUBSCRIBED_TO_TOPIC:
    case ErrorCode.TOPIC_AUTHORIZATION_FAILED:
    case ErrorCode.UNKNOWN_TOPIC_OR_PARTITION:
      printError(io, "Encountered some partition-level error, see the follow-up details.");
      break;
    default:
      printError(io, `Encountered some unknown error: ${errorName(topLevel)}`);
  }
  for (const p of result.partitions) {
    const status =
      p.errorCode === ErrorCode.NONE
        ? "Successful"
        : `Error: ${p.errorMessage ?? exceptionText(p.errorCode)}`;
    rows.push({ topic: p.topic, partition: p.partition, status });
  }
  io.out(offsetDeletionTable(rows));
}
