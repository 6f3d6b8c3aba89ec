import { type ChildProcess, spawn } from "node:child_process";
import { join } from "node:path";
import { after, before } from "node:test";
import { fileURLToPath } from "node:url";
import type { Kafka } from "kafkajs";
import { BrokerProcess, PYTHON, REPO_ROOT, runTool, waitFor } from "../broker-process.js";
import { kafkajsClient } from "../kafkajs-client.js";
import type { KafkajsMemberOptions } from "./kafkajs-member.js";

/**
 * Shared pieces of the consumer-group interop tests: group members as child processes (kafkajs and
 * confluent-kafka), numbered records produced to chosen partitions, and failure messages that
 * carry the broker's and the members' stderr. Every member process is killed when the test
 * process exits, even after a failed assertion.
 */

/** Broker settings for the group tests: a small __consumer_offsets, no initial rebalance delay. */
export const GROUP_BROKER_OVERRIDES: Record<string, string> = {
  "offsets.topic.num.partitions": "5",
  "offsets.topic.replication.factor": "1",
  "group.initial.rebalance.delay.ms": "0",
  "group.min.session.timeout.ms": "6000",
};

/** Session timeout every member asks for: Kafka's smallest default, so a dead member goes fast. */
export const SESSION_TIMEOUT_MS = 6000;
export const HEARTBEAT_INTERVAL_MS = 500;
/** How long a group may take to settle after a join or a leave (two rounds of join and sync). */
export const SETTLE_TIMEOUT_MS = 20_000;

const here = fileURLToPath(import.meta.url);
/** Running from the TypeScript sources (tsx) or from dist/: the member script is beside this file. */
const fromSources = here.endsWith(".ts");
const KAFKAJS_MEMBER = join(
  fromSources ? join(REPO_ROOT, "test", "interop", "groups") : join(here, ".."),
  fromSources ? "kafkajs-member.ts" : "kafkajs-member.js",
);
/** The Python script is not compiled: always taken from the sources. */
const PYTHON_MEMBER = join(REPO_ROOT, "test", "interop", "groups", "rdkafka_member.py");

const STDERR_KEPT_CHARS = 64 * 1024;
/** A member's events are kept in full, up to this many (a test reads far fewer). */
const EVENTS_MAX = 200_000;
const EXIT_TIMEOUT_MS = 15_000;

export interface MemberEvent {
  event: string;
  partition?: number;
  offset?: number;
  value?: string;
  partitions?: number[];
  assignment?: number[];
  offsets?: { partition: number; offset: number }[];
  /** When the member reported it (ms since the epoch). */
  at?: number;
  error?: string | null;
  memberId?: string;
}

export interface Delivery {
  member: string;
  partition: number;
  offset: number;
  value: string | undefined;
}

const liveMembers = new Set<MemberProcess>();
process.on("exit", () => {
  for (const m of liveMembers) m.killSync();
});

/** One group member in a child process; `events` is what it reported, in order. */
export class MemberProcess {
  readonly name: string;
  readonly events: MemberEvent[] = [];
  stderr = "";
  private readonly child: ChildProcess;
  private readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  private stdoutBuffer = "";

  private constructor(name: string, command: string, args: string[], env?: Record<string, string>) {
    this.name = name;
    this.child = spawn(command, args, {
      cwd: REPO_ROOT,
      stdio: ["pipe", "pipe", "pipe"],
      ...(env === undefined ? {} : { env: { ...process.env, ...env } }),
    });
    liveMembers.add(this);
    this.exited = new Promise((resolve) => {
      this.child.once("exit", (code, signal) => {
        liveMembers.delete(this);
        resolve({ code, signal });
      });
    });
    this.child.stdin?.on("error", () => {});
    this.child.stdout?.setEncoding("utf8");
    this.child.stdout?.on("data", (chunk: string) => this.onStdout(chunk));
    this.child.stderr?.setEncoding("utf8");
    this.child.stderr?.on("data", (chunk: string) => {
      this.stderr = (this.stderr + chunk).slice(-STDERR_KEPT_CHARS);
    });
  }

  static kafkajs(name: string, options: Omit<KafkajsMemberOptions, "clientId"> & { clientId?: string }) {
    const full: KafkajsMemberOptions = { clientId: name, ...options };
    const loader = fromSources ? ["--import", "tsx"] : [];
    return new MemberProcess(name, process.execPath, [...loader, KAFKAJS_MEMBER, JSON.stringify(full)]);
  }

