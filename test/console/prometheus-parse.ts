/**
 * A strict little parser of the Prometheus text format 0.0.4, for tests: it throws on anything a
 * scraper would reject (a sample before its TYPE, a malformed label, a bad value, a family split
 * in two, non-cumulative histogram buckets).
 */
export interface ParsedSample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

export interface ParsedFamily {
  name: string;
  type: string;
  help: string;
  samples: ParsedSample[];
}

const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*/;
const LABEL = /^[a-zA-Z_][a-zA-Z0-9_]*/;
const TYPES = new Set(["counter", "gauge", "histogram", "summary", "untyped"]);

function parseValue(text: string): number {
  if (text === "+Inf") return Number.POSITIVE_INFINITY;
  if (text === "-Inf") return Number.NEGATIVE_INFINITY;
  if (text === "NaN") return Number.NaN;
  if (!/^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(text)) throw new Error(`bad sample value '${text}'`);
  return Number(text);
}

function parseLabels(text: string, at: number): { labels: Record<string, string>; end: number } {
  const labels: Record<string, string> = {};
  let i = at + 1;
  while (text[i] !== "}") {
    const name = LABEL.exec(text.slice(i))?.[0];
    if (name === undefined) throw new Error(`bad label name at ${i} in '${text}'`);
    i += name.length;
    if (text[i] !== "=" || text[i + 1] !== '"') throw new Error(`expected =" after ${name} in '${text}'`);
    i += 2;
    let value = "";
    for (;;) {
      const c = text[i];
      if (c === undefined) throw new Error(`unterminated label value in '${text}'`);
      if (c === '"') break;
      if (c === "\\") {
        const e = text[i + 1];
        if (e === "n") value += "\n";
        else if (e === "\\" || e === '"') value += e;
        else throw new Error(`bad escape \\${e} in '${text}'`);
        i += 2;
      } else {
        value += c;
        i++;
      }
    }
    i++;
    if (name in labels) throw new Error(`label ${name} repeated in '${text}'`);
    labels[name] = value;
    if (text[i] === ",") i++;
    else if (text[i] !== "}") throw new Error(`expected , or } at ${i} in '${text}'`);
  }
  return { labels, end: i + 1 };
}

function parseSample(line: string): ParsedSample {
  const name = NAME.exec(line)?.[0];
  if (name === undefined) throw new Error(`bad sample line '${line}'`);
  let labels: Record<string, string> = {};
  let rest = line.slice(name.length);
  if (rest.startsWith("{")) {
    const parsed = parseLabels(line, name.length);
    labels = parsed.labels;
    rest = line.slice(parsed.end);
  }
  const parts = rest.trim().split(/ +/);
  if (!rest.startsWith(" ") || parts.length < 1 || parts.length > 2)
    throw new Error(`bad sample line '${line}'`);
  return { name, labels, value: parseValue(parts[0] as string) };
}

function familyOf(sample: string, family: ParsedFamily | undefined): boolean {
  if (family === undefined) return false;
  if (sample === family.name) return family.type !== "histogram";
  if (family.type !== "histogram" && family.type !== "summary") return false;
  return [`${family.name}_bucket`, `${family.name}_sum`, `${family.name}_count`].includes(sample);
}

export function parsePrometheusText(text: string): Map<string, ParsedFamily> {
  if (text.length > 0 && !text.endsWith("\n")) throw new Error("exposition must end with a newline");
  const families = new Map<string, ParsedFamily>();
  const helps = new Map<string, string>();
  let current: ParsedFamily | undefined;
  for (const line of text.split("\n").slice(0, -1)) {
    if (line === "") continue;
    const meta = /^# (HELP|TYPE) ([a-zA-Z_:][a-zA-Z0-9_:]*) ?(.*)$/.exec(line);
    if (meta !== null) {
      const [, kind, name, rest] = meta as unknown as [string, string, string, string];
      if (kind === "HELP") {
        helps.set(name, rest);
        continue;
      }
      if (!TYPES.has(rest)) throw new Error(`bad type '${rest}'`);
      if (families.has(name)) throw new Error(`TYPE of ${name} given twice`);
      current = { name, type: rest, help: helps.get(name) ?? "", samples: [] };
      families.set(name, current);
      continue;
    }
    if (line.startsWith("#")) continue;
    const sample = parseSample(line);
    if (!familyOf(sample.name, current)) throw new Error(`sample ${sample.name} outside its family`);
    current?.samples.push(sample);
  }
  for (const f of families.values()) if (f.type === "histogram") checkHistogram(f);
  return families;
}

/** Buckets cumulative and ending at +Inf, which equals _count, per label set. */
function checkHistogram(f: ParsedFamily): void {
  const key = (labels: Record<string, string>) =>
    JSON.stringify(Object.entries(labels).filter(([k]) => k !== "le"));
  const series = new Map<string, ParsedSample[]>();
  for (const s of f.samples) {
    const k = key(s.labels);
    series.set(k, [...(series.get(k) ?? []), s]);
  }
  for (const samples of series.values()) {
    const buckets = samples.filter((s) => s.name.endsWith("_bucket"));
    const count = samples.find((s) => s.name.endsWith("_count"));
    for (let i = 1; i < buckets.length; i++) {
      if ((buckets[i]?.value ?? 0) < (buckets[i - 1]?.value ?? 0))
        throw new Error(`${f.name}: buckets not cumulative`);
    }
    const last = buckets[buckets.length - 1];
    if (last?.labels.le !== "+Inf") throw new Error(`${f.name}: last bucket is not +Inf`);
    if (count === undefined || count.value !== last.value)
      throw new Error(`${f.name}: +Inf bucket != _count`);
  }
}

/** The value of the one sample of `name` whose labels include `labels`. */
export function sampleValue(
  families: Map<string, ParsedFamily>,
  family: string,
  labels: Record<string, string> = {},
  sampleName = family,
): number | undefined {
  const f = families.get(family);
  const match = f?.samples.filter(
    (s) => s.name === sampleName && Object.entries(labels).every(([k, v]) => s.labels[k] === v),
  );
  if (match === undefined || match.length === 0) return undefined;
  if (match.length > 1)
    throw new Error(`${match.length} samples of ${sampleName} match ${JSON.stringify(labels)}`);
  return match[0]?.value;
}
