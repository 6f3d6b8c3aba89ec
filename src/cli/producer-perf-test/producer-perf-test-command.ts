import { readFileSync } from "node:fs";
import { Producer } from "../../client/index.js";
import { ErrorCode, KafkaError, randomUuid } from "../../protocol/index.js";
import {
  CommandError,
  keyValueArgs,
  producerOptionsFrom,
  readPropertiesFile,
  type ToolIo,
} from "../options/index.js";

/*
 * `brook producer-perf-test`: Kafka 4.0's kafka-producer-perf-test.sh (ProducerPerformance): sends
 * --num-records records of --record-size random letters (or payloads from a file, or increasing
 * numbers), throttled to about --throughput records/s, and prints Kafka's lines: a window every
 * 5 s and the totals with latency percentiles. Its command line is argparse4j's, not jopt-simple's:
 * `--producer-props` takes every following argument up to the next option.
 */

const PROG = "producer-performance";
const REPORTING_INTERVAL_MS = 5000;
/** Kafka's ThroughputThrottler sleeps only once this much sleep has accumulated. */
const MIN_SLEEP_NS = 2_000_000;
/** Latencies kept for the percentiles, at most (Kafka samples every n-th record above this). */
const LATENCY_SAMPLES_MAX = 500_000;

const USAGE = `usage: ${PROG} [-h] --topic TOPIC --num-records NUM-RECORDS
                            (--record-size RECORD-SIZE | --payload-file PAYLOAD-FILE | --payload-monotonic)
                            [--payload-delimiter PAYLOAD-DELIMITER] --throughput THROUGHPUT
                            [--producer-props PROP-NAME=PROP-VALUE [PROP-NAME=PROP-VALUE ...]]
                            [--producer.config CONFIG-FILE] [--print-metrics] [--transactional-id TRANSACTIONAL-ID]
                            [--transaction-duration-ms TRANSACTION-DURATION]
`;

const HELP = `${USAGE}
This tool is used to verify the producer performance. To enable transactions, you can specify a transaction id or set a
transaction duration using --transaction-duration-ms. There are three ways to specify the transaction id: set
transaction.id=<id> via --producer-props, set transaction.id=<id> in the config file via --producer.config, or use
--transaction-id <id>.

named arguments:
  -h, --help             show this help message and exit
  --topic TOPIC          produce messages to this topic
  --num-records NUM-RECORDS
                         number of messages to produce
  --payload-delimiter PAYLOAD-DELIMITER
                         provides delimiter to be used when --payload-file is provided. Defaults to new line. Note that
                         this parameter will be ignored if --payload-file is not provided. (default: \\n)
  --throughput THROUGHPUT
                         throttle maximum message throughput to *approximately* THROUGHPUT messages/sec. Set this to -1
                         to disable throttling.
  --producer-props PROP-NAME=PROP-VALUE [PROP-NAME=PROP-VALUE ...]
                         kafka producer related configuration properties like bootstrap.servers,client.id etc. These
                         configs take precedence over those passed via --producer.config.
  --producer.config CONFIG-FILE
                         producer config properties file.
  --print-metrics        print out metrics at the end of the test. (Brook prints none yet.)
  --transactional-id TRANSACTIONAL-ID
                         The transactional id to use. This config takes precedence over the transactional.id specified
                         via --producer.config or --producer-props. Note that if the transactional id is not specified
                         while --transaction-duration-ms is provided, the default value for the transactional id will be
                         performance-producer- followed by a random uuid.
  --transaction-duration-ms TRANSACTION-DURATION
                         The max age of each transaction. The commitTransaction will be called after this time has
                         elapsed. The value should be greater than 0. If the transactional id is specified via
                         --producer-props, --producer.config, or --transactional-id but --transaction-duration-ms is not
                         specified, the default value will be 3000.

  either --record-size or --payload-file must be specified but not both.

  --record-size RECORD-SIZE
                         message size in bytes.
  --payload-file PAYLOAD-FILE
                         file to read the message payloads from. This works only for UTF-8 encoded text files.
  --payload-monotonic    payload is monotonically increasing integer.
`;

/** argparse4j's failure: usage and `producer-performance: error: ...` on stderr, exit code 1. */
class ArgumentError extends Error {}

export interface PerfTestArguments {
  topic: string;
  numRecords: number;
  recordSize: number | null;
  payloadFile: string | null;
  payloadMonotonic: boolean;
  payloadDelimiter: string;
  throughput: number;
  producerProps: string[] | null;
  producerConfig: string | null;
  transactionalId: string | null;
  transactionDurationMs: number | null;
}

/** ProducerPerformance's transaction defaults: an id of this prefix and a random uuid, 3 s per transaction. */
const DEFAULT_TRANSACTION_ID_PREFIX = "performance-producer-";
const DEFAULT_TRANSACTION_DURATION_MS = 3000;

