import { readFileSync } from "node:fs";
import type {
  AdminClient,
  CommittedOffset,
  ConsumerGroupDescription,
  ListedOffset,
  OffsetSpec,
  TopicPartition,
} from "../../client/index.js";
import { ErrorCode, errorName, KafkaError } from "../../protocol/index.js";
import { CommandError, type ToolIo, UsageError } from "../options/index.js";
import type { ConsumerGroupsOptions } from "./arguments.js";
import {
  type ListRow,
  listTable,
  type MemberRow,
  MISSING,
  membersTable,
  type OffsetRow,
  offsetDeletionTable,
  offsetsTable,
  type ResetRow,
  resetTable,
  stateTable,
} from "./group-output.js";
import { RESET_SCENARIOS } from "./option-specs.js";

/** Where a command prints: stdout and stderr. */
export type Printer = ToolIo;

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

/** Kafka's printError: a blank line, then the message, on stdout. */
function printError(io: Printer, message: string): void {
  io.out(`\nError: ${message}\n`);
}

const key = (tp: TopicPartition) => `${tp.topic}\u0000${tp.partition}`;
const byTopicPartition = (a: TopicPartition, b: TopicPartition) =>
  a.topic < b.topic ? -1 : a.topic > b.topic ? 1 : a.partition - b.partition;

async function selectedGroups(options: ConsumerGroupsOptions, admin: AdminClient): Promise<string[]> {
  if (options.has("all-groups")) {
    return (await admin.listConsumerGroups({ timeoutMs: options.timeoutMs })).map((g) => g.groupId);
  }
  return [...options.values("group")];
}

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

