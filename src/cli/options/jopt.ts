import { CommandError, OptionsError } from "./errors.js";

/**
 * One option of a Kafka-style tool, as jopt-simple declares it: a flag, an option with a required
 * argument, or one whose argument may be left out (`--state` of kafka-consumer-groups.sh).
 */
export interface OptionSpec {
  readonly name: string;
  /** Absent for a flag. */
  readonly arg?: {
    /**
     * Or an enum's values, as jopt-simple's EnumConverter shows them: "[PREFERRED,UNCLEAN]", or a
     * converter's own value pattern ("ANY|MATCH|LITERAL|PREFIXED").
     */
    readonly type: "String" | "Integer" | "Long" | `[${string}]` | `${string}|${string}`;
    readonly describedAs: string;
    /** withOptionalArg: the next token is taken only when it is not an option. */
    readonly optional?: boolean;
  };
  readonly description: string;
}

/** What jopt-simple throws when an option's value cannot be converted to its type. */
export const CONVERSION_EXCEPTION = "joptsimple.OptionArgumentConversionException";

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
      throw new CommandError(
        `Found multiple arguments for option ${name}, but you asked for only one`,
        "joptsimple.MultipleArgumentsForOptionException",
      );
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
    if (value === undefined)
      throw new CommandError(`Cannot parse argument '${text}' of option ${name}`, CONVERSION_EXCEPTION);
    return value;
  }

  /** A Long option's value, converted as Java's Long.valueOf converts it. */
  long(name: string): bigint | undefined {
    const text = this.value(name);
    if (text === undefined) return undefined;
    const value = /^[+-]?\d+$/.test(text) ? BigInt(text) : undefined;
    if (value === undefined || value < -(2n ** 63n) || value >= 2n ** 63n) {
      throw new CommandError(`Cannot parse argument '${text}' of option ${name}`, CONVERSION_EXCEPTION);
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
    if (spec === undefined)
      throw new OptionsError(`${name} is not a recognized option`, "joptsimple.UnrecognizedOptionException");
    const values = given.get(name) ?? [];
    given.set(name, values);
    if (spec.arg === undefined) {
      // jopt-simple ignores what follows `=` on a flag (`--list=x` is --list).
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
    if (next === undefined)
      throw new OptionsError(
        `Option ${name} requires an argument`,
        "joptsimple.OptionMissingRequiredArgumentException",
      );
    values.push(next);
    note(name, next);
    i++;
  }
  return given;
}

/** jopt-simple's BuiltinHelpFormatter: 80 columns, 2 between the option and its description. */
const OVERALL_WIDTH = 80;
const COLUMN_SEPARATOR = 2;
/** A wrapped line's indent. */
const INDENT = "  ";

/*
 * Where Java's line BreakIterator (the JDK's LineBreakRules, which jopt-simple wraps descriptions
 * with) may break ASCII text: after a "word" (opening punctuation, a run of letters or a number,
 * then dashes or closing punctuation) and the spaces after it, words joined by $ or ' kept
 * together; the longest such run from where the last break was. Checked against the JDK on
 * random text.
 */
const PRE_WORD = `[$(\\[{"']`;
const POST_WORD = `["')\\]}!%.,:;?]`;
const WORD_CHAR = `[^\\t\\n\\f\\u0003 \\-$(\\[{"')\\]}!%.,:;?\\r]`;
const NUMBER = `[$(\\[{"'\\-]*[0-9]+(?:[.,][0-9]+)*`;
const WORD = `${PRE_WORD}*(?:${WORD_CHAR}*|${NUMBER})(?:-+|${POST_WORD}*)`;
const LINE_SEGMENT = new RegExp(
  `^(?:${WORD}(?:[$']${WORD})* *(?:\\(\\)${POST_WORD}*)?\\r?[\\t\\n\\f\\u0003]?|\\r[\\t\\n\\f\\u0003])$`,
);

/** A line cut where Java's BreakIterator may break it (each piece with its trailing spaces). */
export function lineSegments(line: string): string[] {
  const segments: string[] = [];
  for (let start = 0; start < line.length; ) {
    // The longest match, as the JDK's rule-based iterator takes it; none: one character.
    let end = start + 1;
    for (let j = start + 1; j <= line.length; j++) if (LINE_SEGMENT.test(line.slice(start, j))) end = j;
    segments.push(line.slice(start, end));
    start = end;
  }
  return segments;
}

/** Java's String.trim: characters up to U+0020 off both ends. */
const javaTrim = (text: string) => text.replace(/^[\u0000-\u0020]+|[\u0000-\u0020]+$/g, "");

/**
 * jopt-simple's Columns.piecesOf: the text's lines (empty ones vanish), each filled with segments
 * up to `width`; a piece that would overflow ends (its trailing spaces cut) and the next starts
 * indented.
 */
function pieces(text: string, width: number): string[] {
  const out: string[] = [];
  for (const line of javaTrim(text).split("\n")) {
    let piece = "";
    for (const word of lineSegments(line)) {
      if (piece.length + word.length > width) {
        out.push(piece.replace(/\s+$/, ""));
        piece = INDENT + word;
      } else {
        piece += word;
      }
    }
    if (piece.length > 0) out.push(piece);
  }
  return out;
}

/** An option as the help names it: `--name`, then `<Type: described as>` (`[...]` when optional). */
function optionDisplay(spec: OptionSpec): string {
  const arg = spec.arg;
  if (arg === undefined) return `--${spec.name}`;
  const inside = arg.describedAs === "" ? arg.type : `${arg.type}: ${arg.describedAs}`;
  return arg.optional === true ? `--${spec.name} [${inside}]` : `--${spec.name} <${inside}>`;
}

/**
 * The help, as jopt-simple's BuiltinHelpFormatter lays out a Kafka tool's: the message, then two
 * columns, options in name order, each column as wide as its widest cell up to half the width,
 * wrapped where Java's BreakIterator allows, padded with spaces to the column's width.
 */
export function helpText(message: string, specs: readonly OptionSpec[]): string {
  const sorted = [...specs].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const rows: [string, string][] = [
    ["Option", "Description"],
    ["------", "-----------"],
    ...sorted.map((s): [string, string] => [optionDisplay(s), s.description]),
  ];
  const widths = (cells: readonly [string, string][]) => {
    const option = Math.min(
      Math.floor((OVERALL_WIDTH - COLUMN_SEPARATOR) / 2),
      Math.max(...cells.map(([o]) => o.length)),
    );
    const description = Math.min(
      OVERALL_WIDTH - option - COLUMN_SEPARATOR,
      Math.max(...cells.map(([, d]) => d.length)),
    );
    return { option, description };
  };
  const first = widths(rows);
  const fitted = rows.flatMap(([option, description]) => {
    const left = pieces(option, first.option);
    const right = pieces(description, first.description);
    return Array.from({ length: Math.max(left.length, right.length) }, (_, i): [string, string] => [
      left[i] ?? "",
      right[i] ?? "",
    ]);
  });
  const final = widths(fitted);
  const lines = fitted.map(
    ([option, description]) =>
      `${option.padEnd(final.option)}${" ".repeat(COLUMN_SEPARATOR)}${description.padEnd(final.description)}`,
  );
  return `${message}\n${lines.join("\n")}\n`;
}
