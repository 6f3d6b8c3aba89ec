import { CommandError, OptionsError } from "./errors.js";

/**
 * One option of a Kafka-style tool, as jopt-simple declares it: a flag, an option with a required
 * argument, or one whose argument may be left out (`--state` of kafka-consumer-groups.sh).
 */
export interface OptionSpec {
  readonly name: string;
  /** Absent for a flag. */
  readonly arg?: {
    readonly type: "String" | "Integer" | "Long";
    readonly describedAs: string;
    /** withOptionalArg: the next token is taken only when it is not an option. */
    readonly optional?: boolean;
  };
  readonly description: string;
}

/**
 * A command line read as a Kafka tool reads it (jopt-simple's rules: `--name value`,
 * `--name=value`, a single dash accepted, no abbreviations, arguments that are no option ignored).
 * Values are converted when a command asks for them, as jopt-simple converts them.
 */
export class ParsedOptions {
  private readonly given: ReadonlyMap<string, readonly string[]>;

  constructor(given: ReadonlyMap<string, readonly string[]>) {
    this.given = given;
  }

  has(name: string): boolean {
    return this.given.has(name);
  }

  /** The option's value (jopt-simple's valueOf): an option meant once and given twice fails. */
  value(name: string): string | undefined {
    const values = this.given.get(name);
    if (values === undefined || values.length === 0) return undefined;
    if (values.length > 1) {
      throw new CommandError(`Found multiple arguments for option ${name}, but you asked for only one`);
    }
    return values[0];
  }

  values(name: string): readonly string[] {
    return this.given.get(name) ?? [];
  }

  /** An Integer option's value, converted as Java's Integer.valueOf converts it. */
  integer(name: string): number | undefined {
    const text = this.value(name);
    if (text === undefined) return undefined;
    const value = javaInt(text);
    if (value === undefined) throw new CommandError(`Cannot parse argument '${text}' of option ${name}`);
    return value;
  }

  /** A Long option's value, converted as Java's Long.valueOf converts it. */
  long(name: string): bigint | undefined {
    const text = this.value(name);
    if (text === undefined) return undefined;
    const value = /^[+-]?\d+$/.test(text) ? BigInt(text) : undefined;
    if (value === undefined || value < -(2n ** 63n) || value >= 2n ** 63n) {
      throw new CommandError(`Cannot parse argument '${text}' of option ${name}`);
    }
    return value;
  }
}

/** Where a tool's notices go before the command runs: Kafka prints some on stdout, some on stderr. */
export interface Notices {
  out(text: string): void;
  err(text: string): void;
}

/** A decimal int as Java reads one (an optional sign, digits, within 32 bits), or undefined. */
export function javaInt(text: string): number | undefined {
  const value = Number(text);
  return /^[+-]?\d+$/.test(text) && value >= -(2 ** 31) && value < 2 ** 31 ? value : undefined;
}

/**
 * Tokens into options, as jopt-simple reads them; an unknown option or a missing argument fails.
 * `order`, when given, receives every option as it comes (jopt-simple's specs(), for a tool whose
 * meaning depends on the order of different options).
 */
export function readTokens(
  argv: readonly string[],
  specs: ReadonlyMap<string, OptionSpec>,
  order?: { name: string; value: string | null }[],
): Map<string, string[]> {
  const given = new Map<string, string[]>();
  const note = (name: string, value: string | null) => order?.push({ name, value });
  for (let i = 0; i < argv.length; i++) {
    const token = argv[i] as string;
    if (token === "--") break;
    if (!token.startsWith("-") || token === "-") continue;
    const body = token.slice(token.startsWith("--") ? 2 : 1);
    const eq = body.indexOf("=");
    const name = eq < 0 ? body : body.slice(0, eq);
    const spec = specs.get(name);
    if (spec === undefined) throw new OptionsError(`${name} is not a recognized option`);
    const values = given.get(name) ?? [];
    given.set(name, values);
    if (spec.arg === undefined) {
      if (eq >= 0) throw new OptionsError(`Option ${name} does not take an argument`);
      note(name, null);
      continue;
    }
    if (eq >= 0) {
      values.push(body.slice(eq + 1));
      note(name, body.slice(eq + 1));
      continue;
    }
    const next = argv[i + 1];
    if (spec.arg.optional === true) {
      const taken = next !== undefined && !(next.startsWith("-") && next !== "-") ? next : null;
      if (taken !== null) {
        values.push(taken);
        i++;
      }
      note(name, taken);
      continue;
    }
    if (next === undefined) throw new OptionsError(`Option ${name} requires an argument`);
    values.push(next);
    note(name, next);
    i++;
  }
  return given;
}

const OPTION_COLUMN = 41;
const DESCRIPTION_COLUMN = 39;

/** Words into lines of at most `width` characters (a longer word gets a line of its own). */
function wrap(text: string, width: number): string[] {
  const lines: string[] = [];
  for (const paragraph of text.split("\n")) {
    let line = "";
    for (const word of paragraph.split(" ")) {
      if (line !== "" && line.length + 1 + word.length > width) {
        lines.push(line);
        line = word;
      } else {
        line = line === "" ? word : `${line} ${word}`;
      }
    }
    lines.push(line);
  }
  return lines;
}

/** The help, laid out as jopt-simple lays out a Kafka tool's: two columns, options in name order. */
export function helpText(message: string, specs: readonly OptionSpec[]): string {
  const rows: string[] = [message, `${"Option".padEnd(OPTION_COLUMN)}Description`];
  rows.push(`${"------".padEnd(OPTION_COLUMN)}-----------`);
  for (const spec of specs) {
    const arg = spec.arg;
    const head =
      arg === undefined
        ? `--${spec.name}`
        : arg.optional === true
          ? `--${spec.name} [${arg.type}${arg.describedAs === "" ? "" : `: ${arg.describedAs}`}]`
          : `--${spec.name} <${arg.type}${arg.describedAs === "" ? "" : `: ${arg.describedAs}`}>`;
    const left = wrap(head, OPTION_COLUMN - 1).map((l, i) => (i === 0 ? l : `  ${l}`));
    const right = wrap(spec.description, DESCRIPTION_COLUMN).map((l, i) => (i === 0 ? l : `  ${l}`));
    for (let i = 0; i < Math.max(left.length, right.length); i++) {
      rows.push(`${(left[i] ?? "").padEnd(OPTION_COLUMN)}${right[i] ?? ""}`.trimEnd());
    }
  }
  return `${rows.join("\n")}\n`;
}