/** A group the coordinator does not know is described as Dead, as Kafka's classic groups are. */
function stateOf(group: ConsumerGroupDescription): string {
  if (group.errorCode === ErrorCode.GROUP_ID_NOT_FOUND) return "Dead";
  if (group.errorCode !== ErrorCode.NONE) {
    throw new KafkaError(
      group.errorCode,
      `describing group '${group.groupId}': ${errorName(group.errorCode)}`,
    );
  }
  return group.state;
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
    (await admin.listConsumerGroupOffsets(group.groupId, { timeoutMs })).map((c) => [key(c), c]),
  );
  const members = group.members
    .filter((m) => m.assignment.length > 0)
    .sort((a, b) => b.assignment.length - a.assignment.length);
  const assigned = new Set(members.flatMap((m) => m.assignment.map(key)));
  const unassigned = [...committed.values()].filter((c) => !assigned.has(key(c)));
  const partitions = [...members.flatMap((m) => m.assignment), ...unassigned];
  const ends = new Map<string, ListedOffset>();
  if (partitions.length > 0) {
    for (const end of await admin.listOffsets(partitions, "latest", { timeoutMs })) ends.set(key(end), end);
  }
  const row = (tp: TopicPartition, consumerId: string, host: string, clientId: string): OffsetRow => {
    const c = committed.get(key(tp));
    const end = ends.get(key(tp));
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

/** Kafka's exception class names, which its tool prints with the message. */
const EXCEPTION_NAMES: Readonly<Record<number, string>> = {
  [ErrorCode.NON_EMPTY_GROUP]: "org.apache.kafka.common.errors.GroupNotEmptyException",
  [ErrorCode.GROUP_ID_NOT_FOUND]: "org.apache.kafka.common.errors.GroupIdNotFoundException",
  [ErrorCode.INVALID_GROUP_ID]: "org.apache.kafka.common.errors.InvalidGroupIdException",
  [ErrorCode.COORDINATOR_NOT_AVAILABLE]: "org.apache.kafka.common.errors.CoordinatorNotAvailableException",
  [ErrorCode.UNKNOWN_TOPIC_OR_PARTITION]: "org.apache.kafka.common.errors.UnknownTopicOrPartitionException",
  [ErrorCode.GROUP_SUBSCRIBED_TO_TOPIC]: "org.apache.kafka.common.errors.GroupSubscribedToTopicException",
};

function describeError(errorCode: number): string {
  const message = new KafkaError(errorCode).message;
  return `${EXCEPTION_NAMES[errorCode] ?? `KafkaError ${errorName(errorCode)}`}: ${message}`;
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
    io.out(`* Group '${f.groupId}' could not be deleted due to: ${describeError(f.errorCode)}\n`);
  if (deleted.length > 0) io.out(`\nThese consumer groups were deleted successfully: ${quoted(deleted)}\n`);
}

export async function resetOffsets(
  options: ConsumerGroupsOptions,
  admin: AdminClient,
  io: Printer,
): Promise<void> {
  const timeoutMs = options.timeoutMs;
  const ids = await selectedGroups(options, admin);
  const plan = options.has("from-file")
    ? readResetPlan(options.value("from-file") as string, options.values("group"))
    : undefined;
  const groups = await admin.describeConsumerGroups(ids, { timeoutMs });
  const reset: string[] = [];
  const rows: ResetRow[] = [];
  for (const group of groups) {
    const state = group.errorCode === ErrorCode.GROUP_ID_NOT_FOUND ? "Dead" : stateOf(group);
    reset.push(group.groupId);
    if (state !== "Empty" && state !== "Dead") {
      printError(
        io,
        `Assignments can only be reset if the group '${group.groupId}' is inactive, but the current state is ${state}.`,
      );
      continue;
    }
    const offsets = await offsetsToReset(options, admin, group.groupId, io, plan);
    if (options.has("execute")) {
      const results = await admin.alterConsumerGroupOffsets(group.groupId, offsets, { timeoutMs });
      const failed = results.find((r) => r.errorCode !== ErrorCode.NONE);
      if (failed !== undefined) throw new KafkaError(failed.errorCode, describeError(failed.errorCode));
    }
    for (const o of offsets)
      rows.push({ group: group.groupId, topic: o.topic, partition: o.partition, offset: o.offset });
  }
  if (!options.has("export")) {
    io.out(resetTable(reset, rows));
    return;
  }
  // Kafka's exportOffsetsToCsv: without the group column when one --group was named.
  const single = options.values("group").length === 1;
  const csv = rows.map((r) => `${single ? "" : `${r.group},`}${r.topic},${r.partition},${r.offset}\n`);
  io.out(`${csv.join("")}\n`);
}

/** A reset plan: group -> new offsets. */
type ResetPlan = Map<string, NewOffset[]>;

/**
 * `--from-file`: the CSV --export writes (Kafka's parseResetPlan): `topic,partition,offset` lines
 * when one --group is named and the first line reads so, otherwise `group,topic,partition,offset`.
 */
export function parseResetPlan(text: string, groups: readonly string[]): ResetPlan {
  const lines = text.split("\n").filter((l) => l.trim() !== "");
  const fields = (line: string) => line.split(",").map((f) => f.trim());
  const isOffsets = (f: string[], at: number) =>
    /^-?\d+$/.test(f[at] ?? "") && /^-?\d+$/.test(f[at + 1] ?? "");
  const first = fields(lines[0] ?? "");
  const noGroup = groups.length === 1 && first.length === 3 && isOffsets(first, 1);
  const plan: ResetPlan = new Map();
  for (const line of lines) {
    const f = fields(line);
    const [group, topic, partition, offset] = noGroup ? [groups[0] as string, ...f] : f;
    if (
      f.length !== (noGroup ? 3 : 4) ||
      !isOffsets(f, noGroup ? 1 : 2) ||
      topic === undefined ||
      topic === ""
    ) {
      const format = noGroup ? "topic,partition,offset" : "group,topic,partition,offset";
      throw new CommandError(`cannot read the reset plan line '${line}': expected ${format}`);
    }
    const entries = plan.get(group as string) ?? [];
    entries.push({ topic, partition: Number(partition), offset: BigInt(offset as string) });
    plan.set(group as string, entries);
  }
  return plan;
}

function readResetPlan(path: string, groups: readonly string[]): ResetPlan {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new CommandError(`${path} (${code === "ENOENT" ? "No such file or directory" : String(error)})`);
  }
  return parseResetPlan(text, groups);
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
      rows.push({ topic: t.name, partition: -1, status: `Error: ${describeError(t.errorCode)}` });
    } else {
      for (const p of t.partitions) partitions.push({ topic: t.name, partition: p.partitionIndex });
    }
  }
  const unique = [...new Map(partitions.map((tp) => [key(tp), tp])).values()];
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
        : `Error: ${p.errorMessage ?? describeError(p.errorCode)}`;
    rows.push({ topic: p.topic, partition: p.partition, status });
  }
  io.out(offsetDeletionTable(rows));
}

