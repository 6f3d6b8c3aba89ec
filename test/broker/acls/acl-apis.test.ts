import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { AdminClient } from "../../../src/client/index.js";
import {
  type AclBinding,
  AclPermissionType,
  ANY_BINDING_FILTER,
  ApiKey,
  type CreateAclsResponse,
  type DescribeAclsResponse,
  type DescribeConfigsResponse,
  ErrorCode,
  KafkaError,
  AclOperation as Op,
  PatternType,
  ResourceType,
} from "../../../src/protocol/index.js";
import { startBroker } from "../../../src/server/index.js";
import { type AclBroker, startAclBroker } from "./acl-broker.js";

/**
 * DescribeAcls, CreateAcls and DeleteAcls on a broker with an authorizer (and one without), as
 * Kafka's AclApis answers them: who may call them, SECURITY_DISABLED, the controller's checks, the
 * filters, and requests Kafka cannot parse.
 */

let b: AclBroker;

before(async () => {
  b = await startAclBroker({ "console.enable": "true" });
});
after(() => b?.stop());

const binding = (
  name: string,
  principal = "User:alice",
  operation: number = Op.READ,
  patternType: number = PatternType.LITERAL,
  permissionType: number = AclPermissionType.ALLOW,
): AclBinding => ({
  pattern: { resourceType: ResourceType.TOPIC, name, patternType },
  entry: { principal, host: "*", operation, permissionType },
});

test("a super user creates, lists and deletes ACLs; duplicates succeed; the filters are Kafka's", async () => {
  const admin = b.admin();
  const created = await admin.createAcls([
    binding("orders"),
    binding("orders"),
    binding("ord", "User:bob", Op.WRITE, PatternType.PREFIXED),
    binding("*", "User:*", Op.DESCRIBE),
  ]);
  assert.deepEqual(
    created.map((r) => r.error),
    [null, null, null, null],
  );
  assert.deepEqual(
    (await admin.createAcls([binding("orders")])).map((r) => r.error),
    [null],
  );
  const all = await admin.describeAcls(ANY_BINDING_FILTER);
  assert.equal(all.length, 3, "each ACL once");
  const matching = await admin.describeAcls({
    patternFilter: { resourceType: ResourceType.TOPIC, name: "orders", patternType: PatternType.MATCH },
    entryFilter: ANY_BINDING_FILTER.entryFilter,
  });
  assert.deepEqual(matching.map((m) => m.pattern.name).sort(), ["*", "ord", "orders"]);
  const bobs = await admin.describeAcls({
    patternFilter: ANY_BINDING_FILTER.patternFilter,
    entryFilter: { ...ANY_BINDING_FILTER.entryFilter, principal: "User:bob" },
  });
  assert.deepEqual(bobs, [binding("ord", "User:bob", Op.WRITE, PatternType.PREFIXED)]);
  const [deleted] = await admin.deleteAcls([
    {
      patternFilter: { resourceType: ResourceType.TOPIC, name: "orders", patternType: PatternType.LITERAL },
      entryFilter: ANY_BINDING_FILTER.entryFilter,
    },
  ]);
  assert.equal(deleted?.error, null);
  assert.deepEqual(deleted?.deleted, [binding("orders")]);
  assert.equal((await admin.describeAcls(ANY_BINDING_FILTER)).length, 2);
  const rest = await admin.deleteAcls([ANY_BINDING_FILTER]);
  assert.equal(rest[0]?.deleted.length, 2);
  assert.deepEqual(await admin.describeAcls(ANY_BINDING_FILTER), []);
});

test("the controller's checks: Kafka's INVALID_REQUEST messages per ACL", async () => {
  const results = await b.admin().createAcls([
    {
      ...binding("x"),
      pattern: { resourceType: ResourceType.CLUSTER, name: "c", patternType: PatternType.LITERAL },
    },
    binding(""),
    binding("x", "alice"),
    binding("x", "User:alice", 99),
  ]);
  assert.deepEqual(
    results.map((r) => [r.error?.errorCode, r.error?.message]),
    [
      [ErrorCode.INVALID_REQUEST, "The only valid name for the CLUSTER resource is kafka-cluster"],
      [ErrorCode.INVALID_REQUEST, "Invalid empty resource name"],
      [
        ErrorCode.INVALID_REQUEST,
        "Could not parse principal from `alice` (no colon is present separating the principal type from the principal name)",
      ],
      [ErrorCode.INVALID_REQUEST, "Invalid operation UNKNOWN"],
    ],
  );
  // An ANY operation cannot be read as an ACL binding at all: Kafka fails the whole request.
  const c = await b.connect("admin");
  const any = await c.request<CreateAclsResponse>(ApiKey.CreateAcls, 3, {
    creations: [
      {
        resourceType: 2,
        resourceName: "t",
        resourcePatternType: 3,
        principal: "User:a",
        host: "*",
        operation: 3,
        permissionType: 3,
      },
      {
        resourceType: 2,
        resourceName: "t",
        resourcePatternType: 3,
        principal: "User:a",
        host: "*",
        operation: 1,
        permissionType: 3,
      },
    ],
  });
  assert.deepEqual(
    any.results.map((r) => [r.errorCode, r.errorMessage]),
    [
      [ErrorCode.UNKNOWN_SERVER_ERROR, null],
      [ErrorCode.UNKNOWN_SERVER_ERROR, null],
    ],
  );
});

