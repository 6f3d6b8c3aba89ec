/*
 * How argparse4j 0.7.0 (the version Kafka 4.0 ships) reads a command line, for Kafka's tools built
 * on it (kafka-transactions.sh): options by exact name or an unambiguous prefix, `--name=value`,
 * subcommands by name or unambiguous prefix, Java's number parsing, and its errors: the parser's
 * usage, then `<prog>: error: <message>` wrapped and justified to 75 columns (argparse4j's width
 * when the output is not a terminal), then "Did you mean:" candidates for an unknown option or
 * command. Help texts are the tool's (argparse4j's layout of them, kept as text).
 */

/** argparse4j's type names, as its conversion errors print them. */
export type ArgType = "String" | "Integer" | "Long" | "Short";
export type ArgValue = string | number | bigint;

export interface ArgumentSpec {
  /** Short flag first, as declared: ["-v", "--version"]. */
  flags: readonly string[];
  /** Store the value (default), or print the parser's help, or the version, and stop. */
  action?: "store" | "help" | "version";
  type?: ArgType;
  required?: boolean;
  default?: ArgValue;
}

export interface ParserSpec {
  /** The usage lines, as argparse4j lays them out ("usage: ..."), ending with a newline. */
  usage: string;
  /** What follows the usage in -h's text. */
  help: string;
  arguments: readonly ArgumentSpec[];
  /** Subcommands, in declaration order; the parser then needs one after its options. */
  commands?: ReadonlyMap<string, ParserSpec>;
}

/** Values by option name without its dashes ("bootstrap-server"), and the command chosen. */
export interface ParsedArguments {
  command: string | null;
  values: ReadonlyMap<string, ArgValue>;
}

export type ParseOutcome =
  | { kind: "help"; text: string }
  | { kind: "version" }
  | { kind: "parsed"; arguments: ParsedArguments };

/** A command line argparse4j refuses: printed with `usage` (the parser's that refused it). */
export class ArgumentParserError extends Error {
  readonly usage: string;
  /** "Did you mean" candidates (an unknown option or command). */
  readonly candidates: readonly string[];

  constructor(message: string, usage: string, candidates: readonly string[] = []) {
    super(message);
    this.name = "ArgumentParserError";
    this.usage = usage;
    this.candidates = candidates;
  }
}

/** argparse4j's text width when it cannot ask the terminal (ArgumentParsers.DEFAULT_FORMAT_WIDTH). */
export const FORMAT_WIDTH = 75;

/** What argparse4j prints on stderr for a refused command line (ArgumentParser.handleError). */
export function formatArgumentError(prog: string, error: ArgumentParserError): string {
  let text = error.usage + wrapJustified(`${prog}: error: ${error.message}\n`, FORMAT_WIDTH);
  if (error.candidates.length > 0)
    text += `\nDid you mean:\n${error.candidates.map((c) => `\t${c}\n`).join("")}`;
  return text;
}

/** Ends the parse early: -h or -v met. */
class Stop {
  readonly outcome: ParseOutcome;

  constructor(outcome: ParseOutcome) {
    this.outcome = outcome;
  }
}

interface State {
  readonly argv: readonly string[];
  index: number;
  consumedSeparator: boolean;
  /** A missing required option: reported only if nothing else fails first (argparse4j defers it). */
  deferred: ArgumentParserError | null;
  readonly values: Map<string, ArgValue>;
  command: string | null;
}

export function parseArguments(parser: ParserSpec, argv: readonly string[]): ParseOutcome {
  const state: State = {
    argv,
    index: 0,
    consumedSeparator: false,
    deferred: null,
    values: new Map(),
    command: null,
  };
  try {
    parseWith(parser, state);
  } catch (error) {
    if (error instanceof Stop) return error.outcome;
    throw error;
  }
  if (state.deferred !== null) throw state.deferred;
  return { kind: "parsed", arguments: { command: state.command, values: state.values } };
}

const destOf = (arg: ArgumentSpec) => (arg.flags[arg.flags.length - 1] as string).replace(/^-+/, "");
const textualName = (arg: ArgumentSpec) => arg.flags.join("/");
const NEGATIVE_NUMBER = /^-\d+$/;

