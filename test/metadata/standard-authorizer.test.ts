import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import { AclsImage, type StandardAcl, StandardAuthorizer } from "../../src/metadata/index.js";
import {
  AclPermissionType,
  AclOperation as Op,
  PatternType,
  ResourceType,
} from "../../src/protocol/index.js";

/**
 * Kafka's StandardAuthorizer decisions (its StandardAuthorizerTest's cases and the rules of the
 * security documentation) against Brook's index, and properties that hold for any set of ACLs.
 */

const { ALLOW, DENY } = AclPermissionType;
const { LITERAL, PREFIXED } = PatternType;
const { TOPIC, GROUP, CLUSTER } = ResourceType;

function acl(
  resourceType: number,
  resourceName: string,
  patternType: number,
  principal: string,
  host: string,
  operation: number,
  permissionType: number,
): StandardAcl {
  return { resourceType, resourceName, patternType, principal, host, operation, permissionType };
}

function image(acls: readonly StandardAcl[]): AclsImage {
  return new AclsImage(new Map(acls.map((a, i) => [`acl-${i}`, a])));
}

const plain = new StandardAuthorizer({ superUsers: [], allowEveryoneIfNoAclFound: false });

function decide(
  acls: AclsImage,
  user: string,
  cases: readonly [number, number, string][],
  host = "127.0.0.1",
  authorizer = plain,
): boolean[] {
  return cases.map(([op, type, name]) => authorizer.authorize(acls, user, host, op, type, name).allowed);
}

test("DENY wins over ALLOW, ALL covers every operation, a DENY ALL of User:* leaves prefixed ALLOWs for other names", () => {
  const acls = image([
    acl(TOPIC, "foo", LITERAL, "User:alice", "*", Op.ALL, DENY),
    acl(TOPIC, "foo", PREFIXED, "User:alice", "*", Op.READ, ALLOW),
    acl(TOPIC, "foo", LITERAL, "User:*", "*", Op.ALL, DENY),
    acl(TOPIC, "foo", PREFIXED, "User:*", "*", Op.DESCRIBE, ALLOW),
  ]);
  assert.deepEqual(
    decide(acls, "alice", [
      [Op.WRITE, TOPIC, "foo"],
      [Op.READ, TOPIC, "foo"],
      [Op.DESCRIBE, TOPIC, "foo"],
      [Op.READ, TOPIC, "foobar"],
    ]),
    [false, false, false, true],
  );
  assert.deepEqual(
    decide(acls, "bob", [
      [Op.DESCRIBE, TOPIC, "foo"],
      [Op.READ, TOPIC, "foo"],
      [Op.WRITE, TOPIC, "foo"],
      [Op.DESCRIBE, TOPIC, "foobaz"],
      [Op.READ, TOPIC, "foobaz"],
    ]),
    [false, false, false, true, false],
  );
});

test("ALLOW ALL on a literal, a prefix and a user; DESCRIBE_CONFIGS allowed by ALL", () => {
  const acls = image([
    acl(TOPIC, "foo", LITERAL, "User:*", "*", Op.ALL, ALLOW),
    acl(TOPIC, "bar", PREFIXED, "User:alice", "*", Op.ALL, ALLOW),
    acl(TOPIC, "baz", LITERAL, "User:bob", "*", Op.ALL, ALLOW),
  ]);
  const cases = (a: number, b: number, c: number): [number, number, string][] => [
    [a, TOPIC, "foo"],
    [b, TOPIC, "bar"],
    [c, TOPIC, "baz"],
  ];
  assert.deepEqual(decide(acls, "alice", cases(Op.WRITE, Op.DESCRIBE_CONFIGS, Op.DESCRIBE)), [
    true,
    true,
    false,
  ]);
  assert.deepEqual(decide(acls, "bob", cases(Op.WRITE, Op.READ, Op.DESCRIBE)), [true, false, true]);
  assert.deepEqual(decide(acls, "malory", cases(Op.DESCRIBE, Op.WRITE, Op.READ)), [true, false, false]);
});

