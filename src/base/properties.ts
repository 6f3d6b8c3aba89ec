/**
 * Java `.properties` files, as Kafka's `server.properties` is written: `key=value`, `key: value`
 * or `key value`; `#` and `!` comments; a trailing backslash continues a line; backslash escapes
 * (`\t`, `\n`, `\uXXXX`, `\=`...). The last occurrence of a key wins, as in java.util.Properties.
 */
export function parseProperties(text: string): Map<string, string> {
  const result = new Map<string, string>();
  const lines = text.split(/\r\n|\r|\n/);
  for (let i = 0; i < lines.length; i++) {
    let line = (lines[i] ?? "").replace(/^[ \t\f]+/, "");
    if (line === "" || line.startsWith("#") || line.startsWith("!")) continue;
    while (endsWithContinuation(line) && i + 1 < lines.length) {
      line = line.slice(0, -1) + (lines[++i] ?? "").replace(/^[ \t\f]+/, "");
    }
    if (endsWithContinuation(line)) line = line.slice(0, -1);
    const split = findSeparator(line);
    const key = unescapeJava(line.slice(0, split.keyEnd));
    const value = unescapeJava(line.slice(split.valueStart));
    result.set(key, value);
  }
  return result;
}

function endsWithContinuation(line: string): boolean {
  let backslashes = 0;
  for (let i = line.length - 1; i >= 0 && line[i] === "\\"; i--) backslashes++;
  return backslashes % 2 === 1;
}

function findSeparator(line: string): { keyEnd: number; valueStart: number } {
  let i = 0;
  while (i < line.length) {
    const c = line[i];
    if (c === "\\") {
      i += 2;
      continue;
    }
    if (c === "=" || c === ":" || c === " " || c === "\t" || c === "\f") break;
    i++;
  }
  const keyEnd = Math.min(i, line.length);
  let j = keyEnd;
  while (j < line.length && (line[j] === " " || line[j] === "\t" || line[j] === "\f")) j++;
  if (j < line.length && (line[j] === "=" || line[j] === ":")) j++;
  while (j < line.length && (line[j] === " " || line[j] === "\t" || line[j] === "\f")) j++;
  return { keyEnd, valueStart: j };
}

const ESCAPES: Record<string, string> = { t: "\t", n: "\n", r: "\r", f: "\f" };

function unescapeJava(text: string): string {
  if (!text.includes("\\")) return text;
  let out = "";
  for (let i = 0; i < text.length; i++) {
    const c = text[i] as string;
    if (c !== "\\" || i + 1 >= text.length) {
      out += c;
      continue;
    }
    const next = text[++i] as string;
    if (next === "u" && /^[0-9a-fA-F]{4}$/.test(text.slice(i + 1, i + 5))) {
      out += String.fromCharCode(Number.parseInt(text.slice(i + 1, i + 5), 16));
      i += 4;
    } else {
      out += ESCAPES[next] ?? next;
    }
  }
  return out;
}
