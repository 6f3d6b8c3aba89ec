import assert from "node:assert/strict";
import { after, test } from "node:test";
import { Producer } from "../../src/client/index.js";
import {
  ApiKey,
  decodeRecordBatchHeader,
  ErrorCode,
  KafkaError,
  type ProduceRequest,
} from "../../src/protocol/index.js";
import { FakeBroker, type FakeRequest, oneBrokerMetadata } from "./fake-broker.js";

/**
 * Brook's producer against a scripted broker: what it does with each kind of answer to a produce
 * request, seen on the wire — a retriable error is retried after a metadata refresh with the very
 * same batch (same producer id and sequence), a non-retriable one fails the records at once, and
 * a batch that keeps failing fails at delivery.timeout.ms.
 */

const brokers: FakeBroker[] = [];
after(async () => {
  for (const b of brokers) await b.stop();
});

/** A one-broker cluster leading topic `t` (one partition); `produce` answers each produce request. */
async function cluster(
  produce: (
    request: FakeRequest,
    attempt: number,
  ) =>
    | { errorCode: number; baseOffset?: bigint; errorMessage?: string }
    | Promise<{ errorCode: number; baseOffset?: bigint; errorMessage?: string }>,
): Promise<{ broker: FakeBroker; produces: () => ProduceRequest[]; metadataRequests: () => number }> {
  let attempt = 0;
  let port = 0;
  const broker = await FakeBroker.start(async (request) => {
    if (request.apiKey === ApiKey.Metadata) return { body: oneBrokerMetadata(port, { t: 1 }) };
    if (request.apiKey === ApiKey.InitProducerId)
      return { body: { errorCode: 0, producerId: 42n, producerEpoch: 3 } };
    if (request.apiKey === ApiKey.Produce) {
      const answer = await produce(request, attempt++);
      return {
        body: {
          responses: [
            {
              name: "t",
              partitionResponses: [
                {
                  index: 0,
                  errorCode: answer.errorCode,
                  baseOffset: answer.baseOffset ?? -1n,
                  logAppendTimeMs: -1n,
                  logStartOffset: 0n,
                  recordErrors: [],
                  errorMessage: answer.errorMessage ?? null,
                },
              ],
            },
          ],
        },
      };
    }
    return undefined;
  });
  port = broker.port;
  brokers.push(broker);
  return {
    broker,
    produces: () =>
      broker.requests.filter((r) => r.apiKey === ApiKey.Produce).map((r) => r.body as ProduceRequest),
    metadataRequests: () => broker.requests.filter((r) => r.apiKey === ApiKey.Metadata).length,
  };
}

const batchOf = (p: ProduceRequest) => p.topicData[0]?.partitionData[0]?.records as Buffer;

test("a retriable error: the same batch again after a metadata refresh, acknowledged once", async () => {
  const c = await cluster((_, attempt) =>
    attempt === 0 ? { errorCode: ErrorCode.NOT_LEADER_OR_FOLLOWER } : { errorCode: 0, baseOffset: 10n },
  );
  const producer = new Producer({ bootstrap: `127.0.0.1:${c.broker.port}`, lingerMs: 0, retryBackoffMs: 10 });
  try {
    const metadataBefore = c.metadataRequests();
    const sent = await Promise.all([
      producer.send({ topic: "t", value: "a" }),
      producer.send({ topic: "t", value: "b" }),
    ]);
    assert.deepEqual(
      sent.map((m) => m.offset),
      [10n, 11n],
    );
    const produces = c.produces();
    assert.equal(produces.length, 2);
    assert.ok(
      batchOf(produces[0] as ProduceRequest).equals(batchOf(produces[1] as ProduceRequest)),
      "the very same bytes",
    );
    const header = decodeRecordBatchHeader(batchOf(produces[1] as ProduceRequest));
    assert.deepEqual([header.producerId, header.producerEpoch, header.baseSequence], [42n, 3, 0]);
    assert.ok(c.metadataRequests() > metadataBefore, "the metadata was fetched again before the retry");
    await producer.send({ topic: "t", value: "c" });
    assert.equal(decodeRecordBatchHeader(batchOf(c.produces()[2] as ProduceRequest)).baseSequence, 2);
  } finally {
    await producer.close();
  }
});

test("a non-retriable error fails the records at once with the broker's message", async () => {
  const c = await cluster(() => ({
    errorCode: ErrorCode.INVALID_RECORD,
    errorMessage: "keyless record on a compacted topic",
  }));
  const producer = new Producer({ bootstrap: `127.0.0.1:${c.broker.port}`, lingerMs: 0 });
  try {
    await assert.rejects(
      producer.send({ topic: "t", value: "x" }),
      (e: unknown) =>
        e instanceof KafkaError &&
        e.errorCode === ErrorCode.INVALID_RECORD &&
        /keyless record/.test(e.message),
    );
    assert.equal(c.produces().length, 1);
  } finally {
    await producer.close();
  }
});

