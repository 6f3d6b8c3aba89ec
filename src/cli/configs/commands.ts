import { readFileSync } from "node:fs";
import { parseProperties } from "../../base/index.js";
import {
  type AdminClient,
  AlterConfigOp,
  type ConfigEntry,
  ConfigResourceType,
  ConfigSource,
  configSourceName,
  type QuotaEntity,
  QuotaEntityType,
  type QuotaFilterComponent,
  QuotaMatchType,
} from "../../client/index.js";
import { IP_QUOTA_KEYS, USER_CLIENT_QUOTA_KEYS } from "../../metadata/index.js";
import {
  ErrorCode,
  isScramMechanism,
  KafkaError,
  SCRAM_ITERATIONS_MIN,
  type ScramMechanism,
} from "../../protocol/index.js";
import { CommandError, type ToolIo } from "../options/index.js";
import { ConfigArgumentError, type ConfigsOptions } from "./arguments.js";

/** Where a command prints: stdout and stderr. */
export type Printer = ToolIo;

/**
 * `--add-config k1=v1,k2=[v1,v2]` (Kafka's parseConfigsToBeAdded): pairs split at commas outside
 * square brackets, each at its `=`; brackets are dropped from values. Then --add-config-file's.
 */
export function parseConfigsToAdd(options: ConfigsOptions): Map<string, string> {
  const configs = new Map<string, string>();
  const file = options.value("add-config-file");
  if (file !== undefined) {
    let text: string;
    try {
      text = readFileSync(file, "utf8");
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      throw new CommandError(`${file} (${code === "ENOENT" ? "No such file or directory" : String(error)})`);
    }
    for (const [k, v] of parseProperties(text)) configs.set(k, v);
  }
  const text = options.value("add-config");
  if (text !== undefined) {
    for (const pair of splitOutsideBrackets(text, /,/)) {
      const parts = splitOutsideBrackets(pair, /\s*=\s*/);
      if (parts.length !== 2) {
        throw new ConfigArgumentError(
          'Invalid entity config: all configs to be added must be in the format "key=val".',
        );
      }
      configs.set((parts[0] as string).trim(), (parts[1] as string).replace(/[[\]]/g, "").trim());
    }
  }
  for (const key of configs.keys()) {
    if (!/^[a-zA-Z0-9._-]*$/.test(key))
      throw new ConfigArgumentError(`Invalid character found for config key: ${key}`);
  }
  return configs;
}

/** Java's split with a lookahead that skips separators inside [...]; trailing empty parts kept. */
function splitOutsideBrackets(text: string, separator: RegExp): string[] {
  const at = new RegExp(separator.source, "y");
  const parts: string[] = [];
  let depth = 0;
  let start = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === "[") depth++;
    else if (c === "]") depth = Math.max(0, depth - 1);
    if (depth > 0) continue;
    at.lastIndex = i;
    const match = at.exec(text);
    if (match !== null && match[0].length > 0) {
      parts.push(text.slice(start, i));
      i += match[0].length - 1;
      start = i + 1;
    }
  }
  parts.push(text.slice(start));
  return parts;
}

/** Java's Double.toString, as Kafka prints quota values (1048576.0, 1.0E7, 0.001). */
export function javaDouble(value: number): string {
  if (Number.isInteger(value) && Math.abs(value) < 1e7) return `${value}.0`;
  const abs = Math.abs(value);
  if (abs >= 1e-3 && abs < 1e7) return String(value);
  const [mantissa, exponent] = value.toExponential().split("e") as [string, string];
  return `${mantissa.includes(".") ? mantissa : `${mantissa}.0`}E${Number(exponent)}`;
}

// ---- describe -------------------------------------------------------------------------------

export async function describeConfigs(
  options: ConfigsOptions,
  admin: AdminClient,
  io: Printer,
): Promise<void> {
  const [type] = options.entityTypes;
  if (type === "topics" || type === "brokers") {
    await describeResources(options, admin, io, type, options.entityNames[0]);
    return;
  }
  await describeQuotas(options, admin, io);
  // As kafka-configs.sh: SCRAM credentials too, unless clients or a default entity are described.
  if (!options.entityTypes.includes("clients") && !options.entityNames.includes("")) {
    await describeScramCredentials(options.entityNames, admin, io);
  }
}