function isFlag(state: State, token: string): boolean {
  if (state.consumedSeparator) return false;
  if (token === "--") return true;
  return /^-+[^-]/.test(token) && !NEGATIVE_NUMBER.test(token);
}

function parseWith(parser: ParserSpec, state: State): void {
  for (const arg of parser.arguments) {
    if (arg.default !== undefined) state.values.set(destOf(arg), arg.default);
  }
  const used = new Set<ArgumentSpec>();
  const { argv } = state;
  while (state.index < argv.length) {
    const token = argv[state.index] as string;
    if (isFlag(state, token) && token !== "--") {
      const eq = token.indexOf("=");
      let flag = eq < 0 ? token : token.slice(0, eq);
      let embedded: string | null = eq < 0 ? null : token.slice(eq + 1);
      let arg = resolveFlag(parser, flag);
      if (arg === null) {
        // Concatenated short flags (-hv): each runs until one takes a value.
        embedded = null;
        let found = false;
        if (/^-[^-]/.test(token)) {
          found = true;
          for (let i = 1; i < token.length; i++) {
            const short = `-${token[i]}`;
            const a = parser.arguments.find((x) => x.flags.includes(short));
            if (a === undefined) {
              found = false;
              break;
            }
            if ((a.action ?? "store") === "store") {
              flag = short;
              arg = a;
              if (token.length > i + 1) embedded = token.slice(i + 1);
              break;
            }
            run(parser, a, null);
          }
        }
        if (!found) {
          throw new ArgumentParserError(
            `unrecognized arguments: '${token}'`,
            parser.usage,
            flagCandidates(parser, token),
          );
        }
      }
      state.index++;
      if (arg !== null) {
        processArg(parser, state, arg, embedded);
        used.add(arg);
      }
    } else if (token === "--" && !state.consumedSeparator) {
      state.consumedSeparator = true;
      state.index++;
    } else if (parser.commands !== undefined && !state.consumedSeparator) {
      checkRequired(parser, state, used);
      const [name, sub] = resolveCommand(parser, parser.commands, token);
      state.index++;
      parseWith(sub, state);
      state.command = name;
      return;
    } else {
      throw new ArgumentParserError(
        `unrecognized arguments: '${argv.slice(state.index).join(" ")}'`,
        parser.usage,
      );
    }
  }
  if (parser.commands !== undefined) throw new ArgumentParserError("too few arguments", parser.usage);
  checkRequired(parser, state, used);
}

/** An option by its exact flag, else by the one flag it begins. */
function resolveFlag(parser: ParserSpec, flag: string): ArgumentSpec | null {
  const byFlag = (f: string) => parser.arguments.find((a) => a.flags.includes(f));
  const exact = byFlag(flag);
  if (exact !== undefined) return exact;
  const candidates = parser.arguments.flatMap((a) => a.flags.filter((f) => f.startsWith(flag)));
  if (candidates.length === 0) return null;
  if (concatenatedShortFlags(parser, flag)) candidates.push(flag.slice(0, 2));
  else if (candidates.length === 1) return byFlag(candidates[0] as string) ?? null;
  throw new ArgumentParserError(
    `ambiguous option: ${flag} could match ${candidates.sort().join(", ")}`,
    parser.usage,
  );
}

/** Whether `-abc` reads as short flags: each known, up to one that takes a value. */
function concatenatedShortFlags(parser: ParserSpec, token: string): boolean {
  if (!/^-[^-]/.test(token)) return false;
  for (let i = 1; i < token.length; i++) {
    const arg = parser.arguments.find((a) => a.flags.includes(`-${token[i]}`));
    if (arg === undefined) return false;
    if ((arg.action ?? "store") === "store") return true;
  }
  return true;
}

function resolveCommand(
  parser: ParserSpec,
  commands: ReadonlyMap<string, ParserSpec>,
  token: string,
): [string, ParserSpec] {
  const exact = token === "" ? undefined : commands.get(token);
  if (exact !== undefined) return [token, exact];
  const names = [...commands.keys()];
  const matches = token === "" ? [] : names.filter((n) => n.startsWith(token));
  if (matches.length === 1) {
    const name = matches[0] as string;
    return [name, commands.get(name) as ParserSpec];
  }
  if (matches.length > 1) {
    throw new ArgumentParserError(
      `ambiguous command: ${token} could match ${matches.sort().join(", ")}`,
      parser.usage,
    );
  }
  throw new ArgumentParserError(
    `invalid choice: '${token}' (choose from ${names.map((n) => `'${n}'`).join(", ")})`,
    parser.usage,
    candidates(
      token,
      names.map((n) => [n, n]),
    ),
  );
}

