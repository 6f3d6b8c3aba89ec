import { readFileSync } from "node:fs";
import {
  type AdminClient,
  type CommittedOffset,
  type OffsetSpec,
  partitionKey,
  type TopicPartition,
} from "../../client/index.js";
import { ErrorCode, KafkaError } from "../../protocol/index.js";
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
import { type ResetRow, resetTable } from "./group-output.js";
import { RESET_SCENARIOS } from "./option-specs.js";

/* --reset-offsets: which offsets, by which scenario, for which inactive groups (Kafka's GroupOffsetsResetter). */

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
    const state = stateOf(group);
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
      if (failed !== undefined) throw new KafkaError(failed.errorCode, exceptionText(failed.errorCode));
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
      (await admin.listConsumerGroupOffsets(groupId, { timeoutMs })).map((c) => [partitionKey(c), c]),
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
      (await logOffsets(requested, "earliest", "starting")).map((o) => [partitionKey(o), o.offset]),
    );
    const ends = new Map(
      (await logOffsets(requested, "latest", "ending")).map((o) => [partitionKey(o), o.offset]),
    );
    return requested.map((r) => {
      const end = ends.get(partitionKey(r)) as bigint;
      const start = starts.get(partitionKey(r)) as bigint;
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
          const c = current.get(partitionKey(tp));
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
      const withCommit = partitions.filter((tp) => current.has(partitionKey(tp)));
      const without = partitions.filter((tp) => !current.has(partitionKey(tp)));
      const kept = withCommit.map((tp) => ({
        ...tp,
        offset: (current.get(partitionKey(tp)) as CommittedOffset).offset,
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