async function describeScramCredentials(
  users: readonly string[],
  admin: AdminClient,
  io: Printer,
): Promise<void> {
  const described = await admin.describeUserScramCredentials(users);
  for (const d of described) {
    // Kafka's DescribeUserScramCredentialsResult.users() leaves out users without credentials.
    if (d.error?.errorCode === ErrorCode.RESOURCE_NOT_FOUND) continue;
    if (d.error !== null) {
      io.out(
        `Error retrieving SCRAM credential configs for user-principal '${d.user}': ${d.error.name}: ${d.error.message}\n`,
      );
      continue;
    }
    const text = d.credentials.map((c) => `${c.mechanism}=iterations=${c.iterations}`).join(", ");
    io.out(`SCRAM credential configs for user-principal '${d.user}' are ${text}\n`);
  }
}

async function describeResources(
  options: ConfigsOptions,
  admin: AdminClient,
  io: Printer,
  type: "topics" | "brokers",
  name: string | undefined,
): Promise<void> {
  const all = options.has("all");
  let names: string[];
  if (name !== undefined) names = [name];
  else if (type === "topics") names = (await admin.listTopics({ listInternal: true })).map((t) => t.name);
  else names = [...(await admin.describeCluster()).brokers.map((b) => String(b.nodeId)), ""];
  for (const entity of names) {
    if (type === "brokers" && entity === "") io.out("Default configs for brokers in the cluster are:\n");
    else io.out(`${all ? "All" : "Dynamic"} configs for ${type.slice(0, -1)} ${entity} are:\n`);
    for (const entry of await resourceConfigs(admin, type, entity, true, all)) {
      const synonyms = entry.synonyms.map((s) => `${configSourceName(s.source)}:${s.name}=${s.value}`);
      io.out(
        `  ${entry.name}=${entry.value} sensitive=${entry.isSensitive} synonyms={${synonyms.join(", ")}}\n`,
      );
    }
  }
}

/** Kafka's getResourceConfig: the entity's configs of its dynamic source (all with --all), by name. */
async function resourceConfigs(
  admin: AdminClient,
  type: "topics" | "brokers",
  name: string,
  includeSynonyms: boolean,
  all: boolean,
): Promise<ConfigEntry[]> {
  const resourceType = type === "topics" ? ConfigResourceType.topic : ConfigResourceType.broker;
  const source =
    type === "topics"
      ? ConfigSource.dynamicTopicConfig
      : name === ""
        ? ConfigSource.dynamicDefaultBrokerConfig
        : ConfigSource.dynamicBrokerConfig;
  const [result] = await admin.describeConfigs([{ resourceType, resourceName: name }], { includeSynonyms });
  if (result === undefined || result.errorCode !== ErrorCode.NONE) {
    const code = result?.errorCode ?? ErrorCode.UNKNOWN_SERVER_ERROR;
    throw new KafkaError(code, result?.errorMessage ?? undefined);
  }
  return result.configs
    .filter((c) => all || c.source === source)
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

const QUOTA_TYPES: Readonly<Record<string, string>> = {
  users: QuotaEntityType.user,
  clients: QuotaEntityType.clientId,
  ips: QuotaEntityType.ip,
};
const QUOTA_TYPE_NAMES: Readonly<Record<string, string>> = {
  [QuotaEntityType.user]: "user-principal",
  [QuotaEntityType.clientId]: "client-id",
  [QuotaEntityType.ip]: "ip",
};

/** Kafka's describeQuotaConfigs: every entity the filter matches, one line each. */
async function describeQuotas(options: ConfigsOptions, admin: AdminClient, io: Printer): Promise<void> {
  const names = options.entityNames;
  const components: QuotaFilterComponent[] = options.entityTypes.map((type, i) => {
    const entityType = QUOTA_TYPES[type] as string;
    const name = names[i];
    if (name === undefined) return { entityType, matchType: QuotaMatchType.specified };
    if (name === "") return { entityType, matchType: QuotaMatchType.default };
    return { entityType, matchType: QuotaMatchType.exact, match: name };
  });
  const entries = await admin.describeClientQuotas(components, true);
  const lines = entries.map((entry) => {
    const parts = [QuotaEntityType.user, QuotaEntityType.clientId, QuotaEntityType.ip].flatMap((type) => {
      if (!(type in entry.entity)) return [];
      const name = entry.entity[type];
      return [
        name === null ? `the default ${QUOTA_TYPE_NAMES[type]}` : `${QUOTA_TYPE_NAMES[type]} '${name}'`,
      ];
    });
    const values = Object.entries(entry.values)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([k, v]) => `${k}=${javaDouble(v)}`);
    return `Quota configs for ${parts.join(", ")} are ${values.join(", ")}\n`;
  });
  for (const line of lines.sort()) io.out(line);
}

