import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { AdminClient, ConfigResourceType, QuotaMatchType } from "../../src/client/index.js";
import { ErrorCode } from "../../src/protocol/index.js";
import { BROOK_MAIN, BrokerProcess, runTool, TEST_TIMEOUT_MS } from "./broker-process.js";

/**
 * `brook configs` (kafka-configs.sh) against a broker process: a topic's configs changed and
 * described as Kafka prints them, client, user and IP quotas set, listed and removed, and the
 * broker holding what the tool said it did (read back over the protocol).
 */

let broker: BrokerProcess;
let admin: AdminClient;

async function configs(...args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const r = await runTool(
    process.execPath,
    [BROOK_MAIN, "configs", "--bootstrap-server", broker.bootstrap, ...args],
    {
      timeoutMs: 30_000,
    },
  );
  return { code: r.code, stdout: r.stdout, stderr: r.stderr };
}

before(async () => {
  broker = await BrokerProcess.start();
  admin = new AdminClient({ bootstrap: broker.bootstrap, timeoutMs: 10_000 });
  const [created] = await admin.createTopics([{ name: "orders", numPartitions: 1, replicationFactor: 1 }]);
  assert.equal(created?.errorCode, ErrorCode.NONE);
});

after(async () => {
  admin?.close();
  await broker?.dispose();
});

