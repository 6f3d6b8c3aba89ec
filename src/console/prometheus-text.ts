import { assert } from "../base/index.js";

export type MetricType = "counter" | "gauge" | "histogram";

export interface MetricSample {
  /** Appended to the family name: `_bucket`, `_sum`, `_count` for histograms; none otherwise. */
  suffix?: "_bucket" | "_sum" | "_count";
  labels?: Readonly<Record<string, string>>;
  value: number;
}

/** One metric family: a name, its help and type, and its samples (one per label set). */
export interface MetricFamily {
  name: string;
  help: string;
  type: MetricType;
  samples: MetricSample[];
}

const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

/** A label value in the text format: backslash, double quote and newline escaped. */
export function escapeLabelValue(value: string): string {
  return value.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n");
}

function escapeHelp(help: string): string {
  return help.replace(/\\/g, "\\\\").replace(/\n/g, "\\n");
}

/** A sample value: integers exactly, others in JavaScript's shortest round-trip form. */
export function formatSampleValue(value: number): string {
  if (Number.isNaN(value)) return "NaN";
  if (value === Number.POSITIVE_INFINITY) return "+Inf";
  if (value === Number.NEGATIVE_INFINITY) return "-Inf";
  return String(value);
}

function formatLabels(labels: Readonly<Record<string, string>> | undefined): string {
  if (labels === undefined) return "";
  const parts: string[] = [];
  for (const [name, value] of Object.entries(labels)) {
    assert(LABEL_NAME.test(name) && !name.startsWith("__"), () => `bad label name ${name}`);
    parts.push(`${name}="${escapeLabelValue(value)}"`);
  }
  return parts.length === 0 ? "" : `{${parts.join(",")}}`;
}

/**
 * Prometheus text exposition format 0.0.4: `# HELP`, `# TYPE`, then one line per sample, each
 * family's lines together. Families without samples are left out (a scraper has nothing to learn
 * from a bare TYPE line).
 */
export function formatPrometheusText(families: readonly MetricFamily[]): string {
  const lines: string[] = [];
  const seen = new Set<string>();
  for (const f of families) {
    assert(METRIC_NAME.test(f.name), () => `bad metric name ${f.name}`);
    assert(!seen.has(f.name), () => `metric family ${f.name} listed twice`);
    seen.add(f.name);
    if (f.samples.length === 0) continue;
    lines.push(`# HELP ${f.name} ${escapeHelp(f.help)}`, `# TYPE ${f.name} ${f.type}`);
    for (const s of f.samples) {
      assert(f.type === "histogram" || s.suffix === undefined, () => `${f.name}: suffix on a ${f.type}`);
      lines.push(`${f.name}${s.suffix ?? ""}${formatLabels(s.labels)} ${formatSampleValue(s.value)}`);
    }
  }
  return lines.length === 0 ? "" : `${lines.join("\n")}\n`;
}

/** Histogram samples from per-bucket counts (the last bucket is +Inf): cumulative `le` buckets, sum and count. */
export function histogramSamples(
  labels: Readonly<Record<string, string>>,
  upperBounds: readonly number[],
  bucketCounts: readonly number[],
  sum: number,
): MetricSample[] {
  assert(bucketCounts.length === upperBounds.length + 1, "histogram needs one count per bound plus +Inf");
  const samples: MetricSample[] = [];
  let cumulative = 0;
  for (let i = 0; i < bucketCounts.length; i++) {
    cumulative += bucketCounts[i] ?? 0;
    const le = i < upperBounds.length ? formatSampleValue(upperBounds[i] as number) : "+Inf";
    samples.push({ suffix: "_bucket", labels: { ...labels, le }, value: cumulative });
  }
  samples.push({ suffix: "_sum", labels, value: sum }, { suffix: "_count", labels, value: cumulative });
  return samples;
}
