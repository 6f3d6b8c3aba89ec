import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { testCerts } from "../helpers/test-certs.js";
import { post, type RestAnswer, rest, V2, V2_BINARY, V2_JSON } from "../rest-proxy/rest-http.js";
import { BrokerProcess, kcat, kcatConsume, kcatSaslPlain, TEST_TIMEOUT_MS } from "./broker-process.js";

/**
 * The REST Proxy of a node whose only Kafka listener is SASL_SSL (kafka-rest's `client.*` keys,
 * under `rest.proxy.`): its clients log in with PLAIN over TLS, trusting the test CA. Records
 * produced over HTTP are what kcat, logged in over SASL_SSL, reads; records kcat produces are
 * read through a consumer instance; and a node whose proxy has no listener of its clients'
 * protocol refuses to start, saying which key to set.
 */

const certs = testCerts();
const PLAIN_JAAS =
  'org.apache.kafka.common.security.plain.PlainLoginModule required username="admin" password="admin-secret" ' +
  'user_admin="admin-secret" user_alice="alice-secret";';
const SECURED = {
  listeners: "SASL_SSL://127.0.0.1:0,CONTROLLER://127.0.0.1:0",
  "advertised.listeners": "SASL_SSL://127.0.0.1:0",
  "listener.security.protocol.map": "SASL_SSL:SASL_SSL,CONTROLLER:PLAINTEXT",
  "inter.broker.listener.name": "SASL_SSL",
  "sasl.enabled.mechanisms": "PLAIN",
  "sasl.mechanism.inter.broker.protocol": "PLAIN",
  "listener.name.sasl_ssl.plain.sasl.jaas.config": PLAIN_JAAS,
  "ssl.keystore.type": "PEM",
  "ssl.keystore.location": certs.serverKeystorePem,
  "ssl.truststore.type": "PEM",
  "ssl.truststore.location": certs.caPem,
  "num.partitions": "1",
  "rest.proxy.enable": "true",
  "rest.proxy.listeners": "http://127.0.0.1:0",
};
const PROXY_CLIENT = {
  "rest.proxy.client.security.protocol": "SASL_SSL",
  "rest.proxy.client.sasl.mechanism": "PLAIN",
  "rest.proxy.client.sasl.jaas.config":
    'org.apache.kafka.common.security.plain.PlainLoginModule required username="alice" password="alice-secret";',
  "rest.proxy.client.ssl.truststore.type": "PEM",
  "rest.proxy.client.ssl.truststore.location": certs.caPem,
};
/** kcat over SASL_SSL as alice, trusting the test CA. */
const KCAT = [
  ...kcatSaslPlain("alice", "alice-secret").map((a) =>
    a === "security.protocol=SASL_PLAINTEXT" ? "security.protocol=SASL_SSL" : a,
  ),
  "-X",
  `ssl.ca.location=${certs.caPem}`,
];

let broker: BrokerProcess;
let base = "";

before(async () => {
  broker = await BrokerProcess.start({ overrides: { ...SECURED, ...PROXY_CLIENT } });
  base = /\brest=(\S+)/.exec(broker.readyLine)?.[1] ?? "";
  assert.match(base, /^http:\/\/127\.0\.0\.1:\d+$/, broker.readyLine);
});

after(async () => {
  await broker?.dispose();
});

function ok(answer: RestAnswer, status = 200): RestAnswer {
  assert.equal(answer.status, status, answer.text);
  return answer;
}

test("records produced over HTTP reach a SASL_SSL-only node: kcat, logged in over TLS, reads them", {
  timeout: TEST_TIMEOUT_MS,
}, async () => {
  const answer = ok(
    await post(base, "/topics/secured", V2_JSON, {
      records: [
        { key: "k1", value: { n: 1 } },
        { key: "k2", value: { n: 2 } },
      ],
    }),
  );
  const offsets = (answer.json as { offsets: { partition: number; offset: number; error_code: unknown }[] })
    .offsets;
  assert.deepEqual(
    offsets.map((o) => [o.partition, o.offset, o.error_code]),
    [
      [0, 0, null],
      [0, 1, null],
    ],
  );
  const records = await kcatConsume(broker.bootstrap, "secured", KCAT);
  assert.deepEqual(
    records.map((r) => [r.key, r.payload]),
    [
      ['"k1"', '{"n":1}'],
      ['"k2"', '{"n":2}'],
    ],
  );
});

test("records kcat produces over SASL_SSL are read through a consumer instance of the proxy", {
  timeout: TEST_TIMEOUT_MS,
}, async () => {
  await kcat(["-b", broker.bootstrap, "-P", "-t", "from-kcat", "-K:", ...KCAT], { input: "a:one\nb:two\n" });
  const created = ok(
    await post(base, "/consumers/readers", V2, { name: "r", "auto.offset.reset": "earliest" }),
  );
  const path = new URL((created.json as { base_uri: string }).base_uri).pathname;
  ok(await post(base, `${path}/subscription`, V2, { topics: ["from-kcat"] }), 204);
  const out: Record<string, unknown>[] = [];
  const end = Date.now() + 20_000;
  while (out.length < 2 && Date.now() < end) {
    const read = ok(await rest(base, `${path}/records?timeout=500`, { headers: { accept: V2_BINARY } }));
    out.push(...(read.json as Record<string, unknown>[]));
  }
  assert.deepEqual(
    out.map((r) => [
      Buffer.from(r["key"] as string, "base64").toString(),
      Buffer.from(r["value"] as string, "base64").toString(),
    ]),
    [
      ["a", "one"],
      ["b", "two"],
    ],
  );
  ok(await rest(base, path, { method: "DELETE" }), 204);
});

test("a proxy with no listener of its clients' protocol, or no login for it, stops the node with a clear message", {
  timeout: TEST_TIMEOUT_MS,
}, async () => {
  await assert.rejects(BrokerProcess.start({ overrides: SECURED }), (error: Error) => {
    assert.match(error.message, /rest\.proxy\.enable needs a PLAINTEXT listener in advertised\.listeners/);
    assert.match(error.message, /SASL_SSL \(SASL_SSL\)/);
    assert.match(error.message, /rest\.proxy\.client\.security\.protocol/);
    return true;
  });
  await assert.rejects(
    BrokerProcess.start({
      overrides: { ...SECURED, "rest.proxy.client.security.protocol": "SASL_SSL" },
    }),
    (error: Error) => {
      assert.match(error.message, /REST Proxy clients \(rest\.proxy\.client\.\*\): sasl\.mechanism=GSSAPI/);
      return true;
    },
  );
});