const FLAGS = new Set(["--payload-monotonic", "--print-metrics", "-h", "--help"]);
const SINGLE = new Set([
  "--topic",
  "--num-records",
  "--record-size",
  "--payload-file",
  "--payload-delimiter",
  "--throughput",
  "--producer.config",
  "--transactional-id",
  "--transaction-duration-ms",
]);

/** The command line as argparse4j reads ProducerPerformance's; throws ArgumentError. */
export function parsePerfTestArguments(argv: readonly string[]): PerfTestArguments | "help" {
  const values = new Map<string, string>();
  const flags = new Set<string>();
  let producerProps: string[] | null = null;
  for (let i = 0; i < argv.length; i++) {
    const token = argv[i] as string;
    const eq = token.startsWith("--") ? token.indexOf("=") : -1;
    const name = eq > 0 ? token.slice(0, eq) : token;
    if (FLAGS.has(name)) {
      if (name === "-h" || name === "--help") return "help";
      flags.add(name);
    } else if (SINGLE.has(name)) {
      const value = eq > 0 ? token.slice(eq + 1) : argv[++i];
      if (value === undefined) throw new ArgumentError(`argument ${name}: expected one argument`);
      values.set(name, value);
    } else if (name === "--producer-props") {
      producerProps ??= [];
      const start = producerProps.length;
      if (eq > 0) producerProps.push(token.slice(eq + 1));
      while (i + 1 < argv.length && !(argv[i + 1] as string).startsWith("--"))
        producerProps.push(argv[++i] as string);
      if (producerProps.length === start)
        throw new ArgumentError("argument --producer-props: expected at least one argument");
    } else {
      throw new ArgumentError(`unrecognized arguments: '${token}'`);
    }
  }
  for (const required of ["--topic", "--num-records", "--throughput"]) {
    if (!values.has(required)) throw new ArgumentError(`argument ${required} is required`);
  }
  const payloads = ["--record-size", "--payload-file"].filter((o) => values.has(o));
  if (flags.has("--payload-monotonic")) payloads.push("--payload-monotonic");
  if (payloads.length === 0)
    throw new ArgumentError(
      "one of the arguments --record-size --payload-file --payload-monotonic is required",
    );
  if (payloads.length > 1)
    throw new ArgumentError(`argument ${payloads[1]}: not allowed with argument ${payloads[0]}`);
  const integer = (option: string): number => {
    const text = values.get(option) as string;
    if (!/^[+-]?\d+$/.test(text))
      throw new ArgumentError(
        `argument ${option}: could not convert '${text}' to ${option === "--record-size" ? "Integer" : "Long"}`,
      );
    return Number(text);
  };
  const numRecords = integer("--num-records");
  if (numRecords <= 0) throw new ArgumentError("--num-records should be greater than zero");
  const recordSize = values.has("--record-size") ? integer("--record-size") : null;
  if (recordSize !== null && recordSize <= 0)
    throw new ArgumentError("--record-size should be greater than zero");
  const throughputText = values.get("--throughput") as string;
  const throughput = Number(throughputText);
  if (throughputText.trim() === "" || !Number.isFinite(throughput))
    throw new ArgumentError(`argument --throughput: could not convert '${throughputText}' to Double`);
  if (producerProps === null && !values.has("--producer.config"))
    throw new ArgumentError("Either --producer-props or --producer.config must be specified.");
  const transactionDurationMs = values.has("--transaction-duration-ms")
    ? integer("--transaction-duration-ms")
    : null;
  if (transactionDurationMs !== null && transactionDurationMs <= 0)
    throw new ArgumentError("--transaction-duration-ms should be greater than zero");
  for (const prop of producerProps ?? []) {
    if (prop.split("=").length !== 2) throw new CommandError(`Invalid property: ${prop}`);
  }
  const delimiter = values.get("--payload-delimiter") ?? "\\n";
  return {
    topic: values.get("--topic") as string,
    numRecords,
    recordSize,
    payloadFile: values.get("--payload-file") ?? null,
    payloadMonotonic: flags.has("--payload-monotonic"),
    payloadDelimiter: delimiter === "\\n" ? "\n" : delimiter,
    throughput,
    producerProps,
    producerConfig: values.get("--producer.config") ?? null,
    transactionalId: values.get("--transactional-id") ?? null,
    transactionDurationMs,
  };
}

/** Java's `%.Nf`: half-up rounding of the decimal value, as Formatter does. */
function fixed(value: number, digits: number): string {
  if (!Number.isFinite(value)) return value > 0 ? "Infinity" : value < 0 ? "-Infinity" : "NaN";
  return value.toFixed(digits);
}

