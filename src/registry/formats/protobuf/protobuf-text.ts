/**
 * The canonical text of a .proto file: the file's tokens (comments dropped) laid out one
 * statement per line with two-space indentation. Two spellings of a file that differ only in
 * whitespace and comments therefore get the same text, which is what gives them the same id;
 * the text is still a valid .proto file that any parser reads as the original.
 */

/** A file's token count is bounded so a hostile request cannot make the registry spin. */
export const PROTO_TOKENS_MAX = 1_000_000;

export function tokenizeProto(text: string): string[] {
  const tokens: string[] = [];
  let i = 0;
  while (i < text.length) {
    if (tokens.length > PROTO_TOKENS_MAX) throw new Error("schema too long");
    const c = text[i]!;
    if (/\s/.test(c)) {
      i++;
    } else if (text.startsWith("//", i)) {
      const end = text.indexOf("\n", i);
      i = end < 0 ? text.length : end;
    } else if (text.startsWith("/*", i)) {
      const end = text.indexOf("*/", i + 2);
      if (end < 0) throw new Error("unterminated comment");
      i = end + 2;
    } else if (c === '"' || c === "'") {
      let j = i + 1;
      while (j < text.length && text[j] !== c) j += text[j] === "\\" ? 2 : 1;
      if (j >= text.length) throw new Error("unterminated string");
      tokens.push(text.slice(i, j + 1));
      i = j + 1;
    } else {
      const word = /^(?:[A-Za-z0-9_.]+(?:[eE][+-][0-9]+)?)/.exec(text.slice(i, i + 256));
      const token = word ? word[0] : c;
      tokens.push(token);
      i += token.length;
    }
  }
  return tokens;
}

const NO_SPACE_BEFORE = new Set([";", ",", "]", ")", ">"]);
const NO_SPACE_AFTER = new Set(["[", "(", "<", "-"]);

/** Lays tokens out: newline after `;`, `{` and `}`, indentation by brace depth. */
export function layoutProto(tokens: readonly string[]): string {
  const lines: string[] = [];
  let line = "";
  let depth = 0;
  let previous = "";
  const flush = () => {
    if (line !== "") lines.push("  ".repeat(depth) + line);
    line = "";
  };
  for (const token of tokens) {
    if (token === "}") {
      flush();
      depth = Math.max(0, depth - 1);
      line = "}";
      flush();
    } else {
      const glue =
        line === "" ||
        NO_SPACE_BEFORE.has(token) ||
        NO_SPACE_AFTER.has(previous) ||
        (token === "<" && previous === "map") ||
        (token.startsWith(".") && previous === ")");
      line += glue ? token : ` ${token}`;
      if (token === ";") flush();
      if (token === "{") {
        flush();
        depth++;
      }
    }
    previous = token;
  }
  flush();
  return lines.join("\n");
}

/** Splits the token list into top-level statements, for normalization. */
export function topLevelStatements(tokens: readonly string[]): string[][] {
  const statements: string[][] = [];
  let current: string[] = [];
  let depth = 0;
  for (const token of tokens) {
    current.push(token);
    if (token === "{") depth++;
    if (token === "}") depth--;
    if (depth === 0 && (token === ";" || token === "}")) {
      statements.push(current);
      current = [];
    }
  }
  if (current.length > 0) statements.push(current);
  return statements;
}

/** `proto2`, `proto3` or `edition N`, from the file's first statement (proto2 when none). */
export function syntaxOf(tokens: readonly string[]): string {
  const at = tokens.indexOf("syntax");
  if (at === 0 && tokens[1] === "=") return (tokens[2] ?? '"proto2"').slice(1, -1);
  const edition = tokens.indexOf("edition");
  if (edition === 0) return `edition ${tokens[2] ?? ""}`;
  return "proto2";
}

/** The index after the `{ ... }` block that starts at `start` (which holds `{`). */
function blockEnd(tokens: readonly string[], start: number): number {
  let depth = 0;
  for (let i = start; i < tokens.length; i++) {
    if (tokens[i] === "{") depth++;
    else if (tokens[i] === "}" && --depth === 0) return i + 1;
  }
  return tokens.length;
}

/** Removes the entries of a field's `[ ... ]` option list (from `[`) whose value is an aggregate. */
function fieldOptionsWithoutAggregates(tokens: readonly string[], start: number, out: string[]): number {
  const entries: string[][] = [];
  let entry: string[] = [];
  let aggregate = false;
  let i = start + 1;
  for (; i < tokens.length && tokens[i] !== "]"; i++) {
    const token = tokens[i]!;
    if (token === "{") {
      aggregate = true;
      i = blockEnd(tokens, i) - 1;
    } else if (token === ",") {
      if (!aggregate) entries.push(entry);
      entry = [];
      aggregate = false;
    } else entry.push(token);
  }
  if (!aggregate && entry.length > 0) entries.push(entry);
  if (entries.length > 0) out.push("[", ...entries.flatMap((e, n) => (n === 0 ? e : [",", ...e])), "]");
  return i + 1;
}

/**
 * The file without options whose value is an aggregate (`option (x) = { ... };`, `[(x) = {...}]`).
 * protobufjs cannot read some aggregates protoc accepts (lists of messages); they carry no type
 * information, so a file is read again without them when protobufjs refuses it.
 */
export function withoutAggregateOptions(tokens: readonly string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < tokens.length; ) {
    const token = tokens[i]!;
    const previous = out.at(-1);
    if (
      token === "option" &&
      (previous === undefined || previous === ";" || previous === "{" || previous === "}")
    ) {
      const equals = tokens.indexOf("=", i);
      if (equals > 0 && tokens[equals + 1] === "{") {
        i = blockEnd(tokens, equals + 1);
        if (tokens[i] === ";") i++;
        continue;
      }
    }
    if (token === "[" && tokens.slice(i).indexOf("{") >= 0 && /^\d+$/.test(previous ?? "")) {
      i = fieldOptionsWithoutAggregates(tokens, i, out);
      continue;
    }
    out.push(token);
    i++;
  }
  return out;
}
