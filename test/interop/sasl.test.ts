import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { Kafka, logLevel, type SASLOptions } from "kafkajs";
import { writePropertiesFile } from "../helpers/properties-file.js";
import { testCerts } from "../helpers/test-certs.js";
import {
  BROOK_MAIN,
  BrokerProcess,
  kcat,
  kcatConsume,
  kcatSaslPlain,
  pythonClient,
  runTool,
  TEST_TIMEOUT_MS,
} from "./broker-process.js";

/**
 * A broker process with SASL listeners beside PLAINTEXT, as an operator adds authentication:
 * SASL_PLAINTEXT with PLAIN (users from the listener's PlainLoginModule JAAS entry) and SCRAM
 * (users created with `brook configs`, kept as metadata records), and SASL_SSL with PLAIN alone
 * over the TLS test's certificates. Real clients log in: kcat (librdkafka), confluent-
 * kafka for Python, Brook's own tools with --command-config; wrong passwords and mechanisms are
 * refused with Kafka's messages while the broker keeps serving.
 */

const certs = testCerts();
const PLAIN_JAAS =
  'org.apache.kafka.common.security.plain.PlainLoginModule required username="admin" password="admin-secret" ' +
  'user_admin="admin-secret" user_alice="alice-secret";';
const OVERRIDES = {
  listeners:
    "PLAINTEXT://127.0.0.1:0,SASL_PLAINTEXT://127.0.0.1:0,SASL_SSL://127.0.0.1:0,CONTROLLER://127.0.0.1:0",
  "advertised.listeners": "PLAINTEXT://127.0.0.1:0,SASL_PLAINTEXT://127.0.0.1:0,SASL_SSL://127.0.0.1:0",
  "listener.security.protocol.map":
    "PLAINTEXT:PLAINTEXT,SASL_PLAINTEXT:SASL_PLAINTEXT,SASL_SSL:SASL_SSL,CONTROLLER:PLAINTEXT",
  "sasl.enabled.mechanisms": "PLAIN,SCRAM-SHA-256,SCRAM-SHA-512",
  // The SASL_SSL listener enables PLAIN alone: a per-listener override.
  "listener.name.sasl_ssl.sasl.enabled.mechanisms": "PLAIN",
  "listener.name.sasl_plaintext.plain.sasl.jaas.config": PLAIN_JAAS,
  "listener.name.sasl_ssl.plain.sasl.jaas.config": PLAIN_JAAS,
  "ssl.keystore.type": "PEM",
  "ssl.keystore.location": certs.serverKeystorePem,
  "num.partitions": "1",
};

const KCAT_PLAIN = kcatSaslPlain;

let broker: BrokerProcess;
let saslPlaintext = "";
let saslSsl = "";
let dir = "";

before(async () => {
  dir = mkdtempSync(join(tmpdir(), "brook-sasl-"));
  broker = await BrokerProcess.start({ overrides: OVERRIDES });
  saslPlaintext = broker.listenerAddress("SASL_PLAINTEXT");
  saslSsl = broker.listenerAddress("SASL_SSL");
});

after(async () => {
  await broker?.dispose();
  rmSync(dir, { recursive: true, force: true });
});

const properties = (name: string, lines: Record<string, string>): string =>
  writePropertiesFile(dir, name, lines);

test("kcat logs in with SASL/PLAIN, produces and consumes; the PLAINTEXT listener serves the same log", {
  timeout: TEST_TIMEOUT_MS,
}, async () => {
  await kcat(["-b", saslPlaintext, "-P", "-t", "over-sasl", "-K:", ...KCAT_PLAIN("alice", "alice-secret")], {
    input: "k1:one\nk2:two\n",
  });
  const records = await kcatConsume(saslPlaintext, "over-sasl", KCAT_PLAIN("alice", "alice-secret"));
  assert.deepEqual(
    records.map((r) => [r.key, r.payload]),
    [
      ["k1", "one"],
      ["k2", "two"],
    ],
  );
  const viaPlaintext = await kcatConsume(broker.bootstrap, "over-sasl");
  assert.deepEqual(
    viaPlaintext.map((r) => r.payload),
    ["one", "two"],
  );
  broker.assertAlive();
});