/** Kafka's ProducerPerformance.Stats: windows every reportingIntervalMs, totals with percentiles. */
export class PerfStats {
  private readonly start: number;
  private readonly sampling: number;
  private readonly latencies: number[] = [];
  private iteration = 0;
  private count = 0;
  private bytes = 0;
  private maxLatency = 0;
  private totalLatency = 0;
  private windowStart: number;
  private windowCount = 0;
  private windowMaxLatency = 0;
  private windowTotalLatency = 0;
  private windowBytes = 0;

  private readonly out: (line: string) => void;
  private readonly now: () => number;
  private readonly reportingIntervalMs: number;

  constructor(
    numRecords: number,
    out: (line: string) => void,
    now: () => number = Date.now,
    reportingIntervalMs = REPORTING_INTERVAL_MS,
  ) {
    this.out = out;
    this.now = now;
    this.reportingIntervalMs = reportingIntervalMs;
    this.start = now();
    this.windowStart = this.start;
    this.sampling = Math.floor(numRecords / Math.min(numRecords, LATENCY_SAMPLES_MAX));
  }

  get recorded(): number {
    return this.count;
  }

  record(latencyMs: number, bytes: number, time: number): void {
    this.count++;
    this.bytes += bytes;
    this.totalLatency += latencyMs;
    this.maxLatency = Math.max(this.maxLatency, latencyMs);
    this.windowCount++;
    this.windowBytes += bytes;
    this.windowTotalLatency += latencyMs;
    this.windowMaxLatency = Math.max(this.windowMaxLatency, latencyMs);
    if (this.iteration % this.sampling === 0) this.latencies.push(latencyMs);
    this.iteration++;
    if (time - this.windowStart >= this.reportingIntervalMs) {
      this.printWindow();
      this.windowStart = this.now();
      this.windowCount = 0;
      this.windowMaxLatency = 0;
      this.windowTotalLatency = 0;
      this.windowBytes = 0;
    }
  }

  private printWindow(): void {
    const elapsed = this.now() - this.windowStart;
    this.out(
      `${this.windowCount} records sent, ${fixed((1000 * this.windowCount) / elapsed, 1)} records/sec (${fixed((1000 * this.windowBytes) / elapsed / (1024 * 1024), 2)} MB/sec), ${fixed(this.windowTotalLatency / this.windowCount, 1)} ms avg latency, ${fixed(this.windowMaxLatency, 1)} ms max latency.\n`,
    );
  }

  printTotal(): void {
    const elapsed = this.now() - this.start;
    const sorted = [...this.latencies].sort((a, b) => a - b);
    const at = (p: number) => sorted[Math.floor(p * sorted.length)] ?? 0;
    this.out(
      `${this.count} records sent, ${fixed((1000 * this.count) / elapsed, 1)} records/sec (${fixed((1000 * this.bytes) / elapsed / (1024 * 1024), 2)} MB/sec), ${fixed(this.totalLatency / this.count, 2)} ms avg latency, ${fixed(this.maxLatency, 2)} ms max latency, ${at(0.5)} ms 50th, ${at(0.95)} ms 95th, ${at(0.99)} ms 99th, ${at(0.999)} ms 99.9th.\n`,
    );
  }
}

