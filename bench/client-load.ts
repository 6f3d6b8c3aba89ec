import type { Producer } from "../src/client/index.js";

/** Records awaited in windows of this many, so that the benchmark's own promises do not pile up. */
const WINDOW = 10_000;

/** What the client benchmarks time or prepare: `count` records of `value` to partition 0 of `topic`. */
export async function sendAll(
  producer: Producer,
  topic: string,
  count: number,
  value: Buffer,
): Promise<void> {
  let window: Promise<unknown>[] = [];
  for (let i = 0; i < count; i++) {
    window.push(producer.send({ topic, partition: 0, value }));
    if (window.length === WINDOW) {
      await Promise.all(window);
      window = [];
    }
  }
  await Promise.all(window);
}

/** The JSON line a client benchmark prints. */
export function report(
  tool: string,
  count: number,
  size: number,
  seconds: number,
  cpu: NodeJS.CpuUsage,
): string {
  return JSON.stringify({
    tool,
    count,
    size,
    recordsPerSec: Math.round(count / seconds),
    mbPerSec: Number(((count * size) / seconds / 1e6).toFixed(1)),
    clientCpuSecondsPerMRecords: Number((((cpu.user + cpu.system) / 1e6 / count) * 1e6).toFixed(2)),
  });
}