interface NewOffset extends TopicPartition {
  offset: bigint;
}

/** The new offsets of one inactive group, by the scenario given (Kafka's prepareOffsetsToReset). */
async function offsetsToReset(
  options: ConsumerGroupsOptions,
  admin: AdminClient,
  groupId: string,
  io: Printer,
  plan: ResetPlan | undefined,
): Promise<NewOffset[]> {
  const timeoutMs = options.timeoutMs;
  let committed: Map<string, CommittedOffset> | undefined;
  const currentOffsets = async () => {
    committed ??= new Map(
      (await admin.listConsumerGroupOffsets(groupId, { timeoutMs })).map((c) => [key(c), c]),
    );
    return committed;
  };
  let partitions: TopicPartition[];
  if (options.has("all-topics")) partitions = [...(await currentOffsets()).values()];
  else if (options.has("topic"))
    partitions = await topicPartitions(options.values("topic"), admin, timeoutMs);
  else if (plan !== undefined) partitions = [];
  else throw new UsageError("One of the reset scopes should be defined: --all-topics, --topic.");
  partitions = partitions.map((p) => ({ topic: p.topic, partition: p.partition })).sort(byTopicPartition);
  await checkPartitionsValid(partitions, admin, timeoutMs);

  const logOffsets = async (tps: readonly TopicPartition[], spec: OffsetSpec, what: string) => {
    const listed = tps.length === 0 ? [] : await admin.listOffsets(tps, spec, { timeoutMs });
    return listed.map((l) => {
      if (l.errorCode !== ErrorCode.NONE) {
        throw new UsageError(`Error getting ${what} offset of topic partition: ${l.topic}-${l.partition}`);
      }
      return { topic: l.topic, partition: l.partition, offset: l.offset };
    });
  };
  /** Kafka's checkOffsetsRange: an offset outside the log is moved to its nearer end, with a warning. */
  const inRange = async (requested: readonly NewOffset[]) => {
    const starts = new Map(
      (await logOffsets(requested, "earliest", "starting")).map((o) => [key(o), o.offset]),
    );
    const ends = new Map((await logOffsets(requested, "latest", "ending")).map((o) => [key(o), o.offset]));
    return requested.map((r) => {
      const end = ends.get(key(r)) as bigint;
      const start = starts.get(key(r)) as bigint;
      const name = `${r.topic}-${r.partition}`;
      if (r.offset > end) {
        io.err(
          `WARN New offset (${r.offset}) is higher than latest offset for topic partition ${name}. Value will be set to ${end}.\n`,
        );
        return { ...r, offset: end };
      }
      if (r.offset < start) {
        io.err(
          `WARN New offset (${r.offset}) is lower than earliest offset for topic partition ${name}. Value will be set to ${start}.\n`,
        );
        return { ...r, offset: start };
      }
      return r;
    });
  };
  const atTimestamp = async (timestampMs: bigint) => {
    const listed =
      partitions.length === 0 ? [] : await admin.listOffsets(partitions, { timestampMs }, { timeoutMs });
    const found: NewOffset[] = [];
    const empty: TopicPartition[] = [];
    for (const l of listed) {
      if (l.errorCode === ErrorCode.NONE && l.offset >= 0n)
        found.push({ topic: l.topic, partition: l.partition, offset: l.offset });
      else empty.push(l);
    }
    for (const e of empty)
      io.out(
        `\nWarn: Partition ${e.partition} from topic ${e.topic} is empty. Falling back to latest known offset.\n`,
      );
    return [...found, ...(await logOffsets(empty, "latest", "ending"))].sort(byTopicPartition);
  };

  const scenario = RESET_SCENARIOS.find((s) => options.has(s));
  switch (scenario) {
    case "to-offset": {
      const offset = options.long("to-offset") as bigint;
      return inRange(partitions.map((tp) => ({ ...tp, offset })));
    }
    case "to-earliest":
      return logOffsets(partitions, "earliest", "starting");
    case "to-latest":
      return logOffsets(partitions, "latest", "ending");
    case "shift-by": {
      const shift = options.long("shift-by") as bigint;
      const current = await currentOffsets();
      return inRange(
        partitions.map((tp) => {
          const c = current.get(key(tp));
          if (c === undefined) {
            throw new UsageError(
              `Cannot shift offset for partition ${tp.topic}-${tp.partition} since there is no current committed offset`,
            );
          }
          return { ...tp, offset: c.offset + shift };
        }),
      );
    }
    case "to-current": {
      const current = await currentOffsets();
      const withCommit = partitions.filter((tp) => current.has(key(tp)));
      const without = partitions.filter((tp) => !current.has(key(tp)));
      const kept = withCommit.map((tp) => ({
        ...tp,
        offset: (current.get(key(tp)) as CommittedOffset).offset,
      }));
      return [...kept, ...(await logOffsets(without, "latest", "ending"))].sort(byTopicPartition);
    }
    case "to-datetime":
      return atTimestamp(parseDateTime(options.value("to-datetime") as string));
    case "by-duration":
      return atTimestamp(BigInt(Date.now()) - parseDuration(options.value("by-duration") as string));
    case "from-file": {
      const planned = plan?.get(groupId);
      if (planned === undefined) {
        printError(io, `No reset plan for group ${groupId} found`);
        return [];
      }
      await checkPartitionsValid(planned, admin, timeoutMs);
      return inRange([...planned].sort(byTopicPartition));
    }
    default:
      throw new UsageError(
        `Option '[reset-offsets]' requires one of the following scenarios: [${RESET_SCENARIOS.map((s) => `[${s}]`).join(", ")}]`,
      );
  }
}

