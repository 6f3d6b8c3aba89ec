import {
  type AdminClient,
  ClientError,
  ClientErrorCode,
  type ConfigEntry,
  ConfigResourceType,
  type ItemResult,
  type NewTopic,
  type TopicMetadata,
} from "../../client/index.js";
import { ErrorCode, KafkaError, ZERO_UUID } from "../../protocol/index.js";
import { CommandError } from "../options/index.js";
import { parseReplicaAssignment, parseTopicConfigs, type TopicsOptions } from "./arguments.js";
import {
  isAtMinIsr,
  isUnavailable,
  isUnderMinIsr,
  isUnderReplicated,
  overriddenConfigs,
  partitionLine,
  topicLine,
} from "./describe-output.js";
import { ensureTopicExists, selectTopics } from "./topic-selection.js";

/** The five actions of kafka-topics.sh (Kafka 4.0's TopicService), over Brook's admin client. */

export type Print = (text: string) => void;

const REPLICATION_FACTOR_MAX = 32_767;

function failOn(result: ItemResult): void {
  if (result.errorCode !== ErrorCode.NONE) {
    throw new CommandError(result.errorMessage ?? new KafkaError(result.errorCode).message);
  }
}

export async function createTopic(options: TopicsOptions, admin: AdminClient, print: Print): Promise<void> {
  const name = options.value("topic") as string;
  const partitions = options.integer("partitions");
  const replicationFactor = options.integer("replication-factor");
  const assignments = parseReplicaAssignment(options.value("replica-assignment"));
  const configs = parseTopicConfigs(options.values("config"));
  if (name.includes("_") || name.includes(".")) {
    print(
      "WARNING: Due to limitations in metric names, topics with a period ('.') or underscore ('_') could collide. To avoid issues it is best to use either, but not both.\n",
    );
  }
  if (
    replicationFactor !== undefined &&
    (replicationFactor > REPLICATION_FACTOR_MAX || replicationFactor < 1)
  ) {
    throw new CommandError(
      `The replication factor must be between 1 and ${REPLICATION_FACTOR_MAX} inclusive`,
    );
  }
  if (partitions !== undefined && partitions < 1) {
    throw new CommandError("The partitions must be greater than 0");
  }
  const topic: NewTopic =
    assignments === undefined
      ? { name, numPartitions: partitions ?? -1, replicationFactor: replicationFactor ?? -1, configs }
      : { name, assignments, configs };
  const [result] = await admin.createTopics([topic]);
  if (result === undefined) throw new CommandError(`no answer for topic ${name}`);
  if (result.errorCode === ErrorCode.TOPIC_ALREADY_EXISTS && options.has("if-not-exists")) return;
  failOn(result);
  print(`Created topic ${name}.\n`);
}

export async function listTopics(options: TopicsOptions, admin: AdminClient, print: Print): Promise<void> {
  const names = await selectTopics(admin, options.value("topic"), options.has("exclude-internal"));
  print(`${names.join("\n")}\n`);
}

export async function alterTopic(options: TopicsOptions, admin: AdminClient): Promise<void> {
  const count = options.integer("partitions") as number;
  const assignments = parseReplicaAssignment(options.value("replica-assignment"));
  const requested = options.value("topic");
  const names = await selectTopics(admin, requested, false);
  ensureTopicExists(names, requested, !options.has("if-exists"));
  if (names.length === 0) return;
  // The assignment lists every partition; the new ones follow the topic's current count.
  const current = assignments === undefined ? [] : await describeAll(admin, names);
  const results = await admin.createPartitions(
    names.map((name, i) =>
      assignments === undefined
        ? { name, count }
        : { name, count, assignments: assignments.slice(current[i]?.partitions.length ?? 0) },
    ),
  );
  for (const result of results) failOn(result);
}

export async function deleteTopic(options: TopicsOptions, admin: AdminClient): Promise<void> {
  const requested = options.value("topic");
  const names = await selectTopics(admin, requested, false);
  ensureTopicExists(names, requested, !options.has("if-exists"));
  if (names.length === 0) return;
  for (const result of await admin.deleteTopics(names)) failOn(result);
}

async function describeAll(admin: AdminClient, names: readonly string[]): Promise<TopicMetadata[]> {
  const topics = await admin.describeTopics(names);
  for (const t of topics) failOn({ errorCode: t.errorCode, errorMessage: null });
  return topics;
}