/** Kafka's payloads: random capital letters (a seeded generator), a file's entries, or i as text. */
function payloadSource(args: PerfTestArguments): (i: number) => Buffer {
  if (args.payloadFile !== null) {
    const entries = readFileSync(args.payloadFile, "utf8")
      .split(args.payloadDelimiter)
      .filter((e) => e !== "")
      .map((e) => Buffer.from(e, "utf8"));
    if (entries.length === 0) throw new CommandError(`File is empty: ${args.payloadFile}`);
    let seed = 0;
    return () => {
      seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
      return entries[seed % entries.length] as Buffer;
    };
  }
  if (args.payloadMonotonic) return (i) => Buffer.from(String(i));
  const size = args.recordSize as number;
  let state = 0x9e3779b9;
  return () => {
    const payload = Buffer.allocUnsafe(size);
    for (let j = 0; j < size; j++) {
      // xorshift32: letters A-Z, as Kafka's random.nextInt(26) + 65.
      state ^= state << 13;
      state ^= state >>> 17;
      state ^= state << 5;
      payload[j] = 65 + ((state >>> 0) % 26);
    }
    return payload;
  };
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Runs the tool; the exit code. */
export async function runProducerPerfTestCommand(argv: readonly string[], io: ToolIo): Promise<number> {
  let args: PerfTestArguments;
  let producer: Producer;
  /** Set when transactional: each transaction is committed once this old (Kafka's check, at a send). */
  let transactionDurationMs: number | null = null;
  let payload: (i: number) => Buffer;
  try {
    const parsed = parsePerfTestArguments(argv);
    if (parsed === "help") {
      io.out(HELP);
      return 0;
    }
    args = parsed;
    payload = payloadSource(args);
    const props =
      args.producerConfig === null
        ? new Map<string, string>()
        : readPropertiesFile(args.producerConfig, (m) => new CommandError(m));
    for (const [k, v] of keyValueArgs(args.producerProps ?? [])) props.set(k, v);
    // Transactions when asked for in any of the three ways; the option's id wins over the properties'.
    if (
      args.transactionDurationMs !== null ||
      args.transactionalId !== null ||
      props.has("transactional.id")
    ) {
      props.set(
        "transactional.id",
        args.transactionalId ??
          props.get("transactional.id") ??
          `${DEFAULT_TRANSACTION_ID_PREFIX}${randomUuid()}`,
      );
      transactionDurationMs = args.transactionDurationMs ?? DEFAULT_TRANSACTION_DURATION_MS;
    }
    const settings = producerOptionsFrom(props, "perf-producer-client");
    for (const w of settings.warnings) io.err(`${w}\n`);
    producer = new Producer(settings.options);
  } catch (error) {
    if (error instanceof ArgumentError) {
      io.err(`${USAGE}${PROG}: error: ${error.message}\n`);
      return 1;
    }
    // A ConfigException from the producer (acks other than all with a transactional id, say).
    if (
      error instanceof CommandError ||
      (error instanceof KafkaError && error.errorCode === ErrorCode.INVALID_CONFIG)
    ) {
      io.err(`${error.message}\n`);
      return 1;
    }
    throw error;
  }
  // As Kafka's tool: the producer's transactions are initialized before the clock starts.
  if (transactionDurationMs !== null) {
    try {
      await producer.initTransactions();
    } catch (error) {
      io.err(`${(error as Error).message}\n`);
      await producer.close().catch(() => {});
      return 1;
    }
  }
  const stats = new PerfStats(args.numRecords, io.out);
  const startMs = Date.now();
  const sleepNs = args.throughput > 0 ? 1e9 / args.throughput : Number.POSITIVE_INFINITY;
  let sleepDeficitNs = 0;
  let failures = 0;
  /**
   * Bytes sent and not yet answered at most (Kafka's buffer.memory default, where its send() would
   * block): the loop waits beyond it.
   */
  const inFlightBytesMax = 32 * 1024 * 1024;
  let inFlightBytes = 0;
  let drained: (() => void) | null = null;
  let transactionSize = 0;
  let transactionStartMs = 0;
  try {
    for (let i = 0; i < args.numRecords; i++) {
      const value = payload(i);
      if (transactionDurationMs !== null && transactionSize === 0) {
        producer.beginTransaction();
        transactionStartMs = Date.now();
      }
      const sendStartMs = Date.now();
      inFlightBytes += value.length;
      producer.send({ topic: args.topic, value }).then(
        () => {
          const now = Date.now();
          stats.record(now - sendStartMs, value.length, now);
          inFlightBytes -= value.length;
          if (inFlightBytes < inFlightBytesMax) drained?.();
        },
        (error: unknown) => {
          failures++;
          if (failures <= 10) io.err(`${(error as Error).message}\n`);
          inFlightBytes -= value.length;
          if (inFlightBytes < inFlightBytesMax) drained?.();
        },
      );
      transactionSize++;
      if (transactionDurationMs !== null && transactionDurationMs <= sendStartMs - transactionStartMs) {
        await producer.commitTransaction();
        transactionSize = 0;
      }
      if (inFlightBytes >= inFlightBytesMax) {
        await new Promise<void>((resolve) => {
          drained = resolve;
        });
        drained = null;
      }
      // Kafka's ThroughputThrottler: sleep once the rate so far is above the target.
      if (args.throughput === 0) await new Promise<never>(() => {});
      const elapsedSec = (sendStartMs - startMs) / 1000;
      if (args.throughput > 0 && elapsedSec > 0 && i / elapsedSec > args.throughput) {
        sleepDeficitNs += sleepNs;
        if (sleepDeficitNs >= MIN_SLEEP_NS) {
          await sleep(sleepDeficitNs / 1e6);
          sleepDeficitNs = 0;
        }
      } else if (i % 1000 === 999) {
        // Let answers in: the loop would otherwise hold the event loop until every record is queued.
        await new Promise<void>((resolve) => setImmediate(resolve));
      }
    }
    if (transactionDurationMs !== null && transactionSize !== 0) await producer.commitTransaction();
    await producer.close();
  } catch (error) {
    io.err(`${(error as Error).message}\n`);
    return 1;
  }
  stats.printTotal();
  return 0;
}