  static python(
    name: string,
    options: {
      config: Record<string, string | number | boolean>;
      topic: string;
      commitEveryMessages?: number;
      commitOnce?: boolean;
    },
    /** Extra environment: `currentLibrdkafkaEnv()` runs it on librdkafka 2.12. */
    env?: Record<string, string>,
  ) {
    return new MemberProcess(name, PYTHON, [PYTHON_MEMBER, JSON.stringify(options)], env);
  }

  private onStdout(chunk: string): void {
    this.stdoutBuffer += chunk;
    const lines = this.stdoutBuffer.split("\n");
    this.stdoutBuffer = lines.pop() ?? "";
    for (const line of lines) {
      if (line.trim() === "") continue;
      if (this.events.length >= EVENTS_MAX) throw new Error(`${this.name}: more than ${EVENTS_MAX} events`);
      try {
        this.events.push(JSON.parse(line) as MemberEvent);
      } catch {
        this.stderr += `unparsable stdout line: ${line}\n`;
      }
    }
  }

  get alive(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  deliveries(): Delivery[] {
    return this.events
      .filter((e) => e.event === "message")
      .map((e) => ({ member: this.name, partition: e.partition!, offset: e.offset!, value: e.value }));
  }

  /** The partitions the member owns now, by its last join (kafkajs) or rebalance callback (Python). */
  assignment(): number[] | undefined {
    for (let i = this.events.length - 1; i >= 0; i--) {
      const e = this.events[i]!;
      if (e.event === "joined") return e.partitions;
      if (e.event === "assign" || e.event === "revoke" || e.event === "lost") return e.assignment;
    }
    return undefined;
  }

  /** kafkajs consumer crashes and unhandled rejections the member reported. */
  crashes(): MemberEvent[] {
    return this.events.filter((e) => e.event === "crash" || e.event === "unhandled");
  }

  /** Waits until the member reported an event matching `match`; returns it. */
  async waitForEvent(
    what: string,
    match: (e: MemberEvent) => boolean,
    timeoutMs: number,
  ): Promise<MemberEvent> {
    return waitFor(
      `${this.name}: ${what}`,
      async () => {
        const found = this.events.find(match);
        if (found === undefined && !this.alive) {
          throw new Error(`${this.name} exited; stderr:\n${this.stderr.slice(-3000)}`);
        }
        return found;
      },
      timeoutMs,
    );
  }

  /** A clean stop ("stop" for kafkajs, "close" for Python: both leave the group); exit code 0. */
  async stop(): Promise<void> {
    this.child.stdin?.write("stop\nclose\n");
    const { code, signal } = await this.waitExit();
    if (code !== 0) throw new Error(`${this.name} exited with ${code ?? signal}; stderr:\n${this.stderr}`);
  }

  /** SIGKILL: the member dies without leaving the group or committing. */
  async kill(): Promise<void> {
    this.child.kill("SIGKILL");
    await this.waitExit();
  }

  killSync(): void {
    if (this.alive) this.child.kill("SIGKILL");
  }

  private async waitExit(): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        this.child.kill("SIGKILL");
        reject(new Error(`${this.name} did not exit within ${EXIT_TIMEOUT_MS} ms; stderr:\n${this.stderr}`));
      }, EXIT_TIMEOUT_MS);
    });
    try {
      return await Promise.race([this.exited, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }
}

/** Kills every member still running (for `after` hooks). */
export async function killMembers(members: Iterable<MemberProcess>): Promise<void> {
  await Promise.all([...members].filter((m) => m.alive).map((m) => m.kill()));
}

/** A failure message's tail: what each member and the broker wrote to stderr. */
export function diagnostics(broker: BrokerProcess, members: Iterable<MemberProcess> = []): string {
  const parts: string[] = [];
  for (const m of members) {
    const tail = m.events
      .filter((e) => e.event !== "message")
      .slice(-12)
      .map((e) => JSON.stringify(e));
    parts.push(
      `--- ${m.name} (alive ${m.alive}) events:\n${tail.join("\n")}\nstderr:\n${m.stderr.slice(-2000)}`,
    );
  }
  parts.push(`--- broker stderr:\n${broker.allStderr.slice(-4000)}`);
  return parts.join("\n");
}

export interface Produced {
  partition: number;
  offset: number;
  value: string;
}

/**
 * Produces `perPartition` records to every one of `partitions` partitions with kafkajs (acks=all),
 * values `<tag>-p<partition>-<i>`; returns each record with the offset it was acknowledged at.
 */
export async function produceNumbered(
  kafka: Kafka,
  topic: string,
  partitions: number,
  tag: string,
  perPartition: number,
): Promise<Produced[]> {
  const producer = kafka.producer({ allowAutoTopicCreation: false });
  await producer.connect();
  const produced: Produced[] = [];
  try {
    for (let partition = 0; partition < partitions; partition++) {
      const values = Array.from({ length: perPartition }, (_, i) => `${tag}-p${partition}-${i}`);
      const [meta] = await producer.send({
        topic,
        acks: -1,
        messages: values.map((value) => ({ key: value, value, partition })),
      });
      if (meta === undefined || meta.errorCode !== 0)
        throw new Error(`produce failed: ${JSON.stringify(meta)}`);
      const base = Number(meta.baseOffset);
      values.forEach((value, i) => {
        produced.push({ partition, offset: base + i, value });
      });
    }
  } finally {
    await producer.disconnect();
  }
  return produced;
}

/** A group test file's broker process and topic (see groupFixture). */
export interface GroupFixture {
  readonly broker: BrokerProcess;
  /** A kafkajs client of the broker, for producing and admin calls. */
  readonly kafka: Kafka;
  /** The members' events and stderr and the broker's stderr, for failure messages. */
  why(): string;
}

/**
 * Registers the `before` and `after` hooks of a group test file: a broker process with
 * GROUP_BROKER_OVERRIDES and `partitions` partitions per topic, and `topic` created; afterwards
 * every member still running is killed and the broker stopped.
 */
export function groupFixture(
  topic: string,
  partitions: number,
  members: () => Iterable<MemberProcess>,
): GroupFixture {
  let started: { broker: BrokerProcess; kafka: Kafka } | null = null;
  let broker: BrokerProcess | undefined;
  before(async () => {
    broker = await BrokerProcess.start({
      overrides: { ...GROUP_BROKER_OVERRIDES, "num.partitions": String(partitions) },
    });
    const kafka = kafkajsClient(broker.bootstrap);
    await createTopic(kafka, topic, partitions);
    started = { broker, kafka };
  });
  after(async () => {
    await killMembers(members());
    await broker?.dispose();
  });
  const get = () => {
    if (started === null) throw new Error("the group fixture's broker is not started");
    return started;
  };
  return {
    get broker() {
      return get().broker;
    },
    get kafka() {
      return get().kafka;
    },
    why: () => diagnostics(get().broker, members()),
  };
}

export async function createTopic(kafka: Kafka, topic: string, numPartitions: number): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    await admin.createTopics({ waitForLeaders: true, topics: [{ topic, numPartitions }] });
  } finally {
    await admin.disconnect();
  }
}