test("READ, WRITE, DELETE and ALTER imply DESCRIBE, ALTER_CONFIGS implies DESCRIBE_CONFIGS; only for ALLOW", () => {
  for (const op of [Op.READ, Op.WRITE, Op.DELETE, Op.ALTER]) {
    const acls = image([acl(TOPIC, "t", LITERAL, "User:alice", "*", op, ALLOW)]);
    assert.deepEqual(
      decide(acls, "alice", [
        [op, TOPIC, "t"],
        [Op.DESCRIBE, TOPIC, "t"],
        [Op.DESCRIBE_CONFIGS, TOPIC, "t"],
      ]),
      [true, true, false],
    );
  }
  const configs = image([acl(TOPIC, "t", LITERAL, "User:alice", "*", Op.ALTER_CONFIGS, ALLOW)]);
  assert.deepEqual(
    decide(configs, "alice", [
      [Op.DESCRIBE_CONFIGS, TOPIC, "t"],
      [Op.DESCRIBE, TOPIC, "t"],
    ]),
    [true, false],
  );
  // A DENY of READ does not deny DESCRIBE, which the ALLOW of WRITE implies.
  const denyRead = image([
    acl(TOPIC, "t", LITERAL, "User:alice", "*", Op.WRITE, ALLOW),
    acl(TOPIC, "t", LITERAL, "User:alice", "*", Op.READ, DENY),
  ]);
  assert.deepEqual(
    decide(denyRead, "alice", [
      [Op.DESCRIBE, TOPIC, "t"],
      [Op.READ, TOPIC, "t"],
    ]),
    [true, false],
  );
});

test("hosts: an ACL for one address applies only to clients from it", () => {
  const acls = image([
    acl(TOPIC, "foo", LITERAL, "User:alice", "192.168.1.1", Op.READ, DENY),
    acl(TOPIC, "foo", LITERAL, "User:alice", "*", Op.READ, ALLOW),
    acl(TOPIC, "bar", LITERAL, "User:bob", "192.168.1.2", Op.READ, ALLOW),
    acl(TOPIC, "bar", LITERAL, "User:*", "127.0.0.1", Op.DESCRIBE, ALLOW),
  ]);
  const actions: [number, number, string][] = [
    [Op.READ, TOPIC, "foo"],
    [Op.READ, TOPIC, "bar"],
    [Op.DESCRIBE, TOPIC, "bar"],
  ];
  assert.deepEqual(decide(acls, "alice", actions, "127.0.0.1"), [true, false, true]);
  assert.deepEqual(decide(acls, "alice", actions, "192.168.1.1"), [false, false, false]);
  assert.deepEqual(decide(acls, "alice", actions, "192.168.1.2"), [true, false, false]);
  assert.deepEqual(decide(acls, "bob", actions, "127.0.0.1"), [false, false, true]);
  assert.deepEqual(decide(acls, "bob", actions, "192.168.1.1"), [false, false, false]);
  assert.deepEqual(decide(acls, "bob", actions, "192.168.1.2"), [false, true, true]);
});

test("prefixes, literal names and the * wildcard of many ACLs, across resource types", () => {
  const acls = image([
    acl(TOPIC, "green2", LITERAL, "User:*", "*", Op.READ, ALLOW),
    acl(TOPIC, "green", PREFIXED, "User:bob", "*", Op.READ, ALLOW),
    acl(TOPIC, "betamax4", LITERAL, "User:bob", "*", Op.READ, ALLOW),
    acl(TOPIC, "betamax", LITERAL, "User:bob", "*", Op.READ, ALLOW),
    acl(TOPIC, "beta", PREFIXED, "User:*", "*", Op.READ, ALLOW),
    acl(TOPIC, "alpha", PREFIXED, "User:*", "*", Op.READ, ALLOW),
    acl(TOPIC, "alp", PREFIXED, "User:bob", "*", Op.READ, DENY),
    acl(GROUP, "*", LITERAL, "User:bob", "*", Op.WRITE, ALLOW),
    acl(GROUP, "wheel", LITERAL, "User:*", "*", Op.WRITE, DENY),
  ]);
  assert.deepEqual(
    decide(acls, "bob", [
      [Op.READ, TOPIC, "green1"],
      [Op.WRITE, GROUP, "wheel"],
      [Op.READ, TOPIC, "alpha"],
      [Op.WRITE, GROUP, "arbitrary"],
      [Op.READ, TOPIC, "ala"],
      [Op.READ, TOPIC, "betamax4"],
      [Op.READ, TOPIC, "betamax5"],
    ]),
    [true, false, false, true, false, true, true],
  );
  const prefixes = image([
    acl(TOPIC, "fooa", PREFIXED, "User:alice", "*", Op.ALL, ALLOW),
    acl(TOPIC, "foobar", LITERAL, "User:bob", "*", Op.ALL, ALLOW),
    acl(TOPIC, "f", PREFIXED, "User:bob", "*", Op.ALL, ALLOW),
  ]);
  assert.deepEqual(
    decide(prefixes, "bob", [
      [Op.WRITE, TOPIC, "foobarr"],
      [Op.READ, TOPIC, "goobar"],
      [Op.READ, TOPIC, "fooa"],
    ]),
    [true, false, true],
  );
  assert.deepEqual(
    decide(prefixes, "alice", [
      [Op.DESCRIBE, TOPIC, "fooa"],
      [Op.WRITE, TOPIC, "bar"],
      [Op.READ, TOPIC, "baz"],
    ]),
    [true, false, false],
  );
});