/** `--topic` values: `topic` (every partition) or `topic:0,1,2` (Kafka's parseTopicPartitionsToReset). */
async function topicPartitions(
  args: readonly string[],
  admin: AdminClient,
  timeoutMs: number,
): Promise<TopicPartition[]> {
  const explicit: TopicPartition[] = [];
  const whole: string[] = [];
  for (const arg of args) {
    if (!arg.includes(":")) {
      whole.push(arg);
      continue;
    }
    const parts = arg.split(":");
    if (parts.length !== 2)
      throw new UsageError(`Invalid topic arg '${arg}', expected topic name and partitions`);
    const [topic, list] = parts as [string, string];
    for (const p of list.split(",")) {
      if (!/^[+-]?\d+$/.test(p) || Math.abs(Number(p)) >= 2 ** 31) {
        throw new UsageError(`Invalid partition '${p}' specified in topic arg '${arg}''`);
      }
      explicit.push({ topic, partition: Number(p) });
    }
  }
  if (whole.length > 0) {
    for (const t of await admin.describeTopics(whole, { timeoutMs })) {
      if (t.errorCode !== ErrorCode.NONE) throw new KafkaError(t.errorCode);
      for (const p of t.partitions) explicit.push({ topic: t.name, partition: p.partitionIndex });
    }
  }
  return explicit;
}

