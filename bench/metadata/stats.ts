/** Small statistics and formatting helpers of the metadata benchmark. */
import { readFileSync } from "node:fs";

export function sortedCopy(xs: readonly number[]): number[] {
  return [...xs].sort((a, b) => a - b);
}

/** Nearest-rank quantile (as ../shared/bench/lib/stats.js). */
export function quantile(xs: readonly number[], q: number): number {
  const s = sortedCopy(xs);
  if (s.length === 0) return Number.NaN;
  const i = Math.min(s.length - 1, Math.max(0, Math.ceil(q * s.length) - 1));
  return s[i] as number;
}

export function median(xs: readonly number[]): number {
  const s = sortedCopy(xs);
  const n = s.length;
  if (n === 0) return Number.NaN;
  return n % 2 === 1 ? (s[(n - 1) / 2] as number) : ((s[n / 2 - 1] as number) + (s[n / 2] as number)) / 2;
}

export function min(xs: readonly number[]): number {
  return xs.length === 0 ? Number.NaN : Math.min(...xs);
}

export function max(xs: readonly number[]): number {
  return xs.length === 0 ? Number.NaN : Math.max(...xs);
}

/** 3 significant digits for small numbers, thousands separators for large ones. */
export function fmt(x: number, digits = 3): string {
  if (!Number.isFinite(x)) return "–";
  const a = Math.abs(x);
  if (a >= 1000) return Math.round(x).toLocaleString("en-US");
  if (a >= 100) return x.toFixed(0);
  if (a >= 10) return x.toFixed(digits >= 3 ? 1 : 0);
  if (a >= 1) return x.toFixed(digits >= 3 ? 2 : 1);
  if (a === 0) return "0";
  return x.toPrecision(2);
}

/** "median (min–max)" of several runs. */
export function mmm(xs: readonly number[], digits = 3): string {
  if (xs.length === 0) return "–";
  if (xs.length === 1) return fmt(xs[0] as number, digits);
  return `${fmt(median(xs), digits)} (${fmt(min(xs), digits)}–${fmt(max(xs), digits)})`;
}

export function nowMs(): number {
  return performance.now();
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Clock ticks per second of /proc/<pid>/stat (CLK_TCK, 100 on Linux x86). */
const TICKS_PER_SECOND = 100;

/** utime + stime of a process in ms, from /proc; NaN when it is gone. */
export function processCpuMs(pid: number | undefined): number {
  if (pid === undefined) return Number.NaN;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    // Fields after the command name (which may hold spaces) start after the last ")".
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    const utime = Number(fields[11]);
    const stime = Number(fields[12]);
    return ((utime + stime) * 1000) / TICKS_PER_SECOND;
  } catch {
    return Number.NaN;
  }
}

/** This process's user+system CPU in ms. */
export function selfCpuMs(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
}

export function loadAverage(): string {
  try {
    return readFileSync("/proc/loadavg", "utf8").split(" ").slice(0, 3).join(" ");
  } catch {
    return "?";
  }
}
