import assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { type AlterClientQuotasResponse, ApiKey, ErrorCode } from "../../src/protocol/index.js";
import { WireClient } from "../helpers/kafka-wire.js";
import { BrokerProcess, PYTHON, REPO_ROOT } from "./broker-process.js";

/**
 * Issue 17's "done when" for client quotas, with confluent-kafka for Python (librdkafka 2.0.2)
 * against a Brook broker process: a producer whose client id has producer_byte_rate = 1 MB/s runs
 * at 1 MB/s within 10 % over 20 s while a producer with another client id on the same broker is
 * not slowed; the same for consumers with consumer_byte_rate; the throttled clients see
 * throttle_time_ms (librdkafka's throttle_cb), the others never do; removing the quotas lifts them
 * within a window. The four clients run at once, so the test takes about 30 s.
 *
 * The broker runs with quota.window.num=2 (windows of 1 s, Kafka's default size): with Kafka's 11
 * windows the same arithmetic first lets a client burst 10 s of quota, then averages about 10 %
 * over the quota (test/base/sampled-rate.test.ts simulates both), which a 20 s measurement
 * cannot hold to 10 %.
 */

const SCRIPT = join(REPO_ROOT, "test", "interop", "python", "rdkafka_quota_client.py");
const MB = 1024 * 1024;
const QUOTA = MB;
const MEASURE_FROM_MS = 2000;
const MEASURE_MS = 20_000;
const MESSAGE_BYTES = 10 * 1024;
/** A window (1 s) and half of one for a throttle given just before the removal. */
const LIFTED_WITHIN_MS = 1500;

interface Progress {
  t: number;
  bytes: number;
  throttles: number;
  throttleMsMax: number;
  errors: string[];
  done?: boolean;
}

/** rdkafka_quota_client.py in a child process: its progress lines as they come. */
class QuotaClient {
  readonly progress: Progress[] = [];
  stderr = "";
  private readonly child: ChildProcess;
  private readonly exited: Promise<number | null>;
  private buffer = "";

  constructor(options: Record<string, unknown>) {
    this.child = spawn(PYTHON, [SCRIPT, JSON.stringify(options)], { stdio: ["pipe", "pipe", "pipe"] });
    this.exited = new Promise((resolve) => this.child.once("exit", (code) => resolve(code)));
    this.child.stdin?.on("error", () => {});
    this.child.stdout?.setEncoding("utf8");
    this.child.stdout?.on("data", (chunk: string) => {
      this.buffer += chunk;
      const lines = this.buffer.split("\n");
      this.buffer = lines.pop() ?? "";
      for (const line of lines) if (line.trim() !== "") this.progress.push(JSON.parse(line) as Progress);
    });
    this.child.stderr?.setEncoding("utf8");
    this.child.stderr?.on("data", (chunk: string) => {
      this.stderr = (this.stderr + chunk).slice(-16_000);
    });
  }

  get last(): Progress {
    return this.progress.at(-1) ?? { t: 0, bytes: 0, throttles: 0, throttleMsMax: 0, errors: [] };
  }

  /** Bytes by `t` (ms since the client started), from its reports. */
  bytesAt(t: number): number {
    let bytes = 0;
    for (const p of this.progress) if (p.t <= t) bytes = p.bytes;
    return bytes;
  }

  /** Bytes per second between two of its times. */
  rate(fromMs: number, toMs: number): number {
    return (this.bytesAt(toMs) - this.bytesAt(fromMs)) / ((toMs - fromMs) / 1000);
  }

