import {
  type ParsedCommandLine as GenericCommandLine,
  type Notices,
  ParsedOptions,
  readTokens,
  UsageError,
} from "../options/index.js";
import { ACTIONS, type Action, HELP_MESSAGE, RESET_SCENARIOS, SPECS_BY_NAME } from "./option-specs.js";

/** Kafka's default for --timeout. */
export const TIMEOUT_MS_DEFAULT = 5000;

/**
 * The command line of `brook consumer-groups`, read as kafka-consumer-groups.sh reads it and
 * checked with Kafka 4.0's ConsumerGroupCommandOptions rules, in its order and with its messages.
 */
export class ConsumerGroupsOptions extends ParsedOptions {
  get action(): Action {
    return ACTIONS.find((a) => this.has(a)) as Action;
  }

  get timeoutMs(): number {
    const value = this.long("timeout");
    return value === undefined ? TIMEOUT_MS_DEFAULT : Number(value);
  }
}

export type ParsedCommandLine = GenericCommandLine<ConsumerGroupsOptions>;

/** jopt-simple prints an option as the list of its names. */
const shown = (name: string) => `[${name}]`;
const GROUP_SCOPE = ["group", "all-groups"];

/** availableIf: an option meaningful only beside one of some actions. */
const AVAILABLE_IF: Readonly<Record<string, readonly Action[]>> = {
  members: ["describe"],
  verbose: ["describe"],
  offsets: ["describe"],
  state: ["describe", "list"],
  type: ["list"],
};

function checkInvalid(options: ConsumerGroupsOptions, used: string, invalid: readonly string[]): void {
  if (!options.has(used)) return;
  const clash = invalid.find((o) => options.has(o));
  if (clash !== undefined) {
    throw new UsageError(`Option "${shown(used)}" can't be used with option "${shown(clash)}"`);
  }
}

/** Reads and checks the command line; the --execute warning goes out on stderr as Kafka prints it. */
export function parseConsumerGroupsCommandLine(argv: readonly string[], notices: Notices): ParsedCommandLine {
  const options = new ConsumerGroupsOptions(readTokens(argv, SPECS_BY_NAME));
  if (argv.length === 0) throw new UsageError(HELP_MESSAGE);
  if (options.has("help")) return { kind: "help" };
  if (options.has("version")) return { kind: "version" };
  for (const [name, actions] of Object.entries(AVAILABLE_IF)) {
    if (options.has(name) && !actions.some((a) => options.has(a))) {
      throw new UsageError(
        `Option(s) ${shown(name)} are unavailable given other options on the command line`,
      );
    }
  }
  if (!options.has("bootstrap-server")) {
    throw new UsageError(`Missing required argument "${shown("bootstrap-server")}"`);
  }
  const scope = GROUP_SCOPE.map(shown).join(", ");
  if (options.has("describe")) {
    if (!options.has("group") && !options.has("all-groups")) {
      throw new UsageError(`Option ${shown("describe")} takes one of these options: ${scope}`);
    }
    const exclusive = ["members", "offsets", "state"];
    if (exclusive.filter((o) => options.has(o)).length > 1) {
      throw new UsageError(
        `Option ${shown("describe")} takes at most one of these options: ${exclusive.map(shown).join(", ")}`,
      );
    }
    if (options.values("state").length > 0) {
      throw new UsageError(`Option ${shown("describe")} does not take a value for ${shown("state")}`);
    }
  }
  if (options.has("delete")) {
    if (!options.has("group") && !options.has("all-groups")) {
      throw new UsageError(`Option ${shown("delete")} takes one of these options: ${scope}`);
    }
    if (options.has("topic")) {
      throw new UsageError(
        "The consumer does not support topic-specific offset deletion from a consumer group.",
      );
    }
  }
  if (options.has("delete-offsets") && (!options.has("group") || !options.has("topic"))) {
    throw new UsageError(
      `Option ${shown("delete-offsets")} takes the following options: ${["group", "topic"].map(shown).join(", ")}`,
    );
  }
  if (options.has("reset-offsets")) {
    if (options.has("dry-run") && options.has("execute")) {
      throw new UsageError(
        `Option ${shown("reset-offsets")} only accepts one of ${shown("execute")} and ${shown("dry-run")}`,
      );
    }
    if (!options.has("dry-run") && !options.has("execute")) {
      notices.err(
        "WARN: No action will be performed as the --execute option is missing.In a future major release, the default behavior of this command will be to prompt the user before executing the reset rather than doing a dry run. You should add the --dry-run option explicitly if you are scripting this command and want to keep the current default behavior without prompting.\n",
      );
    }
    if (!options.has("group") && !options.has("all-groups")) {
      throw new UsageError(`Option ${shown("reset-offsets")} takes one of these options: ${scope}`);
    }
    for (const scenario of RESET_SCENARIOS) {
      checkInvalid(
        options,
        scenario,
        RESET_SCENARIOS.filter((s) => s !== scenario),
      );
    }
  }
  checkInvalid(options, "group", ["all-groups"]);
  checkInvalid(options, "group", ["list"]);
  checkInvalid(options, "topic", ["list", "describe"]);
  if (ACTIONS.filter((a) => options.has(a)).length !== 1) {
    throw new UsageError(
      `Command must include exactly one action: ${ACTIONS.map((a) => `--${a}`).join(", ")}`,
    );
  }
  return { kind: "run", options };
}