test("a wrong password is refused with Kafka's message, an unknown mechanism too; the broker keeps serving", {
  timeout: TEST_TIMEOUT_MS,
}, async () => {
  const wrong = await runTool("kcat", [
    "-b",
    saslPlaintext,
    "-L",
    "-m",
    "3",
    ...KCAT_PLAIN("alice", "not-it"),
  ]);
  assert.notEqual(wrong.code, 0, "kcat with a wrong password gets no metadata");
  assert.match(wrong.stderr, /Authentication failed: Invalid username or password/);
  const scram = await runTool("kcat", [
    "-b",
    saslSsl,
    "-L",
    "-m",
    "3",
    "-X",
    `ssl.ca.location=${certs.caPem}`,
    ...KCAT_PLAIN("alice", "alice-secret").map((a) =>
      a === "sasl.mechanisms=PLAIN"
        ? "sasl.mechanisms=SCRAM-SHA-256"
        : a === "security.protocol=SASL_PLAINTEXT"
          ? "security.protocol=SASL_SSL"
          : a,
    ),
  ]);
  assert.notEqual(scram.code, 0, "a mechanism the listener does not enable gets no metadata");
  assert.match(scram.stderr, /SCRAM-SHA-256/);
  assert.match(scram.stderr, /PLAIN/, "librdkafka reports the broker's enabled mechanisms");
  // A client that skips authentication on the SASL port gets nothing either.
  const anonymous = await runTool("kcat", ["-b", saslPlaintext, "-L", "-m", "3"]);
  assert.notEqual(anonymous.code, 0);
  // And the right password still works afterwards.
  const listing = await kcat(["-b", saslPlaintext, "-L", ...KCAT_PLAIN("admin", "admin-secret")]);
  assert.match(listing, new RegExp(`broker 1 at ${saslPlaintext.replace(/\./g, "\\.")}`));
  broker.assertAlive();
});

test("SASL_SSL: kcat verifies the broker's certificate and logs in with PLAIN", {
  timeout: TEST_TIMEOUT_MS,
}, async () => {
  const options = [
    "-X",
    "security.protocol=SASL_SSL",
    "-X",
    `ssl.ca.location=${certs.caPem}`,
    "-X",
    "sasl.mechanisms=PLAIN",
    "-X",
    "sasl.username=alice",
    "-X",
    "sasl.password=alice-secret",
  ];
  await kcat(["-b", saslSsl, "-P", "-t", "over-sasl-ssl", ...options], { input: "sealed\n" });
  const records = await kcatConsume(saslSsl, "over-sasl-ssl", options);
  assert.deepEqual(
    records.map((r) => r.payload),
    ["sealed"],
  );
  // Brook's tools: TLS with the trust store, then the login.
  const config = properties("sasl-ssl.properties", {
    "security.protocol": "SASL_SSL",
    "ssl.truststore.type": "PEM",
    "ssl.truststore.location": certs.caPem,
    "sasl.mechanism": "PLAIN",
    "sasl.jaas.config":
      'org.apache.kafka.common.security.plain.PlainLoginModule required username="alice" password="alice-secret";',
  });
  const listed = await runTool(
    process.execPath,
    [
      BROOK_MAIN,
      "topics",
      "--bootstrap-server",
      saslSsl,
      "--command-config",
      config,
      "--list",
      "--topic",
      "over-sasl-ssl",
    ],
    { timeoutMs: 60_000 },
  );
  assert.deepEqual([listed.code, listed.stdout, listed.stderr], [0, "over-sasl-ssl\n", ""]);
});

test("confluent-kafka for Python produces and consumes with SASL/PLAIN", {
  timeout: TEST_TIMEOUT_MS,
}, async () => {
  const config = {
    "bootstrap.servers": saslPlaintext,
    "security.protocol": "SASL_PLAINTEXT",
    "sasl.mechanisms": "PLAIN",
    "sasl.username": "alice",
    "sasl.password": "alice-secret",
  };
  const produced = await pythonClient<{ reports: { error: string | null }[]; errors: string[] }>({
    op: "produce",
    config,
    messages: [0, 1].map((i) => ({ topic: "python-sasl", key: `k${i}`, value: `v${i}` })),
  });
  assert.deepEqual(
    produced.reports.map((r) => r.error),
    [null, null],
    produced.errors.join("\n"),
  );
  const consumed = await pythonClient<{ records: { value: string }[]; errors: string[] }>({
    op: "consume",
    config: { ...config, "group.id": "python-sasl" },
    assignments: [{ topic: "python-sasl", partition: 0, offset: 0 }],
  });
  assert.deepEqual(
    consumed.records.map((r) => r.value),
    ["v0", "v1"],
    consumed.errors.join("\n"),
  );
});