/** Kafka's checkAllTopicPartitionsValid: every partition exists and has a leader. */
async function checkPartitionsValid(
  partitions: readonly TopicPartition[],
  admin: AdminClient,
  timeoutMs: number,
): Promise<void> {
  if (partitions.length === 0) return;
  const topics = new Map(
    (await admin.describeTopics([...new Set(partitions.map((p) => p.topic))], { timeoutMs })).map((t) => [
      t.name,
      t,
    ]),
  );
  const found = (tp: TopicPartition) =>
    topics.get(tp.topic)?.partitions.find((p) => p.partitionIndex === tp.partition);
  const missing = partitions.filter((tp) => found(tp) === undefined);
  if (missing.length > 0) {
    throw new KafkaError(
      ErrorCode.UNKNOWN_TOPIC_OR_PARTITION,
      `The partitions "${missing.map((tp) => `${tp.topic}-${tp.partition}`).join(",")}" does not exist`,
    );
  }
  const leaderless = partitions.filter((tp) => (found(tp)?.leaderId ?? -1) < 0);
  if (leaderless.length > 0) {
    throw new KafkaError(
      ErrorCode.LEADER_NOT_AVAILABLE,
      `The partitions "${leaderless.map((tp) => `${tp.topic}-${tp.partition}`).join(",")}" have no leader`,
    );
  }
}

/**
 * `--to-datetime`: 'YYYY-MM-DDTHH:mm:SS.sss' with an optional zone (Z, +hh:mm, +hhmm); without
 * one, the local time zone, as Kafka's Utils.getDateTime reads it.
 */
export function parseDateTime(text: string): bigint {
  if (!text.includes("T")) {
    throw new UsageError("Error parsing timestamp. It does not contain a 'T' according to ISO8601 format");
  }
  const m =
    /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,3}))?(Z|[+-]\d{2}(?::?\d{2})?)?$/.exec(text);
  if (m === null)
    throw new UsageError(`Error parsing timestamp '${text}': expected 'YYYY-MM-DDTHH:mm:SS.sss'`);
  const [, y, mo, d, h, mi, s, ms = "0", zone] = m as unknown as string[];
  const millis = Number((ms as string).padEnd(3, "0"));
  const fields = [Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(s), millis] as const;
  let time: number;
  if (zone === undefined) {
    time = new Date(...fields).getTime();
  } else {
    time = Date.UTC(...fields);
    if (zone !== "Z") {
      const digits = zone.slice(1).replace(":", "");
      const offsetMin = Number(digits.slice(0, 2)) * 60 + Number(digits.slice(2, 4) || "0");
      time -= (zone.startsWith("-") ? -1 : 1) * offsetMin * 60_000;
    }
  }
  if (!Number.isFinite(time)) throw new UsageError(`Error parsing timestamp '${text}'`);
  return BigInt(time);
}

/** `--by-duration`: Java's Duration.parse format, PnDTnHnMn.nS; in milliseconds. */
export function parseDuration(text: string): bigint {
  const m =
    /^([-+]?)P(?:([-+]?\d+)D)?(?:T(?:([-+]?\d+)H)?(?:([-+]?\d+)M)?(?:([-+]?\d+)(?:[.,](\d{0,9}))?S)?)?$/i.exec(
      text,
    );
  if (m === null || text.toUpperCase().endsWith("T") || !/\d/.test(text)) {
    throw new UsageError(`Text cannot be parsed to a Duration: ${text}`);
  }
  const [, sign, days, hours, minutes, seconds, fraction] = m;
  const n = (v: string | undefined) => BigInt(v ?? "0");
  let ms = ((n(days) * 24n + n(hours)) * 60n + n(minutes)) * 60_000n + n(seconds) * 1000n;
  const frac = BigInt((fraction ?? "").padEnd(3, "0").slice(0, 3));
  ms += (seconds ?? "").startsWith("-") ? -frac : frac;
  return sign === "-" ? -ms : ms;
}