test("allow.everyone.if.no.acl.found allows only resources without any ACL; super users pass every DENY", () => {
  const acls = image([acl(TOPIC, "topic1", LITERAL, "User:Alice", "*", Op.READ, ALLOW)]);
  const open = new StandardAuthorizer({
    superUsers: ["User:alice", "User:chris"],
    allowEveryoneIfNoAclFound: true,
  });
  const cases: [number, number, string][] = [
    [Op.READ, TOPIC, "topic1"],
    [Op.READ, TOPIC, "topic2"],
  ];
  assert.deepEqual(decide(acls, "Bob", cases, "127.0.0.1", open), [false, true]);
  assert.deepEqual(decide(acls, "Bob", cases, "127.0.0.1", plain), [false, false]);
  // Principal names are case sensitive: User:Alice's ACL is not User:alice's, who is a super user.
  const denyAll = image([acl(CLUSTER, "kafka-cluster", LITERAL, "User:*", "*", Op.ALL, DENY)]);
  assert.deepEqual(decide(denyAll, "alice", [[Op.ALTER, CLUSTER, "kafka-cluster"]], "10.0.0.1", open), [
    true,
  ]);
  assert.equal(
    open.authorize(denyAll, "chris", "h", Op.ALTER, CLUSTER, "kafka-cluster").describe(),
    "SuperUser",
  );
  assert.equal(open.authorize(acls, "Bob", "h", Op.READ, TOPIC, "topic2").describe(), "DefaultAllow");
  assert.equal(plain.authorize(acls, "Bob", "h", Op.READ, TOPIC, "topic2").describe(), "DefaultDeny");
  assert.equal(
    plain.authorize(acls, "Alice", "h", Op.READ, TOPIC, "topic1").describe(),
    "MatchingAcl(acl=StandardAcl(resourceType=TOPIC, resourceName=topic1, patternType=LITERAL, principal=User:Alice, host=*, operation=READ, permissionType=ALLOW))",
  );
  // Only principals of type User match: a Group:* ACL is nobody's.
  const group = image([acl(TOPIC, "t", LITERAL, "Group:*", "*", Op.READ, ALLOW)]);
  assert.deepEqual(decide(group, "alice", [[Op.READ, TOPIC, "t"]]), [false]);
  assert.throws(
    () => new StandardAuthorizer({ superUsers: ["alice"], allowEveryoneIfNoAclFound: false }),
    /expected a string in format principalType:principalName but got alice/,
  );
});

test("authorizeByResourceType (an idempotent producer's WRITE on some topic), as Kafka's default method", () => {
  const byType = (acls: StandardAcl[], user = "alice", authorizer = plain) =>
    authorizer.authorizeByResourceType(image(acls), user, "127.0.0.1", Op.WRITE, TOPIC);
  const write = (
    name: string,
    pattern: number = LITERAL,
    permission: number = ALLOW,
    principal = "User:alice",
    op: number = Op.WRITE,
  ) => acl(TOPIC, name, pattern, principal, "*", op, permission);
  assert.equal(byType([]), false);
  assert.equal(byType([write("t")]), true);
  assert.equal(byType([write("t", LITERAL, ALLOW, "User:bob")]), false);
  assert.equal(byType([write("t", LITERAL, ALLOW, "User:*")]), true);
  assert.equal(byType([write("t", LITERAL, ALLOW, "User:alice", Op.ALL)]), true);
  // Implications do not count here: READ (which implies DESCRIBE) is not WRITE.
  assert.equal(byType([write("t", LITERAL, ALLOW, "User:alice", Op.READ)]), false);
  assert.equal(byType([write("t"), write("t", LITERAL, DENY)]), false);
  assert.equal(byType([write("t"), write("u")]), true);
  assert.equal(byType([write("t"), write("*", LITERAL, DENY)]), false);
  assert.equal(byType([write("*"), write("*", LITERAL, DENY)]), false);
  assert.equal(byType([write("*")]), true);
  assert.equal(byType([write("abc"), write("a", PREFIXED, DENY)]), false);
  assert.equal(byType([write("abc", PREFIXED), write("ab", PREFIXED, DENY)]), false);
  assert.equal(byType([write("abc", PREFIXED), write("abcd", PREFIXED, DENY)]), true);
  assert.equal(byType([write("abc"), write("abc", PREFIXED, DENY)]), false);
  assert.equal(byType([write("abc", PREFIXED), write("abc", LITERAL, DENY)]), true);
  // No ACL on the hard-coded name `hardcode`: allow.everyone.if.no.acl.found decides; super users pass.
  const open = new StandardAuthorizer({ superUsers: ["User:root"], allowEveryoneIfNoAclFound: true });
  assert.equal(byType([], "alice", open), true);
  assert.equal(byType([write("*", LITERAL, DENY, "User:*")], "root", open), true);
});