test("topic configs: --alter adds (brackets group commas) and deletes, --describe prints Kafka's lines", {
  timeout: TEST_TIMEOUT_MS,
}, async () => {
  const before = await configs("--describe", "--entity-type", "topics", "--entity-name", "orders");
  assert.equal(before.stdout, "Dynamic configs for topic orders are:\n", "no override yet");

  const altered = await configs(
    "--alter",
    "--entity-type",
    "topics",
    "--entity-name",
    "orders",
    "--add-config",
    "retention.ms=3600000,cleanup.policy=[compact,delete]",
  );
  assert.equal(altered.code, 0, altered.stderr);
  assert.equal(altered.stdout, "Completed updating config for topic orders.\n");

  const described = await configs("--describe", "--topic", "orders");
  const lines = described.stdout.split("\n");
  assert.equal(lines[0], "Dynamic configs for topic orders are:");
  assert.match(
    lines[1] ?? "",
    /^ {2}cleanup\.policy=compact,delete sensitive=false synonyms=\{DYNAMIC_TOPIC_CONFIG:cleanup\.policy=compact,delete(, [A-Z_]+:[a-z.]+=\S+)*\}$/,
  );
  assert.match(
    lines[2] ?? "",
    /^ {2}retention\.ms=3600000 sensitive=false synonyms=\{DYNAMIC_TOPIC_CONFIG:retention\.ms=3600000/,
  );
  assert.equal(lines.length, 4, described.stdout);
  const [held] = await admin.describeConfigs([
    { resourceType: ConfigResourceType.topic, resourceName: "orders" },
  ]);
  assert.equal(held?.configs.find((c) => c.name === "retention.ms")?.value, "3600000", "the broker holds it");

  const all = await configs("--describe", "--all", "--topic", "orders");
  assert.match(all.stdout, /^All configs for topic orders are:\n/);
  assert.match(
    all.stdout,
    /\n {2}segment\.bytes=1073741824 sensitive=false synonyms=\{DEFAULT_CONFIG:log\.segment\.bytes=1073741824\}\n/,
  );

  const deleted = await configs("--alter", "--topic", "orders", "--delete-config", "retention.ms");
  assert.equal(deleted.stdout, "Completed updating config for topic orders.\n");
  assert.doesNotMatch((await configs("--describe", "--topic", "orders")).stdout, /retention\.ms/);

  const missing = await configs("--alter", "--topic", "orders", "--delete-config", "retention.ms,flush.ms");
  assert.equal(missing.code, 1);
  assert.equal(missing.stderr, "Invalid config(s): retention.ms,flush.ms\n");
  const unknown = await configs("--alter", "--topic", "orders", "--add-config", "bogus.key=1");
  assert.equal(unknown.code, 1);
  assert.equal(
    unknown.stderr,
    "Error while executing config command with args '--bootstrap-server " +
      `${broker.bootstrap} --alter --topic orders --add-config bogus.key=1'\nKafkaError: Unknown topic config name: bogus.key\n`,
  );
});

test("quotas: clients, users with clients, defaults and IPs set, described as Kafka prints them, removed", {
  timeout: TEST_TIMEOUT_MS,
}, async () => {
  const steps: [string[], string][] = [
    [
      [
        "--alter",
        "--entity-type",
        "clients",
        "--entity-name",
        "app1",
        "--add-config",
        "producer_byte_rate=1048576,consumer_byte_rate=20000000",
      ],
      "Completed updating config for client app1.\n",
    ],
    [
      ["--alter", "--client-defaults", "--add-config", "producer_byte_rate=500"],
      "Completed updating default config for clients in the cluster.\n",
    ],
    [
      [
        "--alter",
        "--entity-type",
        "users",
        "--entity-name",
        "alice",
        "--entity-type",
        "clients",
        "--entity-name",
        "app1",
        "--add-config",
        "request_percentage=50.5",
      ],
      "Completed updating config for user alice.\n",
    ],
    [
      ["--alter", "--ip-defaults", "--add-config", "connection_creation_rate=100"],
      "Completed updating default config for ips in the cluster.\n",
    ],
  ];
  for (const [args, expected] of steps) {
    const r = await configs(...args);
    assert.equal(r.stdout, expected, `${args.join(" ")}: ${r.stderr}`);
  }
  assert.equal(
    (await configs("--describe", "--entity-type", "clients")).stdout,
    "Quota configs for client-id 'app1' are consumer_byte_rate=2.0E7, producer_byte_rate=1048576.0\n" +
      "Quota configs for the default client-id are producer_byte_rate=500.0\n",
  );
  assert.equal(
    (await configs("--describe", "--user", "alice", "--client", "app1")).stdout,
    "Quota configs for user-principal 'alice', client-id 'app1' are request_percentage=50.5\n",
  );
  assert.equal(
    (await configs("--describe", "--entity-type", "ips", "--entity-default")).stdout,
    "Quota configs for the default ip are connection_creation_rate=100.0\n",
  );
  // What the broker holds, over the protocol.
  const [app1] = await admin.describeClientQuotas(
    [{ entityType: "client-id", matchType: QuotaMatchType.exact, match: "app1" }],
    true,
  );
  assert.deepEqual(app1?.values, { producer_byte_rate: 1048576, consumer_byte_rate: 20_000_000 });

  assert.equal(
    (await configs("--alter", "--client", "app1", "--delete-config", "consumer_byte_rate")).code,
    0,
  );
  assert.equal(
    (await configs("--describe", "--client", "app1")).stdout,
    "Quota configs for client-id 'app1' are producer_byte_rate=1048576.0\n",
  );

  const refused: [string[], string][] = [
    [
      ["--alter", "--client", "app1", "--add-config", "retention.ms=1"],
      "Only quota configs can be added for 'clients' using --bootstrap-server. Unexpected config names: retention.ms\n",
    ],
    [
      ["--alter", "--client", "app1", "--add-config", "producer_byte_rate=fast"],
      "Cannot parse quota configuration value for producer_byte_rate: fast\n",
    ],
    [
      ["--alter", "--client", "app1", "--delete-config", "request_percentage"],
      "Invalid config(s): request_percentage\n",
    ],
  ];
  for (const [args, message] of refused) {
    const r = await configs(...args);
    assert.equal(r.code, 1, args.join(" "));
    assert.equal(r.stderr, message);
  }
});

test("bad command lines: Kafka's messages and exit code 1", { timeout: TEST_TIMEOUT_MS }, async () => {
  const usage = await configs("--entity-type", "topics");
  assert.equal(usage.code, 1);
  assert.ok(
    usage.stderr.startsWith("Command must include exactly one action: --describe, --alter\nOption "),
    usage.stderr,
  );
  const cases: [string[], string][] = [
    [
      ["--describe", "--entity-type", "groups"],
      "Invalid entity type groups, the entity type must be one of topics, clients, users, brokers, ips with a --bootstrap-server argument\n",
    ],
    [["--describe"], "At least one entity type must be specified\n"],
    [
      ["--describe", "--entity-type", "topics", "--entity-type", "clients"],
      "Only 'users' and 'clients' entity types may be specified together\n",
    ],
    [
      ["--describe", "--entity-name", "x", "--topic", "t"],
      "--entity-{type,name,default} should not be used in conjunction with specific entity flags\n",
    ],
    [
      ["--alter", "--topic", "t"],
      "At least one of --add-config, --add-config-file, or --delete-config must be specified with --alter\n",
    ],
    [
      ["--alter", "--entity-type", "topics", "--add-config", "a=b"],
      "An entity name must be specified with --alter of topics\n",
    ],
    [
      ["--describe", "--broker", "one"],
      "The entity name for brokers must be a valid integer broker id, but it is: one\n",
    ],
    [
      ["--alter", "--topic", "t", "--add-config", "a=b=c"],
      'Invalid entity config: all configs to be added must be in the format "key=val".\n',
    ],
  ];
  for (const [args, message] of cases) {
    const r = await configs(...args);
    assert.equal(r.code, 1, args.join(" "));
    assert.equal(r.stderr, message, args.join(" "));
  }
});