test("without ALTER/DESCRIBE on the cluster: CLUSTER_AUTHORIZATION_FAILED with Kafka's message, and the denial is counted", async () => {
  const bob = await b.connect("bob");
  const described = await bob.request<DescribeAclsResponse>(ApiKey.DescribeAcls, 3, {
    resourceTypeFilter: 1,
    resourceNameFilter: null,
    patternTypeFilter: 1,
    principalFilter: null,
    hostFilter: null,
    operation: 1,
    permissionType: 1,
  });
  assert.equal(described.errorCode, ErrorCode.CLUSTER_AUTHORIZATION_FAILED);
  assert.match(
    described.errorMessage ?? "",
    /^Request Request\(processor=0, connectionId=127\.0\.0\.1:\d+-127\.0\.0\.1:\d+-\d+, session=Session\(User:bob,\/127\.0\.0\.1\), listenerName=ListenerName\(SASL_PLAINTEXT\), securityProtocol=SASL_PLAINTEXT, buffer=null, envelope=None\) is not authorized\.$/,
  );
  await assert.rejects(
    b
      .admin("bob")
      .createAcls([binding("t")])
      .then((r) => {
        if (r[0]?.error) throw r[0].error;
      }),
    (e: unknown) => e instanceof KafkaError && e.errorCode === ErrorCode.CLUSTER_AUTHORIZATION_FAILED,
  );
  const denials = b.server.broker.authorizer?.stats.denialsByResourceType.cluster ?? 0;
  assert.ok(denials >= 2, `denials counted: ${denials}`);
  const metrics = await (await fetch(`${b.server.consoleUrl}/metrics`)).text();
  assert.match(
    metrics,
    new RegExp(`^brook_authorizer_denials_total\\{resource_type="cluster"\\} ${denials}$`, "m"),
  );
  assert.match(metrics, /^brook_authorizer_acls 0$/m);
  // A DESCRIBE ALLOW on the cluster lets bob list, not create.
  await b.admin().createAcls([
    {
      pattern: {
        resourceType: ResourceType.CLUSTER,
        name: "kafka-cluster",
        patternType: PatternType.LITERAL,
      },
      entry: {
        principal: "User:bob",
        host: "*",
        operation: Op.DESCRIBE,
        permissionType: AclPermissionType.ALLOW,
      },
    },
  ]);
  assert.equal((await b.admin("bob").describeAcls(ANY_BINDING_FILTER)).length, 1);
  await b.admin().deleteAcls([ANY_BINDING_FILTER]);
});

test("a filter or creation with an UNKNOWN (0) code does not parse in Kafka: the connection is closed", async () => {
  const c = await b.connect("admin");
  await assert.rejects(
    c.request(ApiKey.DescribeAcls, 2, {
      resourceTypeFilter: 0,
      resourceNameFilter: null,
      patternTypeFilter: 1,
      principalFilter: null,
      hostFilter: null,
      operation: 1,
      permissionType: 1,
    }),
  );
});

test("super.users and allow.everyone.if.no.acl.found are described as Kafka does: only when set, sensitive", async () => {
  const c = await b.connect("admin");
  const response = await c.request<DescribeConfigsResponse>(ApiKey.DescribeConfigs, 4, {
    resources: [{ resourceType: 4, resourceName: "1", configurationKeys: null }],
    includeSynonyms: false,
    includeDocumentation: false,
  });
  const configs = response.results[0]?.configs ?? [];
  const superUsers = configs.find((x) => x.name === "super.users");
  assert.deepEqual(
    superUsers && [superUsers.value, superUsers.isSensitive, superUsers.configSource, superUsers.configType],
    [null, true, 4, 0],
  );
  assert.equal(
    configs.find((x) => x.name === "allow.everyone.if.no.acl.found"),
    undefined,
  );
  assert.equal(
    configs.find((x) => x.name === "authorizer.class.name")?.value,
    "org.apache.kafka.metadata.authorizer.StandardAuthorizer",
  );
});

test("without an authorizer the ACL APIs answer SECURITY_DISABLED, as Kafka's", async () => {
  const plain = await startBroker();
  const admin = new AdminClient({ bootstrap: `127.0.0.1:${plain.port}`, timeoutMs: 5000 });
  try {
    await assert.rejects(
      admin.describeAcls(ANY_BINDING_FILTER),
      (e: unknown) =>
        e instanceof KafkaError &&
        e.errorCode === ErrorCode.SECURITY_DISABLED &&
        e.message === "No Authorizer is configured on the broker",
    );
    const [created] = await admin.createAcls([binding("t")]);
    assert.equal(created?.error?.errorCode, ErrorCode.SECURITY_DISABLED);
    assert.equal(created?.error?.message, "No Authorizer is configured.");
    const [deleted] = await admin.deleteAcls([ANY_BINDING_FILTER]);
    assert.equal(deleted?.error?.errorCode, ErrorCode.SECURITY_DISABLED);
  } finally {
    admin.close();
    await plain.stop();
  }
});
