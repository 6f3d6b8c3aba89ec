import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import kafkajs from "kafkajs";
import { writePropertiesFile } from "../helpers/properties-file.js";
import {
  BROOK_MAIN,
  BrokerProcess,
  kcat,
  kcatSaslPlain,
  pythonClient,
  REPO_ROOT,
  runTool,
  TEST_TIMEOUT_MS,
} from "./broker-process.js";

/**
 * ACLs on a broker process with an authorizer, as an operator turns them on: SASL/PLAIN users
 * (admin a super user; alice, bob, carol, gina), `brook acls` to grant, and real clients that
 * are let in or refused with Kafka's errors: kcat and confluent-kafka's producers
 * (TOPIC_AUTHORIZATION_FAILED per message), a consumer group (GROUP_AUTHORIZATION_FAILED), an
 * idempotent producer (IDEMPOTENT_WRITE on the cluster or WRITE on a topic), a transactional one
 * (WRITE on its transactional id); librdkafka's and kafkajs's ACL admin calls; the ACLs kept
 * across a restart.
 */

const { AclOperationTypes, AclPermissionTypes, AclResourceTypes, Kafka, logLevel, ResourcePatternTypes } =
  kafkajs;

const USERS = ["admin", "alice", "bob", "carol", "gina"] as const;
type User = (typeof USERS)[number];
const password = (user: User) => `${user}-secret`;

const OVERRIDES = {
  listeners: "PLAINTEXT://127.0.0.1:0,SASL_PLAINTEXT://127.0.0.1:0,CONTROLLER://127.0.0.1:0",
  "advertised.listeners": "PLAINTEXT://127.0.0.1:0,SASL_PLAINTEXT://127.0.0.1:0",
  "listener.security.protocol.map": "PLAINTEXT:PLAINTEXT,SASL_PLAINTEXT:SASL_PLAINTEXT,CONTROLLER:PLAINTEXT",
  "sasl.enabled.mechanisms": "PLAIN",
  "listener.name.sasl_plaintext.plain.sasl.jaas.config": `org.apache.kafka.common.security.plain.PlainLoginModule required ${USERS.map((u) => `user_${u}="${password(u)}"`).join(" ")};`,
  "authorizer.class.name": "org.apache.kafka.metadata.authorizer.StandardAuthorizer",
  "super.users": "User:admin",
  "num.partitions": "1",
  "offsets.topic.num.partitions": "1",
  "transaction.state.log.num.partitions": "1",
};

let broker: BrokerProcess;
let sasl = "";
let dir = "";
let adminConfig = "";

before(async () => {
  dir = mkdtempSync(join(tmpdir(), "brook-acls-"));
  broker = await BrokerProcess.start({ overrides: OVERRIDES });
  sasl = broker.listenerAddress("SASL_PLAINTEXT");
  adminConfig = writePropertiesFile(dir, "admin.properties", {
    "security.protocol": "SASL_PLAINTEXT",
    "sasl.mechanism": "PLAIN",
    "sasl.jaas.config": `org.apache.kafka.common.security.plain.PlainLoginModule required username="admin" password="${password("admin")}";`,
  });
});

after(async () => {
  await broker?.dispose();
  rmSync(dir, { recursive: true, force: true });
});

/** `brook acls` as the admin, over SASL. */
const acls = (args: string[], input?: string) =>
  runTool(
    process.execPath,
    [BROOK_MAIN, "acls", "--bootstrap-server", sasl, "--command-config", adminConfig, ...args],
    { timeoutMs: 60_000, ...(input === undefined ? {} : { input }) },
  );

async function grant(...args: string[]): Promise<void> {
  const result = await acls(["--add", ...args]);
  assert.equal(result.code, 0, result.stdout + result.stderr);
}