const arbitraryAcl = fc
  .record({
    resourceType: fc.constantFrom(TOPIC, GROUP),
    resourceName: fc.constantFrom("*", "a", "ab", "abc", "b", "ba"),
    patternType: fc.constantFrom(LITERAL, PREFIXED),
    principal: fc.constantFrom("User:alice", "User:bob", "User:*", "Group:x"),
    host: fc.constantFrom("*", "127.0.0.1", "10.0.0.1"),
    operation: fc.constantFrom(Op.ALL, Op.READ, Op.WRITE, Op.DESCRIBE, Op.ALTER_CONFIGS, Op.DESCRIBE_CONFIGS),
    permissionType: fc.constantFrom(ALLOW, DENY),
  })
  .map((a) => a as StandardAcl);

const arbitraryAction: fc.Arbitrary<Action> = fc.record({
  user: fc.constantFrom("alice", "bob", "carol"),
  host: fc.constantFrom("127.0.0.1", "10.0.0.1"),
  operation: fc.constantFrom(Op.READ, Op.WRITE, Op.DESCRIBE, Op.DESCRIBE_CONFIGS),
  resourceType: fc.constantFrom(TOPIC, GROUP),
  name: fc.constantFrom("a", "ab", "abc", "abcd", "b", "*", "c"),
});

/** Kafka's rules written out directly over the list (no index): what the index must agree with. */
interface Action {
  user: string;
  host: string;
  operation: number;
  resourceType: number;
  name: string;
}

function reference(acls: readonly StandardAcl[], a: Action): boolean {
  const applies = (x: StandardAcl) => {
    const nameMatches =
      x.patternType === LITERAL
        ? x.resourceName === a.name || x.resourceName === "*"
        : a.name.startsWith(x.resourceName);
    return x.resourceType === a.resourceType && nameMatches;
  };
  const onResource = acls.filter(applies);
  const matching = onResource.filter((x) => {
    if (x.principal !== `User:${a.user}` && x.principal !== "User:*") return false;
    if (x.host !== "*" && x.host !== a.host) return false;
    if (x.operation === Op.ALL || x.operation === a.operation) return true;
    if (x.permissionType !== ALLOW) return false;
    if (a.operation === Op.DESCRIBE)
      return ([Op.READ, Op.WRITE, Op.DELETE, Op.ALTER] as number[]).includes(x.operation);
    if (a.operation === Op.DESCRIBE_CONFIGS) return x.operation === Op.ALTER_CONFIGS;
    return false;
  });
  if (matching.some((x) => x.permissionType === DENY)) return false;
  return matching.some((x) => x.permissionType === ALLOW);
}

test("property: the index decides as Kafka's rules read over every ACL", () => {
  fc.assert(
    fc.property(fc.array(arbitraryAcl, { maxLength: 25 }), arbitraryAction, (acls, a) => {
      const got = plain.authorize(image(acls), a.user, a.host, a.operation, a.resourceType, a.name).allowed;
      assert.equal(got, reference(acls, a));
    }),
    { numRuns: 2000 },
  );
});

test("property: a DENY that applies always wins, and an ACL of another resource never changes a decision", () => {
  fc.assert(
    fc.property(
      fc.array(arbitraryAcl, { maxLength: 20 }),
      arbitraryAction,
      arbitraryAcl,
      (acls, a, extra) => {
        const before = plain.authorize(image(acls), a.user, a.host, a.operation, a.resourceType, a.name);
        const deny = acl(a.resourceType, a.name, LITERAL, `User:${a.user}`, a.host, a.operation, DENY);
        assert.equal(
          plain.authorize(image([...acls, deny]), a.user, a.host, a.operation, a.resourceType, a.name)
            .allowed,
          false,
        );
        // Another resource type, or a literal name that is neither this name nor *: unrelated.
        const unrelated = { ...extra, resourceType: a.resourceType === TOPIC ? GROUP : TOPIC };
        const after = plain.authorize(
          image([...acls, unrelated]),
          a.user,
          a.host,
          a.operation,
          a.resourceType,
          a.name,
        );
        assert.equal(after.allowed, before.allowed);
        // A super user is allowed whatever the ACLs.
        const root = new StandardAuthorizer({
          superUsers: [`User:${a.user}`],
          allowEveryoneIfNoAclFound: false,
        });
        assert.equal(
          root.authorize(image([...acls, deny]), a.user, a.host, a.operation, a.resourceType, a.name).allowed,
          true,
        );
      },
    ),
    { numRuns: 1000 },
  );
});
