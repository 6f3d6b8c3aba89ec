import { groupBy } from "../../base/index.js";
import type { BrokerDescription, TopicPartition } from "../../client/index.js";

/**
 * What kafka-consumer-groups.sh prints, laid out as Kafka 4.0's ConsumerGroupCommand lays it out
 * (Java's `%-Ns` columns, a blank line before each table): pure functions from rows to text, so
 * that the layout is tested without a broker.
 */

export const MISSING = "-";

/** Java's `%-Ns`: left-justified in at least `width` characters. */
const col = (value: string, width: number) => value.padEnd(width);

const widest = (values: readonly string[], least: number) =>
  values.reduce((max, v) => Math.max(max, v.length), least);

/** One row of `--describe` (--offsets): a partition of the group, or a member with none. */
export interface OffsetRow {
  group: string;
  topic: string | null;
  partition: number | null;
  leaderEpoch: number | null;
  offset: bigint | null;
  logEndOffset: bigint | null;
  consumerId: string;
  host: string;
  clientId: string;
}

export function lag(row: OffsetRow): bigint | null {
  return row.offset === null || row.logEndOffset === null ? null : row.logEndOffset - row.offset;
}

const text = (value: number | bigint | string | null) => (value === null ? MISSING : String(value));

/** The --describe (--offsets) table of one group. */
export function offsetsTable(rows: readonly OffsetRow[], verbose: boolean): string {
  const g = widest(
    rows.map((r) => r.group),
    15,
  );
  const t = widest(
    rows.map((r) => r.topic ?? MISSING),
    15,
  );
  const c = widest(
    rows.map((r) => r.consumerId),
    15,
  );
  const h = widest(
    rows.map((r) => r.host),
    15,
  );
  const line = (cells: string[]) => {
    const [group, topic, partition, ...rest] = cells as [string, string, string, ...string[]];
    const numbers = verbose ? rest.slice(0, 4) : rest.slice(0, 3);
    const [consumer, host, client] = rest.slice(numbers.length) as [string, string, string];
    return `\n${col(group, g)} ${col(topic, t)} ${col(partition, 10)} ${numbers.map((n) => col(n, 15)).join(" ")} ${col(consumer, c)} ${col(host, h)} ${client}`;
  };
  const header = verbose
    ? ["GROUP", "TOPIC", "PARTITION", "LEADER-EPOCH", "CURRENT-OFFSET", "LOG-END-OFFSET", "LAG"]
    : ["GROUP", "TOPIC", "PARTITION", "CURRENT-OFFSET", "LOG-END-OFFSET", "LAG"];
  let out = line([...header, "CONSUMER-ID", "HOST", "CLIENT-ID"]);
  for (const r of rows) {
    const numbers = [text(r.offset), text(r.logEndOffset), text(lag(r))];
    if (verbose)
      numbers.unshift(r.leaderEpoch === null || r.leaderEpoch < 0 ? MISSING : String(r.leaderEpoch));
    out += line([r.group, text(r.topic), text(r.partition), ...numbers, r.consumerId, r.host, r.clientId]);
  }
  return `${out}\n`;
}

export interface MemberRow {
  group: string;
  consumerId: string;
  groupInstanceId: string;
  host: string;
  clientId: string;
  assignment: readonly TopicPartition[];
  /** KIP-848 groups: the member's epoch, its target's epoch and partitions (else "-"). */
  memberEpoch?: number;
  targetEpoch?: number;
  targetAssignment?: readonly TopicPartition[];
}

/** "topic:0,1;other:2", topics and partitions sorted, as Kafka's getAssignmentString. */
export function assignmentString(assignment: readonly TopicPartition[]): string {
  if (assignment.length === 0) return MISSING;
  const byTopic = groupBy(
    assignment,
    (tp) => tp.topic,
    (tp) => tp.partition,
  );
  return [...byTopic]
    .map(([topic, partitions]) => `${topic}:${[...partitions].sort((a, b) => a - b).join(",")}`)
    .sort()
    .join(";");
}

/** The --describe --members table of one group; --verbose adds the epochs and assignments. */
export function membersTable(rows: readonly MemberRow[], verbose: boolean): string {
  const g = widest(
    rows.map((r) => r.group),
    15,
  );
  const c = widest(
    rows.map((r) => r.consumerId),
    15,
  );
  const i = widest(
    rows.map((r) => r.groupInstanceId),
    17,
  );
  const h = widest(
    rows.map((r) => r.host),
    15,
  );
  const cl = widest(
    rows.map((r) => r.clientId),
    15,
  );
  const current = widest(
    rows.map((r) => assignmentString(r.assignment)),
    20,
  );
  const withInstance = rows.some((r) => r.groupInstanceId !== "");
  const head = (
    group: string,
    consumer: string,
    instance: string,
    host: string,
    client: string,
    n: string,
  ) =>
    withInstance
      ? `${col(group, g)} ${col(consumer, c)} ${col(instance, i)} ${col(host, h)} ${col(client, cl)} ${col(n, 15)} `
      : `${col(group, g)} ${col(consumer, c)} ${col(host, h)} ${col(client, cl)} ${col(n, 15)} `;
  // Classic groups have no member or target epochs, nor a target assignment: "-".
  const tail = (currentEpoch: string, assignment: string, targetEpoch: string, target: string) =>
    verbose
      ? `${col(currentEpoch, 15)} ${col(assignment, current)} ${col(targetEpoch, 15)} ${col(target, 20)}`
      : "";
  let out = `\n${head("GROUP", "CONSUMER-ID", "GROUP-INSTANCE-ID", "HOST", "CLIENT-ID", "#PARTITIONS")}`;
  out += `${tail("CURRENT-EPOCH", "CURRENT-ASSIGNMENT", "TARGET-EPOCH", "TARGET-ASSIGNMENT")}\n`;
  for (const r of rows) {
    out += head(r.group, r.consumerId, r.groupInstanceId, r.host, r.clientId, String(r.assignment.length));
    out += `${tail(
      r.memberEpoch === undefined ? MISSING : String(r.memberEpoch),
      assignmentString(r.assignment),
      r.targetEpoch === undefined ? MISSING : String(r.targetEpoch),
      r.targetAssignment === undefined ? MISSING : assignmentString(r.targetAssignment),
    )}\n`;
  }
  return out;
}

