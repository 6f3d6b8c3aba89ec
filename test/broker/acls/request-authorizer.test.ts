import assert from "node:assert/strict";
import { test } from "node:test";
import { type Logger, ManualClock, silentLogger } from "../../../src/base/index.js";
import type { RequestContext } from "../../../src/broker/api-handler.js";
import { RequestAuthorizer } from "../../../src/broker/request-authorizer.js";
import { AclsImage, type StandardAcl } from "../../../src/metadata/index.js";
import type { Connection } from "../../../src/network/index.js";
import {
  AclPermissionType,
  ApiKey,
  AclOperation as Op,
  PatternType,
  ResourceType,
} from "../../../src/protocol/index.js";

/**
 * The authorizer as handlers use it: who a request is from (a forwarded one too), Kafka's audit
 * line for a denial, logged once a minute per principal, operation and resource, and counted.
 */

const acl = (
  resourceName: string,
  principal: string,
  operation: number,
  resourceType: number = ResourceType.TOPIC,
): StandardAcl => ({
  resourceType,
  resourceName,
  patternType: PatternType.LITERAL,
  principal,
  host: "*",
  operation,
  permissionType: AclPermissionType.ALLOW,
});

function setup(acls: StandardAcl[]) {
  const lines: string[] = [];
  const log: Logger = { ...silentLogger, info: (m) => lines.push(m), child: () => log };
  const clock = new ManualClock();
  const image = new AclsImage(new Map(acls.map((a, i) => [`id${i}`, a])));
  const authorizer = new RequestAuthorizer({
    config: { superUsers: ["User:admin"], allowEveryoneIfNoAclFound: false },
    acls: () => image,
    log,
    clock,
  });
  return { authorizer, lines, clock };
}

function context(principal: string, clientId = "app", hostAddress = "10.1.2.3"): RequestContext {
  const socket = {
    localAddress: "127.0.0.1",
    localPort: 9092,
    remoteAddress: hostAddress,
    remotePort: 40000,
  };
  const connection = { principal, hostAddress, id: "PLAINTEXT-3", socket } as unknown as Connection;
  return {
    header: { requestApiKey: ApiKey.Produce, requestApiVersion: 9, correlationId: 1, clientId },
    apiKey: ApiKey.Produce,
    apiVersion: 9,
    correlationId: 1,
    clientId,
    connection,
    listenerName: "PLAINTEXT",
    receivedMs: 0,
    requestBytes: 0,
    quota: { bandwidthThrottleMs: 0, requestQuotaExempt: false },
  };
}

test("a denial is logged in Kafka's audit form, once a minute per principal, operation and resource, and counted", () => {
  const { authorizer, lines, clock } = setup([acl("t", "User:alice", Op.WRITE)]);
  const bob = context("bob");
  assert.equal(authorizer.authorize(bob, Op.WRITE, ResourceType.TOPIC, "t"), false);
  assert.deepEqual(lines, [
    "Principal = User:bob is Denied operation = WRITE from host = 10.1.2.3 on resource = Topic:LITERAL:t for request = Produce with resourceRefCount = 1 based on rule DefaultDeny",
  ]);
  for (let i = 0; i < 100; i++) authorizer.authorize(bob, Op.WRITE, ResourceType.TOPIC, "t");
  assert.equal(lines.length, 1, "no flood");
  authorizer.authorize(bob, Op.READ, ResourceType.TOPIC, "t");
  authorizer.authorize(bob, Op.WRITE, ResourceType.GROUP, "t");
  assert.equal(lines.length, 3, "another operation, another resource: logged");
  clock.advance(60_000);
  authorizer.authorize(bob, Op.WRITE, ResourceType.TOPIC, "t");
  assert.equal(lines.length, 4, "again after a minute");
  // Denials of resources the client did not name (logIfDenied false) are neither logged nor counted.
  authorizer.authorize(bob, Op.DESCRIBE, ResourceType.TOPIC, "other", false);
  assert.equal(lines.length, 4);
  assert.deepEqual(authorizer.stats.denialsByResourceType, { topic: 103, group: 1 });
  assert.equal(authorizer.authorize(context("alice"), Op.WRITE, ResourceType.TOPIC, "t"), true);
  assert.equal(authorizer.authorize(context("admin"), Op.ALTER, ResourceType.CLUSTER, "kafka-cluster"), true);
  // A DENY ACL is named as Kafka names it.
  const { authorizer: withDeny, lines: denyLines } = setup([
    { ...acl("t", "User:*", Op.WRITE), permissionType: AclPermissionType.DENY },
  ]);
  withDeny.authorize(bob, Op.WRITE, ResourceType.TOPIC, "t");
  assert.match(
    denyLines[0] ?? "",
    /based on rule MatchingAcl\(acl=StandardAcl\(resourceType=TOPIC, resourceName=t, patternType=LITERAL, principal=User:\*, host=\*, operation=WRITE, permissionType=DENY\)\)$/,
  );
});

test("a forwarded request is authorized as the client it names only when a broker principal (CLUSTER_ACTION) sends it", () => {
  const { authorizer } = setup([
    acl("t", "User:alice", Op.CREATE),
    acl("kafka-cluster", "User:broker", Op.CLUSTER_ACTION, ResourceType.CLUSTER),
  ]);
  const forwarded = (sender: string, principal: string) =>
    context(sender, `brook-broker-2;192.168.0.9;${principal}`, "127.0.0.1");
  assert.equal(authorizer.authorize(forwarded("broker", "alice"), Op.CREATE, ResourceType.TOPIC, "t"), true);
  assert.equal(authorizer.authorize(forwarded("broker", "bob"), Op.CREATE, ResourceType.TOPIC, "t"), false);
  // A client naming alice in its client id is itself: naming someone gains nothing.
  assert.equal(
    authorizer.authorize(forwarded("mallory", "alice"), Op.CREATE, ResourceType.TOPIC, "t"),
    false,
  );
  // A principal name holding the separator survives the trip.
  assert.match(
    authorizer.notAuthorizedMessage(forwarded("broker", "a;b")),
    /session=Session\(User:a;b,\/192\.168\.0\.9\)/,
  );
  // The broker's own requests are authorized as the broker.
  assert.equal(
    authorizer.authorize(
      context("broker", "brook-broker-2"),
      Op.CLUSTER_ACTION,
      ResourceType.CLUSTER,
      "kafka-cluster",
    ),
    true,
  );
});

test("KIP-430: the operations of the type the client may do, READ implying DESCRIBE", () => {
  const { authorizer } = setup([acl("t", "User:alice", Op.READ)]);
  assert.equal(
    authorizer.authorizedOperations(context("alice"), ResourceType.TOPIC, "t"),
    (1 << Op.READ) | (1 << Op.DESCRIBE),
  );
  assert.equal(authorizer.authorizedOperations(context("bob"), ResourceType.TOPIC, "t"), 0);
  assert.equal(
    authorizer.authorizedOperations(context("admin"), ResourceType.GROUP, "g"),
    (1 << Op.READ) |
      (1 << Op.DELETE) |
      (1 << Op.DESCRIBE) |
      (1 << Op.DESCRIBE_CONFIGS) |
      (1 << Op.ALTER_CONFIGS),
  );
  assert.equal(authorizer.stats.denialsByResourceType.topic, undefined, "KIP-430 checks are not denials");
});
