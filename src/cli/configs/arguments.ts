import {
  CommandError,
  type ParsedCommandLine as GenericCommandLine,
  ParsedOptions,
  readTokens,
  UsageError,
} from "../options/index.js";
import {
  ENTITY_DEFAULT_FLAGS,
  ENTITY_FLAGS,
  ENTITY_TYPES,
  type EntityType,
  HELP_MESSAGE,
  SPECS_BY_NAME,
} from "./option-specs.js";

/**
 * A wrong argument found once the command line was read (Kafka's IllegalArgumentException and
 * InvalidConfigurationException in ConfigCommand): the message alone on stderr, exit code 1.
 */
export class ConfigArgumentError extends CommandError {}

/**
 * The command line of `brook configs`, read as kafka-configs.sh reads it. `entityTypes` and
 * `entityNames` line up as Kafka's ConfigCommandOptions line them up: --entity-type values, then
 * the entity flags, then the default flags; names from --entity-name and --entity-default ("") in
 * command-line order (as readTokens saw the options), then the flags' values, then "" for each
 * default flag.
 */
export class ConfigsOptions extends ParsedOptions {
  readonly entityTypes: string[];
  readonly entityNames: string[];

  constructor(
    given: ReadonlyMap<string, readonly string[]>,
    order: readonly { name: string; value: string | null }[],
  ) {
    super(given);
    const flagged = [...ENTITY_FLAGS, ...ENTITY_DEFAULT_FLAGS].filter(([flag]) => this.has(flag));
    this.entityTypes = [...this.values("entity-type"), ...flagged.map(([, type]) => type)];
    this.entityNames = [
      ...order.flatMap((o) =>
        o.name === "entity-name" ? [o.value ?? ""] : o.name === "entity-default" ? [""] : [],
      ),
      ...ENTITY_FLAGS.filter(([flag]) => this.has(flag)).map(([flag]) => this.value(flag) as string),
      ...ENTITY_DEFAULT_FLAGS.filter(([flag]) => this.has(flag)).map(() => ""),
    ];
  }

  /** --delete-config values, split at commas (withValuesSeparatedBy(',')). */
  get configsToDelete(): string[] {
    return this.values("delete-config")
      .flatMap((v) => v.split(","))
      .map((k) => k.trim());
  }
}

export type ParsedCommandLine = GenericCommandLine<ConfigsOptions>;

const shown = (name: string) => `[${name}]`;

/** Reads and checks the command line with Kafka's ConfigCommandOptions.checkArgs rules and messages. */
export function parseConfigsCommandLine(argv: readonly string[]): ParsedCommandLine {
  const order: { name: string; value: string | null }[] = [];
  const options = new ConfigsOptions(readTokens(argv, SPECS_BY_NAME, order), order);
  if (argv.length === 0) throw new UsageError(HELP_MESSAGE);
  if (options.has("help")) return { kind: "help" };
  if (options.has("version")) return { kind: "version" };
  if (["alter", "describe"].filter((a) => options.has(a)).length !== 1) {
    throw new UsageError("Command must include exactly one action: --describe, --alter");
  }
  for (const clash of ["alter", "add-config", "delete-config"]) {
    if (options.has("describe") && options.has(clash)) {
      throw new UsageError(`Option "${shown("describe")}" can't be used with option "${shown(clash)}"`);
    }
  }
  const types = options.entityTypes;
  const duplicates = types.filter((t, i) => types.indexOf(t) !== i);
  if (duplicates.length > 0) {
    throw new ConfigArgumentError(
      `Duplicate entity type(s) specified: ${[...new Set(duplicates)].join(",")}`,
    );
  }
  for (const type of types) {
    if (!(ENTITY_TYPES as readonly string[]).includes(type)) {
      throw new ConfigArgumentError(
        `Invalid entity type ${type}, the entity type must be one of ${ENTITY_TYPES.join(", ")} with a --bootstrap-server argument`,
      );
    }
  }
  if (types.length === 0) throw new ConfigArgumentError("At least one entity type must be specified");
  if (types.length > 1 && !(types.length === 2 && types.includes("users") && types.includes("clients"))) {
    throw new ConfigArgumentError("Only 'users' and 'clients' entity types may be specified together");
  }
  const generic = ["entity-name", "entity-type", "entity-default"].some((o) => options.has(o));
  if (generic && [...ENTITY_FLAGS, ...ENTITY_DEFAULT_FLAGS].some(([flag]) => options.has(flag))) {
    throw new ConfigArgumentError(
      "--entity-{type,name,default} should not be used in conjunction with specific entity flags",
    );
  }
  const names = options.entityNames;
  const hasName = names.some((n) => n !== "");
  const hasDefault = names.some((n) => n === "");
  if (!options.has("bootstrap-server")) {
    throw new ConfigArgumentError(
      "One of the required --bootstrap-server or --bootstrap-controller arguments must be specified",
    );
  }
  if (hasName && types.includes("brokers")) {
    for (const id of ["entity-name", "broker"]
      .filter((o) => options.has(o))
      .map((o) => options.value(o) as string)) {
      if (!/^[+-]?\d+$/.test(id) || Math.abs(Number(id)) >= 2 ** 31) {
        throw new ConfigArgumentError(
          `The entity name for brokers must be a valid integer broker id, but it is: ${id}`,
        );
      }
    }
  }
  const quotaOrBroker = types.some((t) => t === "users" || t === "clients" || t === "brokers" || t === "ips");
  if (options.has("describe") && !quotaOrBroker && options.has("entity-default")) {
    throw new ConfigArgumentError(
      `--entity-default must not be specified with --describe of ${types.join(",")}`,
    );
  }
  if (options.has("alter")) {
    if (quotaOrBroker) {
      if (!hasName && !hasDefault) {
        throw new ConfigArgumentError(
          "An entity-name or default entity must be specified with --alter of users, clients, brokers or ips",
        );
      }
    } else if (!hasName) {
      throw new ConfigArgumentError(`An entity name must be specified with --alter of ${types.join(",")}`);
    }
    if (options.has("add-config") && options.has("add-config-file")) {
      throw new ConfigArgumentError("Only one of --add-config or --add-config-file must be specified");
    }
    if (!options.has("add-config") && !options.has("add-config-file") && !options.has("delete-config")) {
      throw new ConfigArgumentError(
        "At least one of --add-config, --add-config-file, or --delete-config must be specified with --alter",
      );
    }
    if (types.length !== names.length) {
      throw new ConfigArgumentError("An entity name must be specified for every entity type");
    }
  }
  return { kind: "run", options };
}

export type { EntityType };