  /** Waits until the client has been running `t` ms (by its own reports). */
  async until(t: number, timeoutMs: number): Promise<void> {
    const deadline = performance.now() + timeoutMs;
    while (this.last.t < t) {
      if (this.last.done === true) throw new Error(`the client ended at ${this.last.t} ms:\n${this.stderr}`);
      if (performance.now() > deadline)
        throw new Error(`the client reported ${this.last.t} ms only:\n${this.stderr}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  /** Runs to its end (or "stop" first); returns its final report. */
  async finish(stop: boolean, timeoutMs = 40_000): Promise<Progress> {
    if (stop) this.child.stdin?.write("stop\n");
    const code = await Promise.race([
      this.exited,
      new Promise<"timeout">((resolve) => setTimeout(() => resolve("timeout"), timeoutMs).unref()),
    ]);
    if (code === "timeout") {
      this.kill();
      throw new Error(`the client did not finish within ${timeoutMs} ms:\n${this.stderr}`);
    }
    assert.equal(code, 0, `the client exited with ${code}:\n${this.stderr}`);
    return this.last;
  }

  kill(): void {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill("SIGKILL");
  }
}

let broker: BrokerProcess;
let admin: WireClient;
const running: QuotaClient[] = [];

before(async () => {
  broker = await BrokerProcess.start({ overrides: { "num.partitions": "1", "quota.window.num": "2" } });
  admin = await WireClient.connect(broker.port, broker.host);
});

after(async () => {
  for (const c of running) c.kill();
  admin?.close();
  await broker?.dispose();
});

function client(options: Record<string, unknown>): QuotaClient {
  const c = new QuotaClient(options);
  running.push(c);
  return c;
}

function producerConfig(clientId: string): Record<string, unknown> {
  return {
    "bootstrap.servers": broker.bootstrap,
    "client.id": clientId,
    "linger.ms": 5,
    "batch.size": 64 * 1024,
    // A bounded queue: the producer offers what the broker takes, not gigabytes ahead.
    "queue.buffering.max.kbytes": 4096,
  };
}

function consumerConfig(clientId: string): Record<string, unknown> {
  return {
    "bootstrap.servers": broker.bootstrap,
    "client.id": clientId,
    "group.id": `quota-${clientId}`,
    "enable.auto.commit": false,
    "fetch.wait.max.ms": 100,
    // Fetches small against the quota's window: Kafka's rule refuses a whole fetch that would
    // pass the quota (and counts none of it), so 1 MB fetches against 1 MB/s over 1-2 s windows
    // get about half the quota, with Kafka as with Brook (simulated in test/base/sampled-rate.test.ts).
    "max.partition.fetch.bytes": 32 * 1024,
    "fetch.max.bytes": 32 * 1024,
    "message.max.bytes": 32 * 1024,
    "queued.max.messages.kbytes": 2048,
  };
}

async function alterQuota(clientId: string, key: string, value: number | null): Promise<void> {
  const response = await admin.request<AlterClientQuotasResponse>(ApiKey.AlterClientQuotas, 1, {
    entries: [
      {
        entity: [{ entityType: "client-id", entityName: clientId }],
        ops: [{ key, value: value ?? 0, remove: value === null }],
      },
    ],
    validateOnly: false,
  });
  assert.equal(response.entries[0]?.errorCode, ErrorCode.NONE, response.entries[0]?.errorMessage ?? "");
}

const ratio = (rate: number) => (rate / QUOTA).toFixed(3);

test("producer_byte_rate and consumer_byte_rate of 1 MB/s hold within 10 % over 20 s; other client ids run free; removal lifts them", async () => {
  // Data for the consumers: more than they can read at 1 MB/s in the test.
  // In small batches: a fetch returns at least one whole batch, however small its limit.
  const prefill = client({
    mode: "produce",
    config: { ...producerConfig("prefill"), "batch.size": 16 * 1024 },
    topic: "quota-consume",
    messageBytes: MESSAGE_BYTES,
    totalBytes: 40 * MB,
  });
  const filled = await prefill.finish(false, 60_000);
  assert.ok(filled.bytes >= 40 * MB, `prefill: ${filled.bytes} bytes, ${JSON.stringify(filled.errors)}`);

  await alterQuota("limited-producer", "producer_byte_rate", QUOTA);
  await alterQuota("limited-consumer", "consumer_byte_rate", QUOTA);
  // Offers 6 MB/s: the quota holds it to 1 until it is lifted.
  const limitedProducer = client({
    mode: "produce",
    config: producerConfig("limited-producer"),
    topic: "quota-produce",
    messageBytes: MESSAGE_BYTES,
    ratePerS: 6 * QUOTA,
  });
  // Another client id offers 4 MB/s: it must get all of it.
  const freeProducer = client({
    mode: "produce",
    config: producerConfig("free-producer"),
    topic: "quota-produce",
    messageBytes: MESSAGE_BYTES,
    ratePerS: 4 * QUOTA,
    totalBytes: 24 * MB,
  });
  const limitedConsumer = client({
    mode: "consume",
    config: consumerConfig("limited-consumer"),
    topic: "quota-consume",
  });
  const freeConsumer = client({
    mode: "consume",
    config: consumerConfig("free-consumer"),
    topic: "quota-consume",
  });

  const measuredTo = MEASURE_FROM_MS + MEASURE_MS;
  await Promise.all([limitedProducer.until(measuredTo, 60_000), limitedConsumer.until(measuredTo, 60_000)]);
  const producerRate = limitedProducer.rate(MEASURE_FROM_MS, measuredTo);
  const consumerRate = limitedConsumer.rate(MEASURE_FROM_MS, measuredTo);

  // Lift both quotas: within a window (and what is left of a throttle already given), the
  // clients get far more than the quota allowed.
  await alterQuota("limited-producer", "producer_byte_rate", null);
  await alterQuota("limited-consumer", "consumer_byte_rate", null);
  const liftedAt = { producer: limitedProducer.last.t, consumer: limitedConsumer.last.t };
  await Promise.all([
    limitedProducer.until(liftedAt.producer + LIFTED_WITHIN_MS, 20_000),
    limitedConsumer.until(liftedAt.consumer + LIFTED_WITHIN_MS, 20_000),
  ]);
  const liftedBytes = (c: QuotaClient, at: number) => c.bytesAt(at + LIFTED_WITHIN_MS) - c.bytesAt(at);
  const producedAfterLift = liftedBytes(limitedProducer, liftedAt.producer);
  const consumedAfterLift = liftedBytes(limitedConsumer, liftedAt.consumer);

  const [lp, fp, lc, fc] = await Promise.all([
    limitedProducer.finish(true),
    freeProducer.finish(false),
    limitedConsumer.finish(true),
    freeConsumer.finish(true),
  ]);
  const summary = JSON.stringify({
    producer: ratio(producerRate),
    consumer: ratio(consumerRate),
    producedAfterLift,
    throttleMsMax: [lp.throttleMsMax, lc.throttleMsMax],
    consumedAfterLift,
    throttles: [lp.throttles, fp.throttles, lc.throttles, fc.throttles],
    errors: [lp.errors, fp.errors, lc.errors, fc.errors],
  });
  console.log(`client quotas: ${summary}`);
  assert.ok(
    Math.abs(producerRate / QUOTA - 1) <= 0.1,
    `the limited producer ran at ${ratio(producerRate)} MB/s`,
  );
  assert.ok(
    Math.abs(consumerRate / QUOTA - 1) <= 0.1,
    `the limited consumer ran at ${ratio(consumerRate)} MB/s`,
  );
  assert.ok(lp.throttles > 0 && lc.throttles > 0, `throttle_cb calls: ${summary}`);
  // The other client ids: every byte they asked for, and never a throttle.
  assert.ok(fp.bytes >= 24 * MB, `the free producer delivered ${fp.bytes} bytes`);
  assert.ok(
    freeProducer.rate(1000, 5000) >= 3.6 * QUOTA,
    `the free producer ran at ${ratio(freeProducer.rate(1000, 5000))} MB/s`,
  );
  assert.ok(fc.bytes >= 40 * MB, `the free consumer read ${fc.bytes} bytes`);
  assert.equal(fp.throttles + fc.throttles, 0, `free clients throttled: ${summary}`);
  // Lifted: several times what the quota allowed in the same time.
  assert.ok(
    producedAfterLift >= 3 * MB,
    `after the removal the producer sent ${producedAfterLift} bytes in 1.5 s`,
  );
  assert.ok(
    consumedAfterLift >= 3 * MB,
    `after the removal the consumer read ${consumedAfterLift} bytes in 1.5 s`,
  );
});