/**
 * Topics as `--describe` shows them: through DescribeTopicPartitions, as Kafka's TopicCommand
 * since 3.7, so that partitions show their ELR; through Metadata from a broker without it (the
 * ELR columns then say N/A, as Kafka's do).
 */
async function describeWithElr(
  admin: AdminClient,
  names: readonly string[],
  partitionLimit: number | undefined,
): Promise<TopicMetadata[]> {
  let topics: TopicMetadata[];
  try {
    topics = await admin.describeTopicPartitions(
      names,
      partitionLimit === undefined ? {} : { partitionLimit },
    );
  } catch (error) {
    if (!(error instanceof ClientError && error.code === ClientErrorCode.unsupportedVersion)) throw error;
    return describeAll(admin, names);
  }
  for (const t of topics) failOn({ errorCode: t.errorCode, errorMessage: null });
  return topics;
}

/** `--topic-id`: Kafka reads it as a base64 UUID and fails as Uuid.fromString does. */
function parseTopicId(text: string): string {
  if (text.length > 24) {
    throw new CommandError(
      `Input string with prefix \`${text.slice(0, 24)}\` is too long to be decoded as a base64 UUID`,
    );
  }
  const bytes = Buffer.from(text, "base64url");
  if (!/^[A-Za-z0-9_-]*={0,2}$/.test(text) || bytes.length !== 16) {
    throw new CommandError(
      `Input string \`${text}\` decoded as ${bytes.length} bytes, which is not equal to the expected 16 bytes of a base64-encoded UUID`,
    );
  }
  return bytes.toString("base64url");
}

/** The topics `--describe` covers: by --topic-id (unless zero), else by --topic (a pattern) or all. */
async function topicsToDescribe(options: TopicsOptions, admin: AdminClient): Promise<string[]> {
  const excludeInternal = options.has("exclude-internal");
  const idText = options.value("topic-id");
  const topicId = idText === undefined ? undefined : parseTopicId(idText);
  if (topicId !== undefined && topicId !== ZERO_UUID) {
    const listed = await admin.listTopics({ listInternal: !excludeInternal });
    const found = listed.filter((t) => t.topicId === topicId).map((t) => t.name);
    if (found.length === 0 && !options.has("if-exists")) {
      throw new CommandError(`TopicId '${idText}' does not exist as expected`);
    }
    return found;
  }
  const requested = options.value("topic");
  const names = await selectTopics(admin, requested, excludeInternal);
  ensureTopicExists(names, requested, !options.has("if-exists"));
  return names;
}

export async function describeTopics(
  options: TopicsOptions,
  admin: AdminClient,
  print: Print,
): Promise<void> {
  const names = await topicsToDescribe(options, admin);
  if (names.length === 0) return;
  const topics = await describeWithElr(admin, names, options.integer("partition-size-limit-per-response"));
  const described = await admin.describeConfigs(
    names.map((resourceName) => ({ resourceType: ConfigResourceType.topic, resourceName })),
  );
  for (const result of described) failOn(result);
  const liveBrokers = new Set((await admin.describeCluster()).brokers.map((b) => b.nodeId));

  const reports = {
    underReplicated: options.has("under-replicated-partitions"),
    unavailable: options.has("unavailable-partitions"),
    underMinIsr: options.has("under-min-isr-partitions"),
    atMinIsr: options.has("at-min-isr-partitions"),
  };
  const anyReport = Object.values(reports).some(Boolean);
  const onlyOverridden = options.has("topics-with-overrides");
  const output: string[] = [];
  topics.forEach((topic, i) => {
    const configs: ConfigEntry[] = described[i]?.configs ?? [];
    if (!anyReport && (!onlyOverridden || overriddenConfigs(configs).length > 0)) {
      output.push(topicLine(topic, configs));
    }
    if (onlyOverridden) return;
    const minIsr = Number(configs.find((c) => c.name === "min.insync.replicas")?.value ?? "1");
    for (const p of topic.partitions) {
      const shown =
        !anyReport ||
        (reports.underReplicated && isUnderReplicated(p)) ||
        (reports.unavailable && isUnavailable(p, liveBrokers)) ||
        (reports.underMinIsr && isUnderMinIsr(p, minIsr)) ||
        (reports.atMinIsr && isAtMinIsr(p, minIsr));
      if (shown) output.push(partitionLine(topic.name, p));
    }
  });
  print(output.join(""));
}
