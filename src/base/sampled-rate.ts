import { assert } from "./assert.js";

/**
 * Rates and averages over sampled time windows, with the arithmetic of Kafka's metrics library
 * (`SampledStat`, `WindowedSum`, `Rate`, `Avg`), because client quotas are defined by it: a quota
 * of 1 MB/s throttles exactly when Kafka's would, and the throttle time is Kafka's.
 *
 * A stat keeps up to `samples + 1` samples (the extra one overlaps the start of the monitored
 * window). Recording at time t adds to the current sample, first moving to a fresh one when the
 * current sample is `windowMs` old. A sample with no event for `samples * windowMs` counts as empty.
 * Times are milliseconds of one monotonic clock, never going back.
 */
export interface SampledStatConfig {
  /** Kafka's `quota.window.num`: how many windows the stat spans. At least 1. */
  readonly samples: number;
  /** Kafka's `quota.window.size.seconds`, in ms: the length of one window. At least 1. */
  readonly windowMs: number;
}

interface Sample {
  value: number;
  eventCount: number;
  startTimeMs: number;
  lastEventMs: number;
}

/** Kafka's SampledStat over `value` sums; `sum()` is WindowedSum, `average()` is Avg. */
export class SampledStat {
  readonly config: SampledStatConfig;
  private readonly samples: Sample[] = [];
  private current = 0;

  constructor(config: SampledStatConfig) {
    assert(config.samples >= 1 && config.windowMs >= 1, "a sampled stat has a window and a sample");
    this.config = config;
  }

  record(value: number, nowMs: number): void {
    let sample = this.currentSample(nowMs);
    if (nowMs - sample.startTimeMs >= this.config.windowMs) sample = this.advance(nowMs);
    sample.value += value;
    sample.eventCount += 1;
    sample.lastEventMs = nowMs;
  }

  /** Sum of the samples in the window (Kafka's WindowedSum). */
  sum(nowMs: number): number {
    this.purgeObsolete(nowMs);
    let total = 0;
    for (const s of this.samples) total += s.value;
    return total;
  }

  /** Mean of the recorded values in the window (Kafka's Avg); NaN when nothing was recorded. */
  average(nowMs: number): number {
    this.purgeObsolete(nowMs);
    let total = 0;
    let count = 0;
    for (const s of this.samples) {
      total += s.value;
      count += s.eventCount;
    }
    return count === 0 ? Number.NaN : total / count;
  }

  /** Time of the last event recorded (-Infinity before any): for expiring idle stats. */
  lastRecordMs(): number {
    let last = Number.NEGATIVE_INFINITY;
    for (const s of this.samples) if (s.eventCount > 0 && s.lastEventMs > last) last = s.lastEventMs;
    return last;
  }

  /**
   * The time a rate divides by (Kafka's Rate.windowSize): from the start of the oldest sample,
   * but never less than `samples - 1` whole windows (a stat that just started would otherwise
   * report a huge rate), and at least 1 ms.
   */
  windowSizeMs(nowMs: number): number {
    this.purgeObsolete(nowMs);
    let elapsedMs = nowMs - this.oldest(nowMs).startTimeMs;
    const fullWindows = Math.floor(elapsedMs / this.config.windowMs);
    const fullWindowsMin = this.config.samples - 1;
    if (fullWindows < fullWindowsMin) elapsedMs += (fullWindowsMin - fullWindows) * this.config.windowMs;
    return Math.max(elapsedMs, 1);
  }

  private currentSample(nowMs: number): Sample {
    if (this.samples.length === 0) this.samples.push(newSample(nowMs));
    return this.samples[this.current] as Sample;
  }

  private advance(nowMs: number): Sample {
    const slots = this.config.samples + 1;
    this.current = (this.current + 1) % slots;
    if (this.current >= this.samples.length) {
      const sample = newSample(nowMs);
      this.samples.push(sample);
      return sample;
    }
    const sample = this.samples[this.current] as Sample;
    reset(sample, nowMs);
    return sample;
  }

  private oldest(nowMs: number): Sample {
    if (this.samples.length === 0) this.samples.push(newSample(nowMs));
    let oldest = this.samples[0] as Sample;
    for (const s of this.samples) if (s.startTimeMs < oldest.startTimeMs) oldest = s;
    return oldest;
  }

  /** Samples without an event for the whole monitored span are emptied (and start again now). */
  private purgeObsolete(nowMs: number): void {
    const expireAgeMs = this.config.samples * this.config.windowMs;
    for (const s of this.samples) if (nowMs - s.lastEventMs >= expireAgeMs) reset(s, nowMs);
  }
}

function newSample(nowMs: number): Sample {
  return { value: 0, eventCount: 0, startTimeMs: nowMs, lastEventMs: nowMs };
}

function reset(sample: Sample, nowMs: number): void {
  sample.value = 0;
  sample.eventCount = 0;
  sample.startTimeMs = nowMs;
  sample.lastEventMs = nowMs;
}

/**
 * A per-second rate with an upper bound (Kafka's Sensor with a Rate and a Quota): `record`
 * adds the value, then measures, and answers how long the client must be throttled for the rate
 * to come back to the bound, as Kafka's QuotaUtils.throttleTime.
 */
export class QuotaRate {
  readonly stat: SampledStat;

  constructor(config: SampledStatConfig) {
    this.stat = new SampledStat(config);
  }

  /** The rate per second now (Kafka's Rate.measure). */
  measure(nowMs: number): number {
    const sum = this.stat.sum(nowMs);
    return sum / (this.stat.windowSizeMs(nowMs) / 1000);
  }

  /**
   * Records `value` and returns the throttle time in ms: 0 when the rate is within `bound`
   * (inclusive, Kafka's upper-bound Quota.acceptable), else `(observed - bound) / bound * window`,
   * rounded, capped at `throttleMsMax` when given.
   */
  recordAndThrottleMs(value: number, bound: number, nowMs: number, throttleMsMax?: number): number {
    this.stat.record(value, nowMs);
    return this.throttleMs(bound, nowMs, throttleMsMax);
  }

  /** The throttle time the rate calls for now, without recording anything. */
  throttleMs(bound: number, nowMs: number, throttleMsMax?: number): number {
    const observed = this.measure(nowMs);
    if (observed <= bound) return 0;
    const ms = quotaThrottleTimeMs(observed, bound, this.stat.windowSizeMs(nowMs));
    return throttleMsMax === undefined ? ms : Math.min(ms, throttleMsMax);
  }
}

/**
 * Kafka's QuotaUtils.throttleTime: with O observed over a window W and a target T, delaying by X
 * gives O * W / (W + X) = T, so X = (O - T) / T * W.
 */
export function quotaThrottleTimeMs(observed: number, bound: number, windowMs: number): number {
  return Math.round(((observed - bound) / bound) * windowMs);
}