export const key = (partition: number, offset: number): string => `${partition}:${offset}`;

/** How many times each partition:offset was delivered, over all the given deliveries. */
export function deliveryCounts(deliveries: Iterable<Delivery>): Map<string, number> {
  const counts = new Map<string, number>();
  for (const d of deliveries) {
    const k = key(d.partition, d.offset);
    counts.set(k, (counts.get(k) ?? 0) + 1);
  }
  return counts;
}

/** The keys of `produced` that no delivery covers. */
export function missing(produced: Iterable<Produced>, deliveries: Iterable<Delivery>): string[] {
  const seen = deliveryCounts(deliveries);
  return [...produced].map((p) => key(p.partition, p.offset)).filter((k) => !seen.has(k));
}

const PYTHON_ADMIN = join(REPO_ROOT, "test", "interop", "groups", "rdkafka_admin.py");

/** Runs one command of rdkafka_admin.py (confluent-kafka's admin and simple-consumer calls). */
export async function pythonAdmin<T>(command: Record<string, unknown>): Promise<T> {
  const result = await runTool(PYTHON, [PYTHON_ADMIN], { input: JSON.stringify(command), timeoutMs: 40_000 });
  if (result.code !== 0) {
    throw new Error(
      `rdkafka_admin.py ${String(command.op)} exited with ${result.code ?? result.signal}:\n${result.stderr}`,
    );
  }
  return JSON.parse(result.stdout) as T;
}