// ---- alter ----------------------------------------------------------------------------------

export async function alterConfigs(options: ConfigsOptions, admin: AdminClient, io: Printer): Promise<void> {
  const types = options.entityTypes;
  const names = options.entityNames;
  const [type, name] = [types[0] as string, names[0] as string];
  const toAdd = parseConfigsToAdd(options);
  const toDelete = options.configsToDelete;
  if (type === "topics" || type === "brokers") {
    const old = new Set((await resourceConfigs(admin, type, name, false, false)).map((c) => c.name));
    const invalid = toDelete.filter((k) => !old.has(k));
    if (invalid.length > 0) throw new ConfigArgumentError(`Invalid config(s): ${invalid.join(",")}`);
    const [result] = await admin.incrementalAlterConfigs([
      {
        resourceType: type === "topics" ? ConfigResourceType.topic : ConfigResourceType.broker,
        resourceName: name,
        configs: [
          ...[...toAdd].map(([k, v]) => ({ name: k, value: v, configOperation: AlterConfigOp.set })),
          ...toDelete.map((k) => ({ name: k, value: null, configOperation: AlterConfigOp.delete })),
        ],
      },
    ]);
    if (result === undefined || result.errorCode !== ErrorCode.NONE) {
      throw new KafkaError(
        result?.errorCode ?? ErrorCode.UNKNOWN_SERVER_ERROR,
        result?.errorMessage ?? undefined,
      );
    }
  } else if (type === "users" && [...toAdd.keys(), ...toDelete].some(isScramMechanism)) {
    await alterScramCredentials(options, admin, toAdd, toDelete);
  } else {
    await alterQuotas(options, admin, toAdd, toDelete);
  }
  io.out(
    name !== ""
      ? `Completed updating config for ${type.slice(0, -1)} ${name}.\n`
      : `Completed updating default config for ${type} in the cluster.\n`,
  );
}

/** Kafka's ConfigCommand: the SCRAM credential string after --add-config's brackets are dropped. */
const SCRAM_CREDENTIAL = /^(?:iterations=(-?[0-9]*),)?password=(.*)$/s;
const DEFAULT_SCRAM_ITERATIONS = 4096;