test("brook's tools log in with security.protocol=SASL_PLAINTEXT, sasl.mechanism and sasl.jaas.config", {
  timeout: TEST_TIMEOUT_MS,
}, async () => {
  const topics = (config: string, ...args: string[]) =>
    runTool(
      process.execPath,
      [BROOK_MAIN, "topics", "--bootstrap-server", saslPlaintext, "--command-config", config, ...args],
      { timeoutMs: 60_000 },
    );
  const jaas = (password: string) =>
    `org.apache.kafka.common.security.plain.PlainLoginModule required username="alice" password="${password}";`;
  const good = properties("plain.properties", {
    "security.protocol": "SASL_PLAINTEXT",
    "sasl.mechanism": "PLAIN",
    "sasl.jaas.config": jaas("alice-secret"),
  });
  const created = await topics(good, "--create", "--topic", "made-over-sasl", "--partitions", "2");
  assert.deepEqual(
    [created.code, created.stdout, created.stderr],
    [0, "Created topic made-over-sasl.\n", ""],
  );
  const producer = await runTool(
    process.execPath,
    [
      BROOK_MAIN,
      "console-producer",
      "--bootstrap-server",
      saslPlaintext,
      "--topic",
      "made-over-sasl",
      "--producer.config",
      good,
    ],
    { input: "hello\n", timeoutMs: 60_000 },
  );
  assert.equal(producer.code, 0, producer.stderr);
  const consumer = await runTool(
    process.execPath,
    [
      BROOK_MAIN,
      "console-consumer",
      "--bootstrap-server",
      saslPlaintext,
      "--topic",
      "made-over-sasl",
      "--from-beginning",
      "--max-messages",
      "1",
      "--consumer.config",
      good,
    ],
    { timeoutMs: 60_000 },
  );
  assert.deepEqual([consumer.code, consumer.stdout], [0, "hello\n"], consumer.stderr);
  const startedMs = Date.now();
  const bad = properties("bad.properties", {
    "security.protocol": "SASL_PLAINTEXT",
    "sasl.mechanism": "PLAIN",
    "sasl.jaas.config": jaas("wrong"),
  });
  const refused = await topics(bad, "--list");
  assert.equal(refused.code, 1, refused.stdout + refused.stderr);
  assert.match(
    refused.stdout + refused.stderr,
    /Authentication failed: Invalid username or password/,
    JSON.stringify(refused),
  );
  assert.ok(Date.now() - startedMs < 20_000, "an authentication failure is not retried until the timeout");
});

