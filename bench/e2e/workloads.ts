/**
 * The workloads of ../shared/bench/README.md, as client command lines. One topic, one partition,
 * RF 1, no keys, no compression. The same command runs against Brook and against librdkafka's mock
 * cluster; only the topic differs where the mock's 5 MiB-per-partition retention requires it
 * (consumers read the mock's 32- or 256-partition topics, filled once).
 */

export interface Paths {
  kcat: string;
  perf: string;
  payloadDir: string;
}

export type Tool = "kcat" | "perf";

export interface Workload {
  /** Row name in the report, e.g. "P100-a1 kcat". */
  id: string;
  kind: "produce" | "consume";
  tool: Tool;
  records: number;
  valueBytes: number;
  /** Produce only: 1 or -1 (all). */
  acks?: number;
  /** Extra broker properties for Brook (the fsync-per-append row). */
  brookOverrides?: readonly string[];
}

export const RECORDS = 1_000_000;
export const WARMUP_RECORDS = 100_000;

export function payloadFile(paths: Paths, records: number, valueBytes: number): string {
  return `${paths.payloadDir}/msgs-${records}x${valueBytes}.txt`;
}

export function produceWorkloads(): Workload[] {
  const rows: Workload[] = [];
  for (const valueBytes of [100, 1000]) {
    for (const acks of [1, -1]) {
      const name = `P${valueBytes === 100 ? "100" : "1K"}-${acks === 1 ? "a1" : "all"}`;
      for (const tool of ["kcat", "perf"] as const)
        rows.push({ id: `${name} ${tool}`, kind: "produce", tool, records: RECORDS, valueBytes, acks });
    }
  }
  return rows;
}

/** P100-a1 with an fsync after every append (log.flush.interval.messages=1). */
export function fsyncWorkloads(): Workload[] {
  return (["kcat", "perf"] as const).map((tool) => ({
    id: `P100-a1 fsync ${tool}`,
    kind: "produce",
    tool,
    records: RECORDS,
    valueBytes: 100,
    acks: 1,
    brookOverrides: ["log.flush.interval.messages=1"],
  }));
}

export function consumeWorkloads(valueBytes: number): Workload[] {
  const name = `C${valueBytes === 100 ? "100" : "1K"}`;
  return (["kcat", "perf"] as const).map((tool) => ({
    id: `${name} ${tool}`,
    kind: "consume",
    tool,
    records: RECORDS,
    valueBytes,
  }));
}

/** The mock's consume topic for a record size: partitions x 5 MiB must hold all the records. */
export function mockConsumeTopic(valueBytes: number): { topic: string; partitions: number } {
  return valueBytes <= 100 ? { topic: "cons32", partitions: 32 } : { topic: "cons256", partitions: 256 };
}

/** Produce command: kcat -P -l FILE, or rdkafka_performance -P (linger.ms=5, -q). */
export function produceCommand(
  paths: Paths,
  w: Workload,
  bootstrap: string,
  topic: string,
  records = w.records,
): [string, string[]] {
  const acks = w.acks ?? -1;
  if (w.tool === "kcat") {
    const ackArgs = acks === 1 ? ["-X", "acks=1"] : []; // librdkafka's default is acks=all
    return [
      paths.kcat,
      [
        "-P",
        "-b",
        bootstrap,
        "-t",
        topic,
        "-p",
        "0",
        ...ackArgs,
        "-l",
        payloadFile(paths, records, w.valueBytes),
      ],
    ];
  }
  return [
    paths.perf,
    ["-P", "-t", topic, "-p", "0", "-b", bootstrap, "-s", String(w.valueBytes), "-c", String(records)].concat(
      ["-a", String(acks), "-X", "linger.ms=5", "-q"],
    ),
  ];
}

/** Consume command from offset 0 to the end; `partitions` > 1 only for the mock's wide topics. */
export function consumeCommand(
  paths: Paths,
  w: Workload,
  bootstrap: string,
  topic: string,
  partitions: number,
): [string, string[]] {
  if (w.tool === "kcat") {
    const partitionArgs = partitions === 1 ? ["-p", "0"] : [];
    return [
      paths.kcat,
      ["-C", "-b", bootstrap, "-t", topic, ...partitionArgs, "-o", "beginning", "-e", "-q"].concat([
        "-X",
        "fetch.wait.max.ms=10",
      ]),
    ];
  }
  const partitionArgs = Array.from({ length: partitions }, (_, p) => ["-p", String(p)]).flat();
  return [
    paths.perf,
    ["-C", "-t", topic, ...partitionArgs, "-b", bootstrap, "-o", "beginning", "-c", String(w.records)].concat(
      ["-X", "fetch.wait.max.ms=10", "-q"],
    ),
  ];
}

/** rdkafka_performance's own rate (first to last message), from its summary line. */
export function perfOwnRate(output: string): number {
  const matches = [...output.matchAll(/(\d+) msgs\/s/g)];
  const last = matches[matches.length - 1];
  return last === undefined ? Number.NaN : Number(last[1]);
}

/** A client run's failure, if its exit code or output says one happened. */
export function clientFailure(
  w: Workload,
  exitCode: number | null,
  stdout: string,
  stderr: string,
): string | null {
  if (exitCode !== 0) return `exit code ${exitCode}: ${stderr.slice(-500)}`;
  const text = `${stdout}\n${stderr}`;
  if (w.tool === "perf" && w.kind === "produce") {
    const m = /(\d+) delivered \(offset [-\d]+, (\d+) failed\)/.exec(text);
    if (m === null) return `no delivery summary: ${text.slice(-500)}`;
    if (Number(m[1]) !== w.records || Number(m[2]) !== 0) return `delivery summary: ${m[0]}`;
  }
  if (w.tool === "perf" && w.kind === "consume") {
    const m = /(\d+) messages \(\d+ bytes\) consumed/.exec(text);
    if (m === null || Number(m[1]) < w.records) return `consumed: ${m?.[0] ?? text.slice(-500)}`;
  }
  if (w.tool === "perf") return null;
  const errors = text.split("\n").filter((l) => /% ERROR|Delivery failed|Failed to produce/i.test(l));
  return errors.length > 0 ? errors.slice(0, 3).join(" | ") : null;
}
