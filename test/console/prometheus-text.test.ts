import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import { formatPrometheusText, type MetricFamily } from "../../src/console/index.js";
import { histogramSamples } from "../../src/console/prometheus-text.js";
import { parsePrometheusText, sampleValue } from "./prometheus-parse.js";

test("families are written as HELP, TYPE and samples, and empty families are left out", () => {
  const text = formatPrometheusText([
    {
      name: "brook_requests_total",
      type: "counter",
      help: "Requests.",
      samples: [
        { labels: { api: "Produce" }, value: 3 },
        { labels: { api: "Fetch" }, value: 10 },
      ],
    },
    { name: "brook_empty", type: "gauge", help: "Nothing.", samples: [] },
    { name: "brook_uptime_seconds", type: "gauge", help: "Up.", samples: [{ value: 1.5 }] },
  ]);
  assert.equal(
    text,
    [
      "# HELP brook_requests_total Requests.",
      "# TYPE brook_requests_total counter",
      'brook_requests_total{api="Produce"} 3',
      'brook_requests_total{api="Fetch"} 10',
      "# HELP brook_uptime_seconds Up.",
      "# TYPE brook_uptime_seconds gauge",
      "brook_uptime_seconds 1.5",
      "",
    ].join("\n"),
  );
});

test("label values with quotes, backslashes and newlines are escaped and read back", () => {
  const value = 'a "quoted" \\ path\nnext';
  const text = formatPrometheusText([
    { name: "m", type: "gauge", help: "h", samples: [{ labels: { group: value }, value: 1 }] },
  ]);
  assert.equal(text.split("\n").length, 4, "a newline in a value must not split the sample line");
  assert.equal(parsePrometheusText(text).get("m")?.samples[0]?.labels.group, value);
});

test("histogram samples are cumulative and end with +Inf equal to the count", () => {
  const samples = histogramSamples({ api: "Fetch" }, [0.001, 0.01], [2, 0, 5], 0.25);
  const text = formatPrometheusText([{ name: "d_seconds", type: "histogram", help: "h", samples }]);
  const parsed = parsePrometheusText(text);
  assert.equal(sampleValue(parsed, "d_seconds", { le: "0.001" }, "d_seconds_bucket"), 2);
  assert.equal(sampleValue(parsed, "d_seconds", { le: "0.01" }, "d_seconds_bucket"), 2);
  assert.equal(sampleValue(parsed, "d_seconds", { le: "+Inf" }, "d_seconds_bucket"), 7);
  assert.equal(sampleValue(parsed, "d_seconds", {}, "d_seconds_count"), 7);
  assert.equal(sampleValue(parsed, "d_seconds", {}, "d_seconds_sum"), 0.25);
});

test("non-finite values use the format's spellings", () => {
  const text = formatPrometheusText([
    {
      name: "g",
      type: "gauge",
      help: "h",
      samples: [
        { labels: { k: "a" }, value: Number.NaN },
        { labels: { k: "b" }, value: Number.POSITIVE_INFINITY },
        { labels: { k: "c" }, value: Number.NEGATIVE_INFINITY },
      ],
    },
  ]);
  assert.match(text, /g\{k="a"\} NaN\ng\{k="b"\} \+Inf\ng\{k="c"\} -Inf\n/);
});

test("a bad metric or label name is our bug and fails loudly", () => {
  assert.throws(() =>
    formatPrometheusText([{ name: "bad-name", type: "gauge", help: "", samples: [{ value: 1 }] }]),
  );
  assert.throws(() =>
    formatPrometheusText([
      { name: "ok", type: "gauge", help: "", samples: [{ labels: { "bad-label": "x" }, value: 1 }] },
    ]),
  );
});

test("property: any families round-trip through the text format", () => {
  const labelValue = fc.string({ unit: "binary", maxLength: 20 });
  const labels = fc.dictionary(fc.stringMatching(/^[a-z][a-z0-9_]{0,8}$/), labelValue, { maxKeys: 3 });
  const family = fc.record({
    name: fc.stringMatching(/^[a-z_][a-z0-9_]{0,15}$/),
    type: fc.constantFrom("counter" as const, "gauge" as const),
    help: fc.string({ maxLength: 30 }),
    samples: fc.array(fc.record({ labels, value: fc.double({ noNaN: true }) }), {
      minLength: 1,
      maxLength: 4,
    }),
  });
  fc.assert(
    fc.property(fc.uniqueArray(family, { selector: (f) => f.name, maxLength: 5 }), (families) => {
      const parsed = parsePrometheusText(formatPrometheusText(families as MetricFamily[]));
      assert.equal(parsed.size, families.length);
      for (const f of families) {
        const got = parsed.get(f.name);
        assert.equal(got?.type, f.type);
        assert.deepEqual(
          got?.samples.map((s) => ({ labels: s.labels, value: s.value })),
          f.samples.map((s) => ({ labels: { ...s.labels }, value: Object.is(s.value, -0) ? 0 : s.value })),
        );
      }
    }),
    { numRuns: 200 },
  );
});