/** kafka-configs.sh's alterUserScramCredentialConfigs: one user, SCRAM configs alone. */
async function alterScramCredentials(
  options: ConfigsOptions,
  admin: AdminClient,
  toAdd: ReadonlyMap<string, string>,
  toDelete: readonly string[],
): Promise<void> {
  const keys = [...toAdd.keys(), ...toDelete];
  const unknown = keys.filter((k) => !isScramMechanism(k) && !USER_CLIENT_QUOTA_KEYS.has(k));
  if (unknown.length > 0) {
    const verb = toAdd.size > 0 ? "added" : "deleted";
    throw new ConfigArgumentError(
      `Only quota and SCRAM credential configs can be ${verb} for 'users' using --bootstrap-server. Unexpected config names: ${unknown.join(",")}`,
    );
  }
  if (options.entityNames.includes("")) {
    throw new ConfigArgumentError(
      "The use of --entity-default or --user-defaults is not allowed with User SCRAM Credentials using --bootstrap-server.",
    );
  }
  if (keys.some((k) => USER_CLIENT_QUOTA_KEYS.has(k))) {
    throw new ConfigArgumentError(
      "Cannot alter both quota and SCRAM credential configs simultaneously for 'users' using --bootstrap-server.",
    );
  }
  const user = options.entityNames[0] as string;
  const upsertions = [...toAdd].map(([name, credential]) => {
    const mechanism = name as ScramMechanism;
    const match = SCRAM_CREDENTIAL.exec(credential);
    if (match === null)
      throw new ConfigArgumentError(`Invalid credential property ${mechanism}=${credential}`);
    const given = match[1];
    const iterations = given !== undefined && given !== "-1" ? Number(given) : DEFAULT_SCRAM_ITERATIONS;
    if (iterations < SCRAM_ITERATIONS_MIN) {
      throw new ConfigArgumentError(
        `Iterations ${iterations} is less than the minimum ${SCRAM_ITERATIONS_MIN} required for ${mechanism}`,
      );
    }
    return { user, mechanism, iterations, password: match[2] as string };
  });
  const deletions = toDelete.map((name) => ({
    user,
    mechanism: name as ScramMechanism,
    delete: true as const,
  }));
  const results = await admin.alterUserScramCredentials([...deletions, ...upsertions]);
  const failed = results.find((r) => r.error !== null);
  if (failed?.error != null) throw failed.error;
}

async function alterQuotas(
  options: ConfigsOptions,
  admin: AdminClient,
  toAdd: ReadonlyMap<string, string>,
  toDelete: readonly string[],
): Promise<void> {
  const types = options.entityTypes;
  const names = options.entityNames;
  const valid = types[0] === "ips" ? IP_QUOTA_KEYS : USER_CLIENT_QUOTA_KEYS;
  const unknown = [...toAdd.keys(), ...toDelete].filter((k) => !valid.has(k));
  if (unknown.length > 0) {
    const what = types[0] === "ips" ? "connection quota configs" : "quota configs";
    const type = types[0] === "ips" ? "ips" : types.includes("clients") ? "clients" : "users";
    throw new ConfigArgumentError(
      `Only ${what} can be added for '${type}' using --bootstrap-server. Unexpected config names: ${unknown.join(",")}`,
    );
  }
  const entity: Record<string, string | null> = {};
  types.forEach((type, i) => {
    entity[QUOTA_TYPES[type] as string] = names[i] === "" ? null : (names[i] as string);
  });
  const components: QuotaFilterComponent[] = Object.entries(entity).map(([entityType, name]) =>
    name === null
      ? { entityType, matchType: QuotaMatchType.default }
      : { entityType, matchType: QuotaMatchType.exact, match: name },
  );
  const old = (await admin.describeClientQuotas(components, true))[0]?.values ?? {};
  const invalid = toDelete.filter((k) => !(k in old));
  if (invalid.length > 0) throw new ConfigArgumentError(`Invalid config(s): ${invalid.join(",")}`);
  const ops = [
    ...[...toAdd].map(([key, text]) => {
      const value = /^\s*[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?[dDfF]?\s*$/.test(text)
        ? Number.parseFloat(text)
        : Number.NaN;
      if (Number.isNaN(value))
        throw new ConfigArgumentError(`Cannot parse quota configuration value for ${key}: ${text}`);
      return { key, value };
    }),
    ...toDelete.map((key) => ({ key, value: null })),
  ];
  const [result] = await admin.alterClientQuotas([{ entity: entity as QuotaEntity, ops }]);
  if (result === undefined || result.errorCode !== ErrorCode.NONE) {
    throw new KafkaError(
      result?.errorCode ?? ErrorCode.UNKNOWN_SERVER_ERROR,
      result?.errorMessage ?? undefined,
    );
  }
}
