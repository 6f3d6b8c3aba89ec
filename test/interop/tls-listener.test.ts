import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { connect as netConnect, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { connect as tlsConnect } from "node:tls";
import { writePropertiesFile } from "../helpers/properties-file.js";
import { STORE_PASSWORD, testCerts } from "../helpers/test-certs.js";
import {
  BROOK_MAIN,
  BrokerProcess,
  kcat,
  kcatConsume,
  pythonClient,
  runTool,
  TEST_TIMEOUT_MS,
} from "./broker-process.js";

/**
 * A broker process with three Kafka listeners, as an operator adds TLS beside plaintext:
 * PLAINTEXT, SSL (the broker's PEM key store, clients verify it against the test CA) and MTLS
 * (SSL with listener.name.mtls.ssl.client.auth=required). Real clients on each: kcat (librdkafka
 * 2.0), confluent-kafka for Python, Brook's own tools with --command-config; and what must not
 * crash it: a client that distrusts its certificate, plaintext bytes on the SSL port, a TLS
 * ClientHello on the plaintext port.
 */

const certs = testCerts();
const TLS_OVERRIDES = {
  listeners: "PLAINTEXT://127.0.0.1:0,SSL://127.0.0.1:0,MTLS://127.0.0.1:0,CONTROLLER://127.0.0.1:0",
  "advertised.listeners": "PLAINTEXT://127.0.0.1:0,SSL://127.0.0.1:0,MTLS://127.0.0.1:0",
  "listener.security.protocol.map": "PLAINTEXT:PLAINTEXT,SSL:SSL,MTLS:SSL,CONTROLLER:PLAINTEXT",
  "ssl.keystore.type": "PEM",
  "ssl.keystore.location": certs.serverKeystorePem,
  "ssl.truststore.type": "PEM",
  "ssl.truststore.location": certs.caPem,
  "listener.name.mtls.ssl.client.auth": "required",
  "num.partitions": "1",
};
/** librdkafka's TLS settings: verify the broker against the test CA. */
const KCAT_SSL = ["-X", "security.protocol=ssl", "-X", `ssl.ca.location=${certs.caPem}`];
const KCAT_CLIENT_CERT = [
  "-X",
  `ssl.certificate.location=${certs.clientCertPem}`,
  "-X",
  `ssl.key.location=${certs.clientKeyPem}`,
];

let broker: BrokerProcess;
let ssl = "";
let mtls = "";
let dir = "";

before(async () => {
  dir = mkdtempSync(join(tmpdir(), "brook-tls-"));
  broker = await BrokerProcess.start({ overrides: TLS_OVERRIDES });
  ssl = broker.listenerAddress("SSL");
  mtls = broker.listenerAddress("MTLS");
});

after(async () => {
  await broker?.dispose();
  rmSync(dir, { recursive: true, force: true });
});

const properties = (name: string, lines: Record<string, string>): string =>
  writePropertiesFile(dir, name, lines);

function closed(socket: Socket): Promise<void> {
  return new Promise((resolve) => {
    socket.on("error", () => {});
    socket.once("close", () => resolve());
  });
}

test("kcat produces and consumes over SSL, verifying the broker's certificate; the PLAINTEXT listener serves the same log", {
  timeout: TEST_TIMEOUT_MS,
}, async () => {
  await kcat(["-b", ssl, "-P", "-t", "over-tls", "-K:", ...KCAT_SSL], {
    input: "k1:one\nk2:two\nk3:three\n",
  });
  const viaTls = await kcatConsume(ssl, "over-tls", KCAT_SSL);
  assert.deepEqual(
    viaTls.map((r) => [r.key, r.payload]),
    [
      ["k1", "one"],
      ["k2", "two"],
      ["k3", "three"],
    ],
  );
  const viaPlaintext = await kcatConsume(broker.bootstrap, "over-tls");
  assert.deepEqual(
    viaPlaintext.map((r) => r.payload),
    ["one", "two", "three"],
  );
  // Metadata names each broker by the listener the request came in on, as Kafka does.
  const listing = await kcat(["-b", ssl, "-L", "-t", "over-tls", ...KCAT_SSL]);
  assert.match(listing, new RegExp(`broker 1 at ${ssl.replace(/\./g, "\\.")}`));
  broker.assertAlive();
});

test("mutual TLS: kcat with a client certificate is served where ssl.client.auth=required; without one it is refused", {
  timeout: TEST_TIMEOUT_MS,
}, async () => {
  await kcat(["-b", mtls, "-P", "-t", "over-mtls", ...KCAT_SSL, ...KCAT_CLIENT_CERT], { input: "signed\n" });
  const records = await kcatConsume(mtls, "over-mtls", [...KCAT_SSL, ...KCAT_CLIENT_CERT]);
  assert.deepEqual(
    records.map((r) => r.payload),
    ["signed"],
  );
  const refused = await runTool("kcat", ["-b", mtls, "-L", "-m", "3", ...KCAT_SSL]);
  assert.notEqual(refused.code, 0, "kcat without a certificate gets no metadata");
  assert.match(refused.stderr, /tlsv13 alert certificate required/);
  assert.match(
    broker.stderr,
    /TLS handshake with 127\.0\.0\.1:\d+ on MTLS failed: the client sent no certificate, and ssl\.client\.auth=required/,
  );
  broker.assertAlive();
});

test("a client that distrusts the broker's certificate fails its handshake; the broker logs it once and serves others", {
  timeout: TEST_TIMEOUT_MS,
}, async () => {
  const wrongCa = ["-X", "security.protocol=ssl", "-X", `ssl.ca.location=${certs.otherCaPem}`];
  // Three attempts (librdkafka retries within -m): one log line for the reason, not one per attempt.
  const distrust = await runTool("kcat", ["-b", ssl, "-L", "-m", "3", ...wrongCa]);
  assert.notEqual(distrust.code, 0);
  assert.match(distrust.stderr, /certificate verify failed/);
  const lines = broker.stderr
    .split("\n")
    .filter((l) => /on SSL failed: the client ended the handshake/.test(l));
  assert.equal(lines.length, 1, broker.stderr);
  assert.match(lines[0] ?? "", /unknown ca/);
  broker.assertAlive();
  const fine = await kcat(["-b", ssl, "-L", ...KCAT_SSL]);
  assert.match(fine, /1 brokers:/);
});

test("a plaintext Kafka request on the SSL port and a TLS ClientHello on the plaintext port close only those connections", {
  timeout: TEST_TIMEOUT_MS,
}, async () => {
  const [host, port] = ssl.split(":");
  const plain = netConnect(Number(port), host);
  // ApiVersions v3, as a plaintext client would send it.
  plain.write(Buffer.from("000000140012000300000001000a6b61666b612d74657374", "hex"));
  await closed(plain);
  const [plainHost, plainPort] = broker.bootstrap.split(":");
  const hello = tlsConnect({ host: plainHost, port: Number(plainPort), rejectUnauthorized: false });
  await closed(hello);
  broker.assertAlive();
  assert.match(broker.stderr, /on SSL failed: not TLS \(a plaintext client on an SSL listener\?\)/);
  assert.match(await kcat(["-b", ssl, "-L", ...KCAT_SSL]), /1 brokers:/);
  assert.match(await kcat(["-b", broker.bootstrap, "-L"]), /1 brokers:/);
  // librdkafka speaking TLS to the plaintext listener: the broker reads its ClientHello as an
  // oversized frame and closes the connection.
  const mixedUp = await runTool("kcat", ["-b", broker.bootstrap, "-L", "-m", "2", ...KCAT_SSL]);
  assert.notEqual(mixedUp.code, 0);
  assert.match(mixedUp.stderr, /SSL handshake failed|connecting to a PLAINTEXT broker listener\?/);
});

test("confluent-kafka (Python) produces and consumes over mutual TLS", {
  timeout: TEST_TIMEOUT_MS,
}, async () => {
  const config = {
    "bootstrap.servers": mtls,
    "security.protocol": "SSL",
    "ssl.ca.location": certs.caPem,
    "ssl.certificate.location": certs.clientCertPem,
    "ssl.key.location": certs.clientKeyPem,
  };
  const produced = await pythonClient<{ reports: { error: string | null }[]; errors: string[] }>({
    op: "produce",
    config,
    messages: [0, 1, 2].map((i) => ({ topic: "python-tls", key: `k${i}`, value: `v${i}` })),
  });
  assert.deepEqual(
    produced.reports.map((r) => r.error),
    [null, null, null],
    produced.errors.join("\n"),
  );
  const consumed = await pythonClient<{ records: { value: string }[]; errors: string[] }>({
    op: "consume",
    config: { ...config, "group.id": "python-tls" },
    assignments: [{ topic: "python-tls", partition: 0, offset: 0 }],
  });
  assert.deepEqual(
    consumed.records.map((r) => r.value),
    ["v0", "v1", "v2"],
    consumed.errors.join("\n"),
  );
});

test("brook topics --command-config speaks TLS: PEM and PKCS12 trust stores, a client key store for mutual TLS", {
  timeout: TEST_TIMEOUT_MS,
}, async () => {
  const topics = (bootstrap: string, config: string, ...args: string[]) =>
    runTool(
      process.execPath,
      [BROOK_MAIN, "topics", "--bootstrap-server", bootstrap, "--command-config", config, ...args],
      {
        timeoutMs: 60_000,
      },
    );
  const pem = properties("pem.properties", {
    "security.protocol": "SSL",
    "ssl.truststore.type": "PEM",
    "ssl.truststore.location": certs.caPem,
  });
  const created = await topics(ssl, pem, "--create", "--topic", "made-over-tls", "--partitions", "2");
  assert.deepEqual([created.code, created.stdout, created.stderr], [0, "Created topic made-over-tls.\n", ""]);
  const pkcs12 = properties("pkcs12.properties", {
    "security.protocol": "SSL",
    "ssl.truststore.type": "PKCS12",
    "ssl.truststore.location": certs.truststoreP12,
    "ssl.truststore.password": STORE_PASSWORD,
  });
  const described = await topics(ssl, pkcs12, "--describe", "--topic", "made-over-tls");
  assert.equal(described.code, 0, described.stderr);
  assert.match(described.stdout, /Topic: made-over-tls\tTopicId: \S+\tPartitionCount: 2/);
  const mutual = properties("mtls.properties", {
    "security.protocol": "SSL",
    "ssl.truststore.type": "PEM",
    "ssl.truststore.location": certs.caPem,
    "ssl.keystore.type": "PEM",
    "ssl.keystore.location": certs.clientKeystorePem,
  });
  const listed = await topics(mtls, mutual, "--list", "--topic", "made-over-tls");
  assert.deepEqual([listed.code, listed.stdout], [0, "made-over-tls\n"]);
  // Without its certificate, and with a CA that did not sign the broker's: refused at once, saying why.
  const startedMs = Date.now();
  const noCert = await topics(mtls, pem, "--list");
  assert.equal(noCert.code, 1);
  assert.match(
    noCert.stdout,
    /Error while executing topic command : the broker at 127\.0\.0\.1:\d+ refused the TLS connection: .*certificate required/,
  );
  const wrongCa = properties("wrong-ca.properties", {
    "security.protocol": "SSL",
    "ssl.truststore.type": "PEM",
    "ssl.truststore.location": certs.otherCaPem,
  });
  const distrust = await topics(ssl, wrongCa, "--list");
  assert.equal(distrust.code, 1);
  assert.match(
    distrust.stdout,
    /Error while executing topic command : TLS handshake with 127\.0\.0\.1:\d+ failed: /,
  );
  assert.ok(Date.now() - startedMs < 30_000, "no retrying until default.api.timeout.ms");
  const sasl = await topics(
    ssl,
    properties("sasl.properties", { "security.protocol": "SASL_SSL" }),
    "--list",
  );
  assert.equal(sasl.code, 1);
  // Kafka's clients default to GSSAPI, which Brook's do not speak: refused at once, saying so.
  assert.match(sasl.stdout, /sasl\.mechanism=GSSAPI is not supported by Brook's clients/);
});

test("brook console-producer and console-consumer over SSL with --producer.config and --consumer.config", {
  timeout: TEST_TIMEOUT_MS,
}, async () => {
  const config = properties("console.properties", {
    "security.protocol": "SSL",
    "ssl.truststore.type": "PEM",
    "ssl.truststore.location": certs.caPem,
  });
  const produced = await runTool(
    process.execPath,
    [
      BROOK_MAIN,
      "console-producer",
      "--bootstrap-server",
      ssl,
      "--topic",
      "console-tls",
      "--producer.config",
      config,
    ],
    { input: "first\nsecond\n", timeoutMs: 60_000 },
  );
  assert.deepEqual([produced.code, produced.stderr], [0, ""]);
  const consumed = await runTool(
    process.execPath,
    [
      BROOK_MAIN,
      "console-consumer",
      "--bootstrap-server",
      ssl,
      "--topic",
      "console-tls",
      "--from-beginning",
      "--max-messages",
      "2",
      "--consumer.config",
      config,
    ],
    { timeoutMs: 60_000 },
  );
  assert.equal(consumed.code, 0, consumed.stderr);
  assert.equal(consumed.stdout, "first\nsecond\n");
});

test("a broker whose SSL listener has no key store, or a SASL listener with Kafka's default GSSAPI, does not start: exit code 2 and why", {
  timeout: TEST_TIMEOUT_MS,
}, async () => {
  const {
    "ssl.keystore.type": _type,
    "ssl.keystore.location": _location,
    ...withoutKeystore
  } = TLS_OVERRIDES;
  await assert.rejects(BrokerProcess.start({ overrides: withoutKeystore }), (e: unknown) => {
    assert.match(String(e), /exited \(code 2/);
    assert.match(
      String(e),
      /brook: Invalid value null for configuration ssl\.keystore\.location: the SSL listener SSL needs a key store/,
    );
    return true;
  });
  await assert.rejects(
    BrokerProcess.start({
      overrides: {
        ...TLS_OVERRIDES,
        "listener.security.protocol.map": "PLAINTEXT:PLAINTEXT,SSL:SASL_SSL,MTLS:SSL,CONTROLLER:PLAINTEXT",
      },
    }),
    (e: unknown) => {
      assert.match(String(e), /exited \(code 2/);
      assert.match(
        String(e),
        /the SASL listener SSL: SASL mechanism GSSAPI in sasl\.enabled\.mechanisms is not supported by Brook/,
      );
      return true;
    },
  );
});
