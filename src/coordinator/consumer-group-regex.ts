import { ErrorCode, KafkaError } from "../protocol/index.js";

/**
 * Regular expression subscriptions of KIP-848 consumer groups (ConsumerGroupHeartbeat v1's
 * SubscribedTopicRegex), as Kafka 4.0's GroupMetadataManager resolves them: a pattern in RE2J's
 * syntax that must match a topic's whole name; the group resolves each pattern its members use to
 * the topics that exist, keeps the result as a ConsumerGroupRegularExpression record, and refreshes
 * the resolutions at most every REGEX_REFRESH_INTERVAL_MS when topics were created since.
 *
 * Patterns run on JavaScript's RegExp. RE2J is a subset of what RegExp accepts, apart from a few
 * spellings translated here (leading inline flags, `(?P<name>`, `\Q...\E`, `\A`, `\z`); what RE2J
 * refuses and RegExp would take (backreferences, lookaround) is refused, so a pattern is valid here
 * exactly when Kafka finds it valid, in every case a client is likely to send.
 */

/** Kafka's REGEX_BATCH_REFRESH_INTERVAL_MS: a group's patterns are resolved again at most this often. */
export const REGEX_REFRESH_INTERVAL_MS = 10_000;

/** What a pattern resolved to, and when: a ConsumerGroupRegularExpression record's value. */
export interface ResolvedRegex {
  /** The matching topic names, sorted. */
  readonly topics: readonly string[];
  /** The metadata version (image offset) the topics were read at. */
  readonly version: bigint;
  /** Wall-clock ms of the resolution. */
  readonly timestamp: bigint;
}

/** Compiles a member's pattern, or throws INVALID_REGULAR_EXPRESSION with Kafka's message. */
export function compileTopicRegex(regex: string): RegExp {
  try {
    const body = translate(regex);
    const flags = flagsOf(regex);
    // Checked alone first: inside the anchoring group, an unclosed class would swallow ")$".
    new RegExp(body, flags);
    return new RegExp(`^(?:${body})$`, flags);
  } catch (error) {
    throw new KafkaError(
      ErrorCode.INVALID_REGULAR_EXPRESSION,
      `SubscribedTopicRegex \`${regex}\` is not a valid regular expression: ${describe(error)}.`,
    );
  }
}

/** The names among `topicNames` that each pattern matches (patterns that do not compile match none). */
export function resolveTopicRegexes(
  regexes: Iterable<string>,
  topicNames: Iterable<string>,
): Map<string, string[]> {
  const compiled: [string, RegExp | null][] = [...regexes].map((regex) => {
    try {
      return [regex, compileTopicRegex(regex)];
    } catch {
      return [regex, null];
    }
  });
  const out = new Map<string, string[]>(compiled.map(([regex]) => [regex, []]));
  for (const name of topicNames) {
    for (const [regex, re] of compiled) if (re?.test(name)) out.get(regex)?.push(name);
  }
  for (const names of out.values()) names.sort();
  return out;
}

/** RE2J's leading inline flags, `(?i)`, `(?s)`, `(?is)` ... (Node 20's RegExp has no inline flags). */
const LEADING_FLAGS = /^\(\?([ims]+)\)/;

function flagsOf(regex: string): string {
  const m = LEADING_FLAGS.exec(regex);
  return m === null ? "" : [...new Set(m[1])].join("");
}

function translate(regex: string): string {
  const body = regex.replace(LEADING_FLAGS, "");
  let out = "";
  for (let i = 0; i < body.length; i++) {
    const c = body[i] as string;
    if (c === "\\") {
      const next = body[i + 1];
      if (next === undefined) throw new SyntaxError("trailing backslash at end of expression");
      if (next === "Q") {
        // \Q...\E: everything in between is literal.
        const end = body.indexOf("\\E", i + 2);
        const literal = end < 0 ? body.slice(i + 2) : body.slice(i + 2, end);
        out += literal.replace(/[.*+?^${}()|[\]\\/-]/g, "\\$&");
        i = end < 0 ? body.length : end + 1;
        continue;
      }
      if (next >= "1" && next <= "9") throw new SyntaxError("invalid escape sequence");
      if (next === "k") throw new SyntaxError("invalid escape sequence");
      if (next === "A") out += "^";
      else if (next === "z") out += "$";
      else out += c + next;
      i++;
      continue;
    }
    if (c === "(" && body[i + 1] === "?") {
      const rest = body.slice(i + 2);
      if (rest.startsWith("P<")) {
        out += "(?<";
        i += 3;
        continue;
      }
      if (/^(=|!|<=|<!)/.test(rest)) throw new SyntaxError("invalid or unsupported Perl syntax");
    }
    out += c;
  }
  return out;
}

/** RE2J's description of the usual mistakes, from RegExp's message. */
function describe(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  const known: [RegExp, string][] = [
    [/Unterminated group/i, "missing closing )"],
    [/Unmatched '\)'/i, "unexpected )"],
    [/Unterminated character class/i, "missing closing ]"],
    [/Nothing to repeat/i, "missing argument to repetition operator"],
    [/Range out of order|out of order in character class/i, "invalid character class range"],
    [/numbers out of order in \{\} quantifier/i, "invalid repeat count"],
    [/Invalid group|Invalid capture group name/i, "invalid or unsupported Perl syntax"],
    [/\\ at end of pattern/i, "trailing backslash at end of expression"],
  ];
  for (const [pattern, description] of known) if (pattern.test(message)) return description;
  return message.replace(/^Invalid regular expression: \/.*\/[a-z]*: /, "");
}
