import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import {
  AdminClient,
  ClientError,
  ClientErrorCode,
  KafkaConnection,
  type KafkaConnectionOptions,
} from "../../../src/client/index.js";
import { type BrookServer, startBroker } from "../../../src/index.js";
import {
  ApiKey,
  ErrorCode,
  encodeRecordBatch,
  type MetadataResponse,
  type ProduceResponse,
  type SaslHandshakeResponse,
} from "../../../src/protocol/index.js";

/**
 * A broker in this process with a SASL_PLAINTEXT listener (PLAIN, users from its JAAS entry)
 * beside PLAINTEXT, and Brook's own client logging in: what a client sees for a right and a
 * wrong password, a mechanism the listener does not enable, and a request sent before logging in.
 */

let server: BrookServer;
let saslPort = 0;

before(async () => {
  server = await startBroker({
    properties: {
      listeners: "PLAINTEXT://127.0.0.1:0,SASL_PLAINTEXT://127.0.0.1:0,CONTROLLER://127.0.0.1:0",
      "advertised.listeners": "PLAINTEXT://127.0.0.1:0,SASL_PLAINTEXT://127.0.0.1:0",
      "listener.security.protocol.map":
        "PLAINTEXT:PLAINTEXT,SASL_PLAINTEXT:SASL_PLAINTEXT,CONTROLLER:PLAINTEXT",
      "sasl.enabled.mechanisms": "PLAIN",
      "listener.name.sasl_plaintext.plain.sasl.jaas.config":
        'org.apache.kafka.common.security.plain.PlainLoginModule required user_alice="alice-secret" user_bob="bob-secret";',
      "quota.window.num": "2",
    },
  });
  saslPort = server.broker.listeners.find((l) => l.name === "SASL_PLAINTEXT")?.boundPort ?? 0;
});

after(() => server?.stop());

const options = (extra: Partial<KafkaConnectionOptions> = {}): KafkaConnectionOptions => ({
  host: "127.0.0.1",
  port: saslPort,
  clientId: "sasl-test",
  connectTimeoutMs: 5000,
  ...extra,
});

test("the right password: requests are served, and the broker counts the user's connection", async () => {
  const c = await KafkaConnection.connect(
    options({ sasl: { mechanism: "PLAIN", username: "alice", password: "alice-secret" } }),
  );
  const metadata = await c.request<MetadataResponse>(ApiKey.Metadata, 12, { topics: null });
  assert.ok(
    metadata.brokers.some((b) => b.port === saslPort),
    "the broker names its SASL endpoint to a SASL client",
  );
  // A second handshake on an authenticated connection is ILLEGAL_SASL_STATE, as in Kafka.
  const again = await c.request<SaslHandshakeResponse>(ApiKey.SaslHandshake, 1, { mechanism: "PLAIN" });
  assert.equal(again.errorCode, ErrorCode.ILLEGAL_SASL_STATE);
  c.close();
  assert.ok(server.broker.networkStats().saslAuthenticationsTotal >= 1);
});

test("a wrong password fails at once with BRK_ERR_CLIENT_AUTHENTICATION and Kafka's message", async () => {
  await assert.rejects(
    KafkaConnection.connect(options({ sasl: { mechanism: "PLAIN", username: "alice", password: "guess" } })),
    (e: unknown) =>
      e instanceof ClientError &&
      e.code === ClientErrorCode.authentication &&
      e.message.includes("Authentication failed: Invalid username or password"),
  );
  // The admin client does not retry it until its timeout either.
  const admin = new AdminClient({
    bootstrap: `127.0.0.1:${saslPort}`,
    timeoutMs: 20_000,
    sasl: { mechanism: "PLAIN", username: "bob", password: "x" },
  });
  const startedMs = performance.now();
  await assert.rejects(
    admin.listTopics(),
    (e: unknown) => e instanceof ClientError && e.code === ClientErrorCode.authentication,
  );
  assert.ok(performance.now() - startedMs < 10_000);
  admin.close();
});

test("a mechanism the listener does not enable is refused, naming the ones it does", async () => {
  await assert.rejects(
    KafkaConnection.connect(
      options({ sasl: { mechanism: "SCRAM-SHA-256", username: "alice", password: "alice-secret" } }),
    ),
    (e: unknown) =>
      e instanceof ClientError &&
      e.code === ClientErrorCode.authentication &&
      e.message.includes("does not accept mechanism SCRAM-SHA-256 (it accepts PLAIN)"),
  );
});

test("a request before authentication: ILLEGAL_SASL_STATE, then the broker closes the connection", async () => {
  const c = await KafkaConnection.connect(options());
  const closed = new Promise<void>((resolve) => c.onClose(() => resolve()));
  const answer = await c.request<MetadataResponse>(ApiKey.Metadata, 12, { topics: null });
  assert.ok(answer.topics.length === 0 && answer.brokers.length === 0, "an error response carries nothing");
  await closed;
  // The PLAINTEXT listener is unaffected.
  const plain = await KafkaConnection.connect({ ...options(), port: server.port });
  await plain.request<MetadataResponse>(ApiKey.Metadata, 12, { topics: null });
  plain.close();
});

test("the authenticated user is the one client quotas match: alice is throttled, bob is not", async () => {
  const admin = new AdminClient({ bootstrap: server.bootstrap, timeoutMs: 10_000 });
  try {
    const [altered] = await admin.alterClientQuotas([
      { entity: { user: "alice" }, ops: [{ key: "producer_byte_rate", value: 10_000 }] },
    ]);
    assert.equal(altered?.errorCode, ErrorCode.NONE, altered?.errorMessage ?? "");
    const [created] = await admin.createTopics([{ name: "metered", numPartitions: 1, replicationFactor: 1 }]);
    assert.equal(created?.errorCode, ErrorCode.NONE, created?.errorMessage ?? "");
  } finally {
    admin.close();
  }
  const throttledAfter = async (username: string): Promise<number> => {
    const c = await KafkaConnection.connect(
      options({ sasl: { mechanism: "PLAIN", username, password: `${username}-secret` } }),
    );
    try {
      let throttleMs = 0;
      for (let i = 0; i < 10 && throttleMs === 0; i++) {
        const records = encodeRecordBatch({
          records: [{ key: null, value: Buffer.alloc(30_000, 1) }],
          baseTimestamp: BigInt(Date.now()),
        });
        const r = await c.request<ProduceResponse>(ApiKey.Produce, 9, {
          transactionalId: null,
          acks: 1,
          timeoutMs: 5000,
          topicData: [{ name: "metered", partitionData: [{ index: 0, records }] }],
        });
        assert.equal(r.responses[0]?.partitionResponses[0]?.errorCode, ErrorCode.NONE);
        throttleMs = r.throttleTimeMs;
      }
      return throttleMs;
    } finally {
      c.close();
    }
  };
  assert.equal(await throttledAfter("bob"), 0, "bob has no quota");
  assert.ok((await throttledAfter("alice")) > 1000, "30 KB at 10 KB/s throttles alice");
});