export interface StateRow {
  group: string;
  coordinator: BrokerDescription;
  assignmentStrategy: string;
  state: string;
  members: number;
  /** KIP-848 groups only. */
  groupEpoch?: number;
  targetAssignmentEpoch?: number;
}

/** The --describe --state table of one group. */
export function stateTable(row: StateRow, verbose: boolean): string {
  const coordinator = `${row.coordinator.host}:${row.coordinator.port}  (${row.coordinator.nodeId})`;
  const c = Math.max(25, coordinator.length);
  const g = Math.max(15, row.group.length);
  const strategy = row.assignmentStrategy === "" ? MISSING : row.assignmentStrategy;
  const line = (cells: string[]) =>
    verbose
      ? `\n${col(cells[0] ?? "", g)} ${col(cells[1] ?? "", c)} ${col(cells[2] ?? "", 20)} ${col(cells[3] ?? "", 20)} ${col(cells[4] ?? "", 15)} ${col(cells[5] ?? "", 25)} ${cells[6]}`
      : `\n${col(cells[0] ?? "", g)} ${col(cells[1] ?? "", c)} ${col(cells[2] ?? "", 20)} ${col(cells[3] ?? "", 20)} ${cells[4]}`;
  const header = verbose
    ? [
        "GROUP",
        "COORDINATOR (ID)",
        "ASSIGNMENT-STRATEGY",
        "STATE",
        "GROUP-EPOCH",
        "TARGET-ASSIGNMENT-EPOCH",
        "#MEMBERS",
      ]
    : ["GROUP", "COORDINATOR (ID)", "ASSIGNMENT-STRATEGY", "STATE", "#MEMBERS"];
  const values = verbose
    ? [
        row.group,
        coordinator,
        strategy,
        row.state,
        row.groupEpoch === undefined ? MISSING : String(row.groupEpoch),
        row.targetAssignmentEpoch === undefined ? MISSING : String(row.targetAssignmentEpoch),
        String(row.members),
      ]
    : [row.group, coordinator, strategy, row.state, String(row.members)];
  return `${line(header)}${line(values)}\n`;
}

export interface ListRow {
  groupId: string;
  type: string;
  state: string;
}

/** `--list` with --state or --type: a GROUP column ten wider than the longest id, then each asked column. */
export function listTable(rows: readonly ListRow[], withType: boolean, withState: boolean): string {
  const g =
    rows.reduce((max, r) => Math.max(max, Math.max(15, r.groupId.length)), rows.length === 0 ? 15 : 0) + 10;
  const line = (id: string, type: string, state: string) =>
    `${col(id, g)}${withType ? ` ${col(type, 20)}` : ""}${withState ? ` ${col(state, 20)}` : ""}\n`;
  return line("GROUP", "TYPE", "STATE") + rows.map((r) => line(r.groupId, r.type, r.state)).join("");
}

export interface ResetRow {
  group: string;
  topic: string;
  partition: number;
  offset: bigint;
}

/**
 * The offsets a reset sets (or would set, in a dry run), as Kafka's printOffsetsToReset; the
 * header only when some group was reset.
 */
export function resetTable(groups: readonly string[], rows: readonly ResetRow[]): string {
  const g = widest(groups, 15);
  const t = widest(
    rows.map((r) => r.topic),
    15,
  );
  const line = (group: string, topic: string, partition: string, offset: string) =>
    `\n${col(group, g)} ${col(topic, t)} ${col(partition, 10)} ${offset}`;
  let out = groups.length > 0 ? line("GROUP", "TOPIC", "PARTITION", "NEW-OFFSET") : "";
  for (const r of rows) out += line(r.group, r.topic, String(r.partition), String(r.offset));
  return `${out}\n`;
}

/** The outcome of --delete-offsets per partition (partition -1: a topic that could not be described). */
export function offsetDeletionTable(
  rows: readonly { topic: string; partition: number; status: string }[],
): string {
  const t = widest(
    rows.map((r) => r.topic),
    15,
  );
  const line = (topic: string, partition: string, status: string) =>
    `\n${col(topic, t)} ${col(partition, 10)} ${col(status, 15)}`;
  // Kafka sorts by topic and partition written one after the other, as text.
  const sorted = [...rows].sort((a, b) => {
    const x = `${a.topic}${a.partition}`;
    const y = `${b.topic}${b.partition}`;
    return x < y ? -1 : x > y ? 1 : 0;
  });
  let out = line("TOPIC", "PARTITION", "STATUS");
  for (const r of sorted) out += line(r.topic, r.partition >= 0 ? String(r.partition) : MISSING, r.status);
  return `${out}\n`;
}