function run(parser: ParserSpec, arg: ArgumentSpec, embedded: string | null): void {
  if (embedded !== null) {
    throw new ArgumentParserError(
      `argument ${textualName(arg)}: ignore implicit argument '${embedded}'`,
      parser.usage,
    );
  }
  if (arg.action === "help") throw new Stop({ kind: "help", text: parser.usage + parser.help });
  throw new Stop({ kind: "version" });
}

function processArg(parser: ParserSpec, state: State, arg: ArgumentSpec, embedded: string | null): void {
  if ((arg.action ?? "store") !== "store") {
    run(parser, arg, embedded);
    return;
  }
  let text = embedded;
  if (text === null && state.index < state.argv.length && !isFlag(state, state.argv[state.index] as string)) {
    text = state.argv[state.index] as string;
    state.index++;
  }
  if (text === null) {
    throw new ArgumentParserError(`argument ${textualName(arg)}: expected one argument`, parser.usage);
  }
  const type = arg.type ?? "String";
  const value = convert(text, type);
  if (typeof value === "object") {
    throw new ArgumentParserError(
      `argument ${textualName(arg)}: could not convert '${text}' to ${type} (${value.reason})`,
      parser.usage,
    );
  }
  state.values.set(destOf(arg), value);
}

/** argparse4j keeps the last required option found missing, and only the first parser's. */
function checkRequired(parser: ParserSpec, state: State, used: ReadonlySet<ArgumentSpec>): void {
  if (state.deferred !== null) return;
  for (const arg of parser.arguments) {
    if (arg.required === true && !used.has(arg)) {
      state.deferred = new ArgumentParserError(`argument ${textualName(arg)} is required`, parser.usage);
    }
  }
}

const BOUNDS: Record<Exclude<ArgType, "String">, bigint> = {
  Short: 2n ** 15n,
  Integer: 2n ** 31n,
  Long: 2n ** 63n,
};

/** Java's Short/Integer/Long.valueOf, with its NumberFormatException messages. */
function convert(text: string, type: ArgType): ArgValue | { reason: string } {
  if (type === "String") return text;
  const notNumber = { reason: `For input string: "${text}"` };
  if (!/^[+-]?\d+$/.test(text)) return notNumber;
  const n = BigInt(text);
  if (n < -BOUNDS[type] || n >= BOUNDS[type]) {
    // Short.parseShort parses an int first, then checks its range.
    if (type === "Short" && n >= -BOUNDS.Integer && n < BOUNDS.Integer)
      return { reason: `Value out of range. Value:"${text}" Radix:10` };
    return notNumber;
  }
  return type === "Long" ? n : Number(n);
}

function flagCandidates(parser: ParserSpec, token: string): string[] {
  const body = token.replace(/^-+/, "");
  if (body.length < 2) return [];
  return candidates(
    body,
    parser.arguments.flatMap((a) =>
      a.flags.map((f): [string, string] => [f, f.replace(/^-+/, "")]).filter(([, b]) => b.length > 1),
    ),
  );
}

/** argparse4j's suggestions (git's): the nearest by a weighted Damerau-Levenshtein distance, if near enough. */
function candidates(body: string, subjects: readonly [subject: string, body: string][]): string[] {
  const scored = subjects
    .map(([subject, b]) => ({ subject, score: b.startsWith(body) ? 0 : levenshtein(body, b, 0, 2, 1, 4) }))
    .sort((x, y) => x.score - y.score || (x.subject < y.subject ? -1 : x.subject > y.subject ? 1 : 0));
  const best = scored[0]?.score;
  if (best === undefined || best >= 7) return [];
  return scored.filter((c) => c.score === best).map((c) => c.subject);
}