const rdkafka = (user: User, extra: Record<string, unknown> = {}) => ({
  "bootstrap.servers": sasl,
  "security.protocol": "SASL_PLAINTEXT",
  "sasl.mechanisms": "PLAIN",
  "sasl.username": user,
  "sasl.password": password(user),
  ...extra,
});

interface Produced {
  reports: { error: string | null; errorName: string | null; offset: number | null }[];
  errors: string[];
}
const produce = (user: User, topic: string, extra: Record<string, unknown> = {}) =>
  pythonClient<Produced>({
    op: "produce",
    config: rdkafka(user, extra),
    messages: [{ topic, value: `from-${user}` }],
    timeoutS: 15,
  });

const KCAT_SASL = (user: User) => kcatSaslPlain(user, password(user));

test("brook acls --add/--list/--remove as kafka-acls.sh prints them; --remove reads its answer from stdin", {
  timeout: TEST_TIMEOUT_MS,
}, async () => {
  const pattern = "ResourcePattern(resourceType=TOPIC, name=audit-, patternType=PREFIXED)";
  const added = await acls([
    "--add",
    "--allow-principal",
    "User:dave",
    "--operation",
    "Read",
    "--topic",
    "audit-",
    "--resource-pattern-type",
    "prefixed",
  ]);
  assert.deepEqual(
    [added.code, added.stdout, added.stderr],
    [
      0,
      `Adding ACLs for resource \`${pattern}\`: \n \t(principal=User:dave, host=*, operation=READ, permissionType=ALLOW) \n\n`,
      "",
    ],
  );
  const listed = await acls(["--list", "--topic", "audit-", "--resource-pattern-type", "prefixed"]);
  assert.deepEqual(
    [listed.code, listed.stdout],
    [
      0,
      `Current ACLs for resource \`${pattern}\`: \n \t(principal=User:dave, host=*, operation=READ, permissionType=ALLOW) \n\n`,
    ],
  );
  // MATCH lists every ACL that applies to a name: the prefixed one applies to audit-log.
  const matching = await acls(["--list", "--topic", "audit-log", "--resource-pattern-type", "match"]);
  assert.equal(matching.stdout, listed.stdout);
  const question = `Are you sure you want to delete all ACLs for resource filter \`${pattern}\`? (y/n)\n`;
  const kept = await acls(["--remove", "--topic", "audit-", "--resource-pattern-type", "prefixed"], "n\n");
  assert.deepEqual([kept.code, kept.stdout], [0, question]);
  assert.equal(
    (await acls(["--list", "--topic", "audit-", "--resource-pattern-type", "prefixed"])).stdout,
    listed.stdout,
  );
  const removed = await acls(["--remove", "--topic", "audit-", "--resource-pattern-type", "prefixed"], "y\n");
  assert.deepEqual([removed.code, removed.stdout, removed.stderr], [0, question, ""]);
  assert.equal(
    (await acls(["--list", "--topic", "audit-", "--resource-pattern-type", "prefixed"])).stdout,
    "",
  );
  // A user the broker refuses: Kafka's exception on stdout, exit code 1.
  const bobConfig = writePropertiesFile(dir, "bob.properties", {
    "security.protocol": "SASL_PLAINTEXT",
    "sasl.mechanism": "PLAIN",
    "sasl.jaas.config": `org.apache.kafka.common.security.plain.PlainLoginModule required username="bob" password="${password("bob")}";`,
  });
  const refused = await runTool(
    process.execPath,
    [BROOK_MAIN, "acls", "--bootstrap-server", sasl, "--command-config", bobConfig, "--list"],
    { timeoutMs: 60_000 },
  );
  assert.equal(refused.code, 1);
  assert.match(
    refused.stdout,
    /^Error while executing ACL command: org\.apache\.kafka\.common\.errors\.ClusterAuthorizationException: Request Request\(.*session=Session\(User:bob,\/127\.0\.0\.1\).* is not authorized\.\n/,
  );
});

test("producers: alice with --producer ACLs writes, bob gets TOPIC_AUTHORIZATION_FAILED (kcat and confluent-kafka)", {
  timeout: TEST_TIMEOUT_MS,
}, async () => {
  await grant("--allow-principal", "User:alice", "--producer", "--topic", "orders");
  // alice's CREATE on the topic lets her producer create it.
  await kcat(["-b", sasl, "-P", "-t", "orders", ...KCAT_SASL("alice")], { input: "first\n" });
  const refusedKcat = await runTool("kcat", ["-b", sasl, "-P", "-t", "orders", ...KCAT_SASL("bob")], {
    input: "denied\n",
  });
  assert.notEqual(refusedKcat.code, 0);
  assert.match(refusedKcat.stderr, /Delivery failed for message: Broker: Topic authorization failed/);
  const alice = await produce("alice", "orders");
  assert.deepEqual(
    alice.reports.map((r) => r.error),
    [null],
    alice.errors.join("\n"),
  );
  const bob = await produce("bob", "orders");
  assert.deepEqual(
    bob.reports.map((r) => r.errorName),
    ["TOPIC_AUTHORIZATION_FAILED"],
  );
  // The topic holds alice's records only.
  const records = await kcat(["-b", sasl, "-C", "-t", "orders", "-e", "-q", ...KCAT_SASL("admin")]);
  assert.deepEqual(records.trim().split("\n"), ["first", "from-alice"]);
});

test("a consumer group needs READ on the group and on the topic: GROUP_AUTHORIZATION_FAILED before", {
  timeout: TEST_TIMEOUT_MS,
}, async () => {
  await kcat(["-b", sasl, "-P", "-t", "events", ...KCAT_SASL("admin")], { input: "e1\ne2\n" });
  await grant("--allow-principal", "User:bob", "--operation", "Read", "--topic", "events");
  const subscribe = () =>
    pythonClient<{ records: { value: string }[]; errorNames: string[]; errors: string[] }>({
      op: "subscribe",
      config: rdkafka("bob", { "group.id": "billing" }),
      topics: ["events"],
      count: 2,
      timeoutS: 20,
    });
  const refused = await subscribe();
  assert.deepEqual(refused.records, []);
  assert.ok(refused.errorNames.includes("GROUP_AUTHORIZATION_FAILED"), refused.errors.join("\n"));
  await grant("--allow-principal", "User:bob", "--operation", "Read", "--group", "billing");
  const consumed = await subscribe();
  assert.deepEqual(
    consumed.records.map((r) => r.value),
    ["e1", "e2"],
    consumed.errors.join("\n"),
  );
});

test("an idempotent producer needs IDEMPOTENT_WRITE on the cluster or WRITE on some topic", {
  timeout: TEST_TIMEOUT_MS,
}, async () => {
  await kcat(["-b", sasl, "-P", "-t", "ledger", ...KCAT_SASL("admin")], { input: "opened\n" });
  const idempotent = { "enable.idempotence": true };
  // carol sees the topic, nothing more: InitProducerId is refused, a fatal error for librdkafka.
  await grant("--allow-principal", "User:carol", "--operation", "Describe", "--topic", "ledger");
  const noPid = await produce("carol", "ledger", idempotent);
  assert.match(
    noPid.errors.join("\n"),
    /FATAL,code=CLUSTER_AUTHORIZATION_FAILED.*Failed to acquire idempotence PID/,
  );
  // IDEMPOTENT_WRITE gives her a producer id; writing still needs WRITE on the topic.
  await grant("--allow-principal", "User:carol", "--operation", "IdempotentWrite", "--cluster");
  const pidOnly = await produce("carol", "ledger", idempotent);
  assert.deepEqual(
    pidOnly.reports.map((r) => r.errorName),
    ["TOPIC_AUTHORIZATION_FAILED"],
  );
  assert.deepEqual(pidOnly.errors, []);
  await grant("--allow-principal", "User:carol", "--operation", "Write", "--topic", "ledger");
  assert.deepEqual(
    (await produce("carol", "ledger", idempotent)).reports.map((r) => r.error),
    [null],
  );
  // alice has WRITE on orders alone (no IDEMPOTENT_WRITE): enough for a producer id, as in Kafka.
  assert.deepEqual(
    (await produce("alice", "orders", idempotent)).reports.map((r) => r.error),
    [null],
  );
});

test("a transactional producer needs WRITE on its transactional id", {
  timeout: TEST_TIMEOUT_MS,
}, async () => {
  const transaction = () =>
    pythonClient<{ committed: boolean; error: { name: string; fatal: boolean } | null }>({
      op: "transactional_produce",
      config: rdkafka("alice", { "transactional.id": "alice-tx" }),
      topic: "orders",
      values: ["in-a-transaction"],
      timeoutS: 15,
    });
  const refused = await transaction();
  assert.equal(refused.committed, false);
  assert.deepEqual(refused.error && [refused.error.name, refused.error.fatal], [
    "TRANSACTIONAL_ID_AUTHORIZATION_FAILED",
    true,
  ]);
  await grant(
    "--allow-principal",
    "User:alice",
    "--producer",
    "--topic",
    "orders",
    "--transactional-id",
    "alice-tx",
  );
  const committed = await transaction();
  assert.equal(committed.committed, true, JSON.stringify(committed));
});

/** librdkafka's ACL admin calls (those confluent-kafka's create_acls, describe_acls and delete_acls make). */
function aclAdmin(): (user: User, op: string, ...specs: string[]) => Promise<string[]> {
  const binary = join(dir, "acl_admin");
  execFileSync("cc", [
    "-O1",
    "-o",
    binary,
    join(REPO_ROOT, "test", "interop", "librdkafka", "acl_admin.c"),
    "-lrdkafka",
  ]);
  return async (user, op, ...specs) => {
    const result = await runTool(binary, [sasl, user, password(user), op, ...specs], { timeoutMs: 40_000 });
    assert.equal(result.code, 0, result.stdout + result.stderr);
    return result.stdout.trim().split("\n");
  };
}

test("librdkafka (confluent-kafka's AdminClient calls) creates, describes and deletes ACLs", {
  timeout: TEST_TIMEOUT_MS,
}, async () => {
  const call = aclAdmin();
  // type,name,pattern,principal,host,operation,permission: TOPIC=2 GROUP=3, LITERAL=3 PREFIXED=4, READ=3 ALTER=7, ALLOW=3.
  assert.deepEqual(
    await call("admin", "create", "2,rd-topic,3,User:erin,*,3,3", "3,rd-,4,User:erin,10.0.0.1,3,3"),
    ["ok", "ok"],
  );
  // Refused one by one, with Kafka's reasons: a principal without a type, and bob is no admin.
  const invalid = await call("admin", "create", "2,x,3,erin,*,3,3");
  assert.match(invalid[0] ?? "", /^error INVALID_REQUEST /);
  const denied = await call("bob", "create", "2,x,3,User:bob,*,7,3");
  assert.equal(denied.length, 1);
  assert.match(
    denied[0] ?? "",
    /^error CLUSTER_AUTHORIZATION_FAILED Request Request\(.*User:bob.* is not authorized\.$/,
  );
  // ANY=1 for type, pattern, operation and permission; "-": any name, principal or host.
  assert.deepEqual(await call("admin", "describe", "1,-,1,User:erin,-,1,1"), [
    "ok",
    "binding TOPIC,rd-topic,LITERAL,User:erin,*,READ,ALLOW",
    "binding GROUP,rd-,PREFIXED,User:erin,10.0.0.1,READ,ALLOW",
  ]);
  // MATCH=2: every ACL that applies to group rd-app, the prefixed one included.
  assert.deepEqual(await call("admin", "delete", "3,rd-app,2,-,-,1,1", "2,-,1,User:nobody,-,1,1"), [
    "ok",
    "binding GROUP,rd-,PREFIXED,User:erin,10.0.0.1,READ,ALLOW",
    "ok",
  ]);
  assert.deepEqual(await call("admin", "describe", "1,-,1,User:erin,-,1,1"), [
    "ok",
    "binding TOPIC,rd-topic,LITERAL,User:erin,*,READ,ALLOW",
  ]);
});

test("kafkajs admin.createAcls, describeAcls and deleteAcls; a user without ALTER on the cluster is refused", {
  timeout: TEST_TIMEOUT_MS,
}, async () => {
  const kafka = (user: User) =>
    new Kafka({
      clientId: "acl-interop",
      brokers: [sasl],
      sasl: { mechanism: "plain", username: user, password: password(user) },
      logLevel: logLevel.NOTHING,
      retry: { retries: 1 },
    });
  const admin = kafka("admin").admin();
  const bob = kafka("bob").admin();
  await admin.connect();
  await bob.connect();
  try {
    const acl = {
      resourceType: AclResourceTypes.TOPIC,
      resourceName: "kjs-topic",
      resourcePatternType: ResourcePatternTypes.LITERAL,
      principal: "User:frank",
      host: "*",
      operation: AclOperationTypes.WRITE,
      permissionType: AclPermissionTypes.DENY,
    };
    assert.equal(await admin.createAcls({ acl: [acl] }), true);
    const filter = {
      resourceType: AclResourceTypes.TOPIC,
      resourceName: "kjs-topic",
      resourcePatternType: ResourcePatternTypes.ANY,
      operation: AclOperationTypes.ANY,
      permissionType: AclPermissionTypes.ANY,
    };
    assert.deepEqual((await admin.describeAcls(filter)).resources, [
      {
        resourceType: AclResourceTypes.TOPIC,
        resourceName: "kjs-topic",
        resourcePatternType: ResourcePatternTypes.LITERAL,
        acls: [
          {
            principal: "User:frank",
            host: "*",
            operation: AclOperationTypes.WRITE,
            permissionType: AclPermissionTypes.DENY,
          },
        ],
      },
    ]);
    await assert.rejects(bob.createAcls({ acl: [acl] }), { type: "CLUSTER_AUTHORIZATION_FAILED" });
    await assert.rejects(bob.describeAcls(filter), { type: "CLUSTER_AUTHORIZATION_FAILED" });
    const deleted = await admin.deleteAcls({ filters: [filter] });
    assert.deepEqual(
      deleted.filterResponses.map((r) => [r.errorCode, r.matchingAcls.map((m) => m.principal)]),
      [[0, ["User:frank"]]],
    );
    assert.deepEqual((await admin.describeAcls(filter)).resources, []);
  } finally {
    await admin.disconnect();
    await bob.disconnect();
  }
});

test("ACLs live in the metadata log: after a restart they are listed and enforced as before", {
  timeout: TEST_TIMEOUT_MS,
}, async () => {
  await grant("--allow-principal", "User:gina", "--producer", "--topic", "kept");
  assert.deepEqual(
    (await produce("gina", "kept")).reports.map((r) => r.error),
    [null],
  );
  const before = await acls(["--list"]);
  assert.equal(before.code, 0, before.stderr);
  assert.match(before.stdout, /User:gina, host=\*, operation=WRITE/);
  await broker.stop();
  await broker.restart();
  sasl = broker.listenerAddress("SASL_PLAINTEXT");
  const afterRestart = await acls(["--list"]);
  assert.deepEqual([afterRestart.code, afterRestart.stdout], [0, before.stdout]);
  assert.deepEqual(
    (await produce("gina", "kept")).reports.map((r) => r.error),
    [null],
  );
  assert.deepEqual(
    (await produce("bob", "kept")).reports.map((r) => r.errorName),
    ["TOPIC_AUTHORIZATION_FAILED"],
  );
});
