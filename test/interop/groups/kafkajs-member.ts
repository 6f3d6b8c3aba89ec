import { createInterface } from "node:readline";
import { type Consumer, Kafka, logLevel } from "kafkajs";

/**
 * One kafkajs group member in a child process of its own, so a test can SIGKILL it like a crashed
 * application. Options come as JSON in argv[2] (`KafkajsMemberOptions`). It reports what it sees
 * as JSON lines on stdout (`MemberEvent` in group-harness.ts: joined with its assignment, every
 * message, every commit, crashes, unhandled rejections) and obeys "stop" on stdin (a clean
 * disconnect: LeaveGroup). When stdin closes (the test process died) it exits too, so no consumer
 * outlives its test.
 */

export interface KafkajsMemberOptions {
  bootstrap: string;
  groupId: string;
  topic: string;
  clientId: string;
  sessionTimeoutMs: number;
  heartbeatIntervalMs: number;
  /**
   * Absent: kafkajs' auto commit (after every batch and before rejoining). A number n: auto commit
   * off, and the member commits its consumed positions itself after every n-th message.
   */
  commitEveryMessages?: number;
  /** With commitEveryMessages: commit only once, at the first multiple, and never again. */
  commitOnce?: boolean;
  /**
   * When kafkajs gives up for good (a crash with restart=false: its FindCoordinator path treats a
   * broker that refuses connections as fatal), start a new consumer, as applications do. For
   * tests that take the broker away on purpose.
   */
  restartWhenGivenUp?: boolean;
  /** A slow application: the first message takes this long to process (no heartbeats meanwhile). */
  blockFirstMessageMs?: number;
}

/** Consumers one member process starts at most (the first and its replacements). */
const CONSUMERS_MAX = 20;

const options = JSON.parse(process.argv[2] ?? "{}") as KafkajsMemberOptions;
process.env.KAFKAJS_NO_PARTITIONER_WARNING = "1";

function emit(event: Record<string, unknown>): void {
  process.stdout.write(`${JSON.stringify({ ...event, at: Date.now() })}\n`);
}

// kafkajs 2.2.4 can leave a request's rejection unhandled when a connection drops under it
// (tulios/kafkajs#702); the consumer itself recovers, so the member reports it instead of dying.
process.on("unhandledRejection", (reason) => {
  emit({ event: "unhandled", error: String(reason) });
});

const kafka = new Kafka({
  clientId: options.clientId,
  brokers: [options.bootstrap],
  connectionTimeout: 3000,
  requestTimeout: 10_000,
  retry: { retries: 5, initialRetryTime: 100, maxRetryTime: 1000 },
  logLevel: logLevel.ERROR,
  logCreator:
    () =>
    ({ namespace, log }) => {
      process.stderr.write(`${namespace}: ${log.message}\n`);
    },
});

/** Next offset to read per partition, from the messages handed to eachMessage. */
const positions = new Map<number, number>();
let consumedCount = 0;
let committedOnce = false;
let consumer: Consumer;
let stopping = false;
let consumersStarted = 0;

/** Creates, connects and runs a consumer; resolves once it has joined the group. */
async function startConsumer(): Promise<void> {
  consumersStarted++;
  const c = kafka.consumer({
    groupId: options.groupId,
    sessionTimeout: options.sessionTimeoutMs,
    rebalanceTimeout: options.sessionTimeoutMs,
    heartbeatInterval: options.heartbeatIntervalMs,
    maxWaitTimeInMs: 200,
    retry: { retries: 5, initialRetryTime: 100, maxRetryTime: 1000 },
  });
  consumer = c;
  c.on(c.events.GROUP_JOIN, ({ payload }) => {
    emit({
      event: "joined",
      memberId: payload.memberId,
      leaderId: payload.leaderId,
      isLeader: payload.isLeader,
      protocol: payload.groupProtocol,
      partitions: [...(payload.memberAssignment[options.topic] ?? [])].sort((x, y) => x - y),
    });
  });
  c.on(c.events.COMMIT_OFFSETS, ({ payload }) => {
    const offsets = payload.topics.flatMap((t) =>
      t.partitions.map((p) => ({ partition: Number(p.partition), offset: Number(p.offset) })),
    );
    emit({ event: "committed", offsets });
  });
  c.on(c.events.CRASH, ({ payload }) => {
    emit({ event: "crash", error: String(payload.error), restart: payload.restart });
    if (payload.restart || options.restartWhenGivenUp !== true || stopping) return;
    if (consumersStarted >= CONSUMERS_MAX) return;
    setTimeout(() => {
      if (!stopping)
        startConsumer().catch((e: unknown) => emit({ event: "crash", error: String(e), restart: false }));
    }, 500);
  });

  emit({ event: "connecting" });
  await c.connect();
  await c.subscribe({ topic: options.topic, fromBeginning: true });
  await c.run({
    autoCommit: options.commitEveryMessages === undefined,
    eachMessage: async ({ partition, message }) => {
      if (consumedCount === 0 && options.blockFirstMessageMs !== undefined) {
        emit({ event: "blocked", partition, offset: Number(message.offset) });
        await new Promise((resolve) => setTimeout(resolve, options.blockFirstMessageMs));
      }
      emit({ event: "message", partition, offset: Number(message.offset), value: message.value?.toString() });
      positions.set(partition, Number(message.offset) + 1);
      consumedCount++;
      const every = options.commitEveryMessages;
      if (every === undefined || consumedCount % every !== 0) return;
      if (options.commitOnce === true && committedOnce) return;
      committedOnce = true;
      await c.commitOffsets(
        [...positions].map(([p, offset]) => ({ topic: options.topic, partition: p, offset: String(offset) })),
      );
    },
  });
  emit({ event: "started" });
}

await startConsumer();

async function stop(): Promise<void> {
  if (stopping) return;
  stopping = true;
  await consumer.disconnect();
  emit({ event: "stopped" });
  process.exit(0);
}
const stdin = createInterface({ input: process.stdin });
stdin.on("line", (line) => {
  if (line.trim() === "stop") void stop();
});
stdin.on("close", () => void stop());