function levenshtein(a: string, b: string, swap: number, sub: number, add: number, del: number): number {
  let prev2 = new Array<number>(b.length + 1).fill(0);
  let prev = Array.from({ length: b.length + 1 }, (_, i) => i);
  let row = new Array<number>(b.length + 1).fill(0);
  for (let i = 1; i <= a.length; i++) {
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      let d = (prev[j - 1] as number) + (a[i - 1] === b[j - 1] ? 0 : sub);
      if (i >= 2 && j >= 2 && a[i - 1] !== b[j - 1] && a[i - 2] === b[j - 1] && a[i - 1] === b[j - 2])
        d = Math.min(d, (prev2[j - 2] as number) + swap);
      row[j] = Math.min(d, (prev[j] as number) + del, (row[j - 1] as number) + add);
    }
    [prev2, prev, row] = [prev, row, prev2];
  }
  return prev[b.length] as number;
}

const LETTER = /\p{L}/u;
const DIGIT = /\d/;

/**
 * Where a line may break (after each returned piece), close to Java's legacy line BreakIterator on
 * the texts these errors hold: after spaces, after hyphens and periods inside words, after colons
 * and commas followed by more of the same word.
 */
export function lineSegments(text: string): string[] {
  const pieces: string[] = [];
  let start = 0;
  for (let i = 0; i < text.length - 1; i++) {
    const c = text[i] as string;
    const next = text[i + 1] as string;
    const before = i > 0 ? (text[i - 1] as string) : "";
    let breakAfter = false;
    if (c === " " || c === "\t" || c === "\n") {
      breakAfter = next !== " " && next !== "\t";
    } else if (c === "-" && next !== "-") {
      let runStart = i;
      while (runStart > 0 && text[runStart - 1] === "-") runStart--;
      const beforeRun = runStart > 0 ? (text[runStart - 1] as string) : "";
      breakAfter =
        LETTER.test(next) ||
        next === "(" ||
        (DIGIT.test(next) && (LETTER.test(beforeRun) || DIGIT.test(beforeRun)));
    } else if (c === ".") {
      breakAfter = LETTER.test(next) || (DIGIT.test(next) && !DIGIT.test(before) && before !== "");
    } else if (c === ":") {
      breakAfter = LETTER.test(next) || DIGIT.test(next) || next === '"';
      // `:"` stays with the word before; the break comes after the quote.
      if (next === '"') {
        if (i + 2 < text.length && text[i + 2] !== " ") {
          pieces.push(text.slice(start, i + 2));
          start = i + 2;
        }
        i++;
        continue;
      }
    } else if (c === "," || c === ";" || c === "!" || c === "?" || c === "%" || c === "|") {
      breakAfter = LETTER.test(next) || (c !== "," && DIGIT.test(next));
    }
    if (breakAfter) {
      pieces.push(text.slice(start, i + 1));
      start = i + 1;
    }
  }
  if (start < text.length) pieces.push(text.slice(start));
  return pieces;
}

/** argparse4j's TextHelper.wrap: lines filled to `width`, each full line's spaces widened to fill it. */
export function wrapJustified(text: string, width: number): string {
  let result = "";
  let line = "";
  let lineWidth = 0;
  for (const piece of lineSegments(text)) {
    lineWidth += piece.length;
    if (lineWidth > width) {
      result += `${justify(line, width, lineWidth - piece.length)}\n`;
      line = "";
      lineWidth = piece.length;
    }
    line += piece;
    if (piece.endsWith("\n")) {
      result += line;
      line = "";
      lineWidth = 0;
    }
  }
  return result + line;
}

/** TextHelper.adjustSpace: trimmed, then the missing width spread over the runs of spaces, the middle ones first. */
function justify(line: string, width: number, lineWidth: number): string {
  const trimmed = line.replace(/^ +/, "").replace(/ +$/, "");
  const current = lineWidth - (line.length - trimmed.length);
  const runs = trimmed.match(/ +/g)?.length ?? 0;
  if (runs === 0) return trimmed;
  const need = width - current;
  const each = Math.floor(need / runs);
  const rem = need % runs;
  const remStart = Math.floor((runs - rem + 1) / 2);
  let run = 0;
  return trimmed.replace(/ +/g, (spaces) => {
    const extra = each + (run >= remStart && run < remStart + rem ? 1 : 0);
    run++;
    return spaces + " ".repeat(extra);
  });
}