test("a batch that keeps failing fails at delivery.timeout.ms; retries=0 fails it at the first error", async () => {
  const c = await cluster(() => ({ errorCode: ErrorCode.NOT_LEADER_OR_FOLLOWER }));
  const producer = new Producer({
    bootstrap: `127.0.0.1:${c.broker.port}`,
    lingerMs: 0,
    retryBackoffMs: 20,
    deliveryTimeoutMs: 400,
  });
  const started = performance.now();
  try {
    await assert.rejects(producer.send({ topic: "t", value: "x" }), (e: unknown) => e instanceof KafkaError);
    const elapsed = performance.now() - started;
    assert.ok(elapsed >= 300 && elapsed < 3000, `failed after ${elapsed.toFixed(0)} ms`);
    assert.ok(c.produces().length >= 3, "retried while the timeout allowed");
  } finally {
    await producer.close();
  }
  const once = await cluster(() => ({ errorCode: ErrorCode.NOT_LEADER_OR_FOLLOWER }));
  const noRetries = new Producer({
    bootstrap: `127.0.0.1:${once.broker.port}`,
    lingerMs: 0,
    retries: 0,
    acks: 1,
  });
  try {
    await assert.rejects(noRetries.send({ topic: "t", value: "x" }), (e: unknown) => e instanceof KafkaError);
    assert.equal(once.produces().length, 1);
  } finally {
    await noRetries.close();
  }
});

test("send with a callback: the callback hears the outcome, a failure nobody awaits is not unhandled", async () => {
  const c = await cluster((_, attempt) =>
    attempt === 0 ? { errorCode: 0, baseOffset: 4n } : { errorCode: ErrorCode.INVALID_RECORD },
  );
  const producer = new Producer({ bootstrap: `127.0.0.1:${c.broker.port}`, lingerMs: 0 });
  const unhandled: unknown[] = [];
  const onUnhandled = (reason: unknown) => unhandled.push(reason);
  process.on("unhandledRejection", onUnhandled);
  try {
    const ok = await new Promise<[Error | null, bigint | undefined]>((resolve) => {
      void producer.send({ topic: "t", value: "a" }, (error, metadata) => resolve([error, metadata?.offset]));
    });
    assert.deepEqual(ok, [null, 4n]);
    const failed = await new Promise<[Error | null, unknown]>((resolve) => {
      // The returned promise is dropped on purpose, as callback-style code does.
      producer.send({ topic: "t", value: "b" }, (error, metadata) => resolve([error, metadata]));
    });
    assert.ok(failed[0] instanceof KafkaError && failed[0].errorCode === ErrorCode.INVALID_RECORD);
    assert.equal(failed[1], null);
    await new Promise((resolve) => setTimeout(resolve, 50));
    assert.deepEqual(unhandled, []);
  } finally {
    process.off("unhandledRejection", onUnhandled);
    await producer.close();
  }
});

test("buffer.memory: a record larger than the buffer is refused; past the bound records wait, then time out at max.block.ms", async () => {
  let release: (() => void) | null = null;
  const held = new Promise<void>((resolve) => {
    release = resolve;
  });
  // The broker holds the first answer back: its 200 bytes stay buffered, the next record waits.
  const c = await cluster(async (_, attempt) => {
    if (attempt === 0) await held;
    return { errorCode: 0, baseOffset: 0n };
  });
  const producer = new Producer({
    bootstrap: `127.0.0.1:${c.broker.port}`,
    lingerMs: 0,
    bufferMemory: 300,
    maxBlockMs: 200,
  });
  try {
    await assert.rejects(
      producer.send({ topic: "t", value: Buffer.alloc(400) }),
      (e: unknown) =>
        e instanceof KafkaError &&
        e.errorCode === ErrorCode.MESSAGE_TOO_LARGE &&
        /buffer\.memory/.test(e.message),
    );
    const first = producer.send({ topic: "t", value: Buffer.alloc(200) });
    const second = producer.send({ topic: "t", value: Buffer.alloc(200) });
    await assert.rejects(second, /Failed to allocate memory within the configured max blocking time 200 ms/);
    const third = producer.send({ topic: "t", value: Buffer.alloc(50) });
    (release as unknown as () => void)();
    await Promise.all([first, third]);
  } finally {
    await producer.close();
  }
});
