import assert from "node:assert/strict";
import { test } from "node:test";
import { ManualClock, QuotaRate, quotaThrottleTimeMs, SampledStat } from "../../src/base/index.js";

/**
 * Kafka's quota arithmetic (SampledStat, Rate, QuotaUtils.throttleTime) on a simulated clock: the
 * numbers are worked out by hand from Kafka's definitions, then a client that sends as fast as its
 * throttling lets it is simulated to show the rate it gets over time.
 */

const KAFKA_DEFAULT = { samples: 11, windowMs: 1000 };

test("a new rate divides by samples - 1 whole windows, so a first burst is not an enormous rate", () => {
  const clock = new ManualClock();
  const rate = new QuotaRate(KAFKA_DEFAULT);
  const t0 = clock.monotonicMs();
  rate.stat.record(20_000, t0);
  assert.equal(rate.stat.windowSizeMs(t0), 10_000);
  assert.equal(rate.measure(t0), 2000);
  clock.advance(2500);
  // 2.5 s elapsed: 2 whole windows, so 8 more are assumed: 10.5 s.
  assert.equal(rate.stat.windowSizeMs(clock.monotonicMs()), 10_500);
  assert.equal(rate.measure(clock.monotonicMs()), 20_000 / 10.5);
});

test("the throttle time is (observed - quota) / quota * window, as Kafka's QuotaUtils", () => {
  assert.equal(quotaThrottleTimeMs(2000, 1000, 10_000), 10_000);
  assert.equal(quotaThrottleTimeMs(1500, 1000, 10_500), 5250);
  assert.equal(quotaThrottleTimeMs(1000.1, 1000, 10_000), 1);
  const rate = new QuotaRate(KAFKA_DEFAULT);
  // 20 000 bytes at once against 1000 B/s: 2000 B/s over the 10 s window, 10 s to come back to 1000.
  assert.equal(rate.recordAndThrottleMs(20_000, 1000, 0), 10_000);
  // At the bound exactly, no throttle (Kafka's upper bound is inclusive).
  const exact = new QuotaRate(KAFKA_DEFAULT);
  assert.equal(exact.recordAndThrottleMs(10_000, 1000, 0), 0);
  // The request quota's cap (one window).
  const capped = new QuotaRate(KAFKA_DEFAULT);
  assert.equal(capped.recordAndThrottleMs(20_000, 1000, 0, 1000), 1000);
});

test("samples move on every window, the oldest is reused, and samples idle for the whole span are emptied", () => {
  const stat = new SampledStat({ samples: 3, windowMs: 1000 });
  stat.record(1, 0);
  stat.record(2, 999); // same window
  stat.record(4, 1000); // a new one
  stat.record(8, 2500);
  assert.equal(stat.sum(2500), 15);
  stat.record(16, 3600); // the fourth slot (samples + 1)
  assert.equal(stat.sum(3600), 31);
  // The fifth window reuses the first slot (1 + 2 leave); the second, idle for 3 s, is emptied.
  stat.record(32, 4600);
  assert.equal(stat.sum(4600), 8 + 16 + 32);
  // No event for samples * window (3 s) after a sample's last: it counts no more.
  assert.equal(stat.sum(3600 + 3000), 32);
  assert.equal(stat.sum(4600 + 3000), 0);
});

test("Avg is the mean of the recorded values in the window, NaN before any", () => {
  const stat = new SampledStat({ samples: 2, windowMs: 30_000 });
  assert.ok(Number.isNaN(stat.average(0)));
  stat.record(100, 0);
  stat.record(300, 10_000);
  assert.equal(stat.average(10_000), 200);
  assert.ok(Number.isNaN(stat.average(10_000 + 60_000)));
});

/**
 * A client that sends `size` bytes per request, each answered at once and then muted for its
 * throttle time (KIP-219), with `rttMs` between requests. Returns the bytes sent by each time.
 */
function simulate(options: { quota: number; size: number; samples: number; durationMs: number }) {
  const clock = new ManualClock();
  const rate = new QuotaRate({ samples: options.samples, windowMs: 1000 });
  const sent: [number, number][] = [];
  let total = 0;
  let throttled = 0;
  const start = clock.monotonicMs();
  while (clock.monotonicMs() - start < options.durationMs) {
    const throttleMs = rate.recordAndThrottleMs(options.size, options.quota, clock.monotonicMs());
    if (throttleMs > 0) throttled++;
    total += options.size;
    sent.push([clock.monotonicMs() - start, total]);
    clock.advance(5 + throttleMs);
  }
  const at = (ms: number) => {
    let bytes = 0;
    for (const [t, b] of sent) if (t <= ms) bytes = b;
    return bytes;
  };
  const rateBetween = (fromMs: number, toMs: number) => (at(toMs) - at(fromMs)) / ((toMs - fromMs) / 1000);
  return { rateBetween, throttled };
}

test("a client throttled as fast as it may send gets its quota: within 5 % (and a request) over 20 s with 2 windows", () => {
  const quota = 1024 * 1024;
  for (const size of [64 * 1024, 256 * 1024, 1024 * 1024]) {
    const run = simulate({ quota, size, samples: 2, durationMs: 60_000 });
    assert.ok(run.throttled > 0);
    for (const [from, to] of [
      [0, 20_000],
      [5_000, 25_000],
      [30_000, 50_000],
    ] as const) {
      const ratio = run.rateBetween(from, to) / quota;
      // Bytes arrive a request at a time: one more or fewer in the span moves the rate by this much.
      const granularity = size / (quota * ((to - from) / 1000));
      assert.ok(
        Math.abs(ratio - 1) <= 0.05 + granularity + 1e-9,
        `${size} B requests, ${from}-${to} ms: ${ratio.toFixed(3)} of the quota`,
      );
    }
  }
});

test("with Kafka's 11 windows a client bursts (samples - 1) windows' worth, then averages about 10 % over", () => {
  const quota = 1024 * 1024;
  const run = simulate({ quota, size: 64 * 1024, samples: 11, durationMs: 60_000 });
  // The first 10 s of allowance go at once.
  assert.ok(run.rateBetween(0, 1000) / quota > 9, `first second: ${run.rateBetween(0, 1000) / quota}`);
  const longRun = run.rateBetween(0, 60_000) / quota;
  assert.ok(longRun >= 1 && longRun <= 1.15, `over a minute: ${longRun.toFixed(3)} of the quota`);
});

test("a consumer whose throttled fetches are refused whole (Kafka's unrecord) gets less the larger they are", () => {
  const quota = 1024 * 1024;
  const consumerRatio = (size: number) => {
    const clock = new ManualClock();
    const rate = new QuotaRate({ samples: 2, windowMs: 1000 });
    const start = clock.monotonicMs();
    let received = 0;
    while (clock.monotonicMs() - start < 22_000) {
      const now = clock.monotonicMs();
      const throttleMs = rate.recordAndThrottleMs(size, quota, now);
      if (throttleMs > 0) rate.stat.record(-size, now);
      else if (now - start >= 2000) received += size;
      clock.advance(5 + throttleMs);
    }
    return received / 20 / quota;
  };
  const small = consumerRatio(32 * 1024);
  const large = consumerRatio(1024 * 1024);
  assert.ok(small > 0.97 && small <= 1.02, `32 KiB fetches: ${small.toFixed(3)} of the quota`);
  assert.ok(large < 0.6, `1 MiB fetches: ${large.toFixed(3)} of the quota`);
});