test("SCRAM: brook configs creates a user (kafka-configs.sh's syntax), kcat logs in with SCRAM-SHA-256 and -512", {
  timeout: TEST_TIMEOUT_MS,
}, async () => {
  const configs = (...args: string[]) =>
    runTool(process.execPath, [BROOK_MAIN, "configs", "--bootstrap-server", broker.bootstrap, ...args], {
      timeoutMs: 60_000,
    });
  const alter = (config: string) =>
    configs("--alter", "--add-config", config, "--entity-type", "users", "--entity-name", "carol");
  // As in KRaft, one request alters one credential per user: both at once is DUPLICATE_RESOURCE.
  const both = await alter(
    "SCRAM-SHA-256=[iterations=8192,password=carol-secret],SCRAM-SHA-512=[password=carol-512]",
  );
  assert.notEqual(both.code, 0);
  assert.match(both.stdout + both.stderr, /A user credential cannot be altered twice in the same request/);
  const created = await alter("SCRAM-SHA-256=[iterations=8192,password=carol-secret]");
  assert.deepEqual(
    [created.code, created.stdout],
    [0, "Completed updating config for user carol.\n"],
    created.stderr,
  );
  const created512 = await alter("SCRAM-SHA-512=[password=carol-512]");
  assert.equal(created512.code, 0, created512.stderr);
  const described = await configs("--describe", "--entity-type", "users", "--entity-name", "carol");
  assert.equal(described.code, 0, described.stderr);
  assert.equal(
    described.stdout,
    "SCRAM credential configs for user-principal 'carol' are SCRAM-SHA-256=iterations=8192, SCRAM-SHA-512=iterations=4096\n",
  );
  const tooFew = await configs(
    "--alter",
    "--add-config",
    "SCRAM-SHA-256=[iterations=1000,password=x]",
    "--entity-type",
    "users",
    "--entity-name",
    "dave",
  );
  assert.notEqual(tooFew.code, 0);
  assert.match(
    tooFew.stdout + tooFew.stderr,
    /Iterations 1000 is less than the minimum 4096 required for SCRAM-SHA-256/,
  );
  const scram = (mechanism: string, password: string) => [
    "-X",
    "security.protocol=SASL_PLAINTEXT",
    "-X",
    `sasl.mechanisms=${mechanism}`,
    "-X",
    "sasl.username=carol",
    "-X",
    `sasl.password=${password}`,
  ];
  await kcat(["-b", saslPlaintext, "-P", "-t", "over-scram", ...scram("SCRAM-SHA-256", "carol-secret")], {
    input: "salted\n",
  });
  const records = await kcatConsume(saslPlaintext, "over-scram", scram("SCRAM-SHA-512", "carol-512"));
  assert.deepEqual(
    records.map((r) => r.payload),
    ["salted"],
  );
  const wrong = await runTool("kcat", [
    "-b",
    saslPlaintext,
    "-L",
    "-m",
    "3",
    ...scram("SCRAM-SHA-256", "carol-512"),
  ]);
  assert.notEqual(wrong.code, 0);
  assert.match(
    wrong.stderr,
    /Authentication failed during authentication due to invalid credentials with SASL mechanism SCRAM-SHA-256/,
  );
  // Brook's own tools log in with SCRAM too.
  const config = properties("scram.properties", {
    "security.protocol": "SASL_PLAINTEXT",
    "sasl.mechanism": "SCRAM-SHA-256",
    "sasl.jaas.config":
      'org.apache.kafka.common.security.scram.ScramLoginModule required username="carol" password="carol-secret";',
  });
  const listed = await runTool(
    process.execPath,
    [
      BROOK_MAIN,
      "topics",
      "--bootstrap-server",
      saslPlaintext,
      "--command-config",
      config,
      "--list",
      "--topic",
      "over-scram",
    ],
    { timeoutMs: 60_000 },
  );
  assert.deepEqual([listed.code, listed.stdout], [0, "over-scram\n"], listed.stderr);
  // Deleting the credential ends the logins.
  const deleted = await configs(
    "--alter",
    "--delete-config",
    "SCRAM-SHA-256",
    "--entity-type",
    "users",
    "--entity-name",
    "carol",
  );
  assert.equal(deleted.code, 0, deleted.stderr);
  const gone = await runTool("kcat", [
    "-b",
    saslPlaintext,
    "-L",
    "-m",
    "3",
    ...scram("SCRAM-SHA-256", "carol-secret"),
  ]);
  assert.notEqual(gone.code, 0, "a deleted credential no longer logs in");
});

test("kafkajs logs in with SCRAM-SHA-512 and PLAIN, produces and consumes", {
  timeout: TEST_TIMEOUT_MS,
}, async () => {
  const created = await runTool(
    process.execPath,
    [
      BROOK_MAIN,
      "configs",
      "--bootstrap-server",
      broker.bootstrap,
      "--alter",
      "--add-config",
      "SCRAM-SHA-512=[iterations=4096,password=erin-secret]",
      "--entity-type",
      "users",
      "--entity-name",
      "erin",
    ],
    { timeoutMs: 60_000 },
  );
  assert.equal(created.code, 0, created.stderr);
  const client = (sasl: SASLOptions) =>
    new Kafka({
      clientId: "kafkajs-sasl",
      brokers: [saslPlaintext],
      sasl,
      connectionTimeout: 3000,
      requestTimeout: 10_000,
      retry: { retries: 2, initialRetryTime: 100, maxRetryTime: 500 },
      logLevel: logLevel.NOTHING,
    });
  const scram = client({ mechanism: "scram-sha-512", username: "erin", password: "erin-secret" });
  const producer = scram.producer();
  await producer.connect();
  await producer.send({ topic: "kafkajs-sasl", messages: [{ key: "k", value: "via-scram" }] });
  await producer.disconnect();
  const admin = client({ mechanism: "plain", username: "alice", password: "alice-secret" }).admin();
  await admin.connect();
  const offsets = await admin.fetchTopicOffsets("kafkajs-sasl");
  await admin.disconnect();
  assert.deepEqual(
    offsets.map((o) => o.high),
    ["1"],
  );
  const refused = client({ mechanism: "scram-sha-512", username: "erin", password: "wrong" }).admin();
  await assert.rejects(refused.connect(), /SASL SCRAM SHA512 authentication failed|Authentication failed/);
});
