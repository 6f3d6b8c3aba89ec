/**
 * What one authorization costs (StandardAuthorizer.authorize, the call every checked resource of
 * a request makes): nanoseconds per call for a super user, for a user over 0, 100, 1,000 and
 * 10,000 ACLs (a literal ALLOW that matches, a prefixed ALLOW that matches, a resource no ACL
 * names), and for authorizeByResourceType (an idempotent producer's InitProducerId). The ACL sets
 * are per-user literal and prefixed topic and group ACLs with a User:* wildcard and a DENY among
 * them, as an operator's grow. Cases interleaved, CPU time per trial (process.cpuUsage), medians
 * (min-max) of the trials; the heap growth over a trial's calls says whether a call allocates.
 * usage: npx tsx bench/authorizer.ts [trials=7] [callsPerTrial=2000000]
 */
import { AclsImage, type StandardAcl, StandardAuthorizer } from "../src/metadata/index.js";
import { AclOperation, AclPermissionType, PatternType, ResourceType } from "../src/protocol/index.js";

const trials = Number(process.argv[2] ?? 7);
const calls = Number(process.argv[3] ?? 2_000_000);
const HOST = "10.1.2.3";

function aclSet(count: number): AclsImage {
  const byId = new Map<string, StandardAcl>();
  const add = (acl: StandardAcl) => byId.set(`id-${byId.size}`, acl);
  const allow = (
    resourceType: number,
    resourceName: string,
    patternType: number,
    user: string,
    operation: number,
  ) =>
    add({
      resourceType,
      resourceName,
      patternType,
      principal: `User:${user}`,
      host: "*",
      operation,
      permissionType: AclPermissionType.ALLOW,
    });
  for (let i = 0; byId.size < count; i++) {
    const user = `user-${i % 100}`;
    allow(ResourceType.TOPIC, `topic-${i}`, PatternType.LITERAL, user, AclOperation.WRITE);
    allow(ResourceType.TOPIC, `app-${i}-`, PatternType.PREFIXED, user, AclOperation.READ);
    allow(ResourceType.GROUP, `group-${i}`, PatternType.LITERAL, user, AclOperation.READ);
    if (i % 50 === 0)
      allow(ResourceType.TOPIC, `public-${i}`, PatternType.LITERAL, "*", AclOperation.DESCRIBE);
    if (i % 50 === 1)
      add({
        resourceType: ResourceType.TOPIC,
        resourceName: `secret-${i}`,
        patternType: PatternType.LITERAL,
        principal: `User:${user}`,
        host: "*",
        operation: AclOperation.ALL,
        permissionType: AclPermissionType.DENY,
      });
  }
  return new AclsImage(byId);
}

interface Case {
  name: string;
  run: (n: number) => number;
}

const authorizer = new StandardAuthorizer({ superUsers: ["User:admin"], allowEveryoneIfNoAclFound: false });
const cases: Case[] = [];
for (const size of [0, 100, 1_000, 10_000]) {
  const acls = aclSet(size);
  acls.index; // built once per ACL set, as the broker builds it at the first request after a change
  // i = 7: user-7 owns topic-7 (WRITE) and app-7- (READ); with 0 ACLs everything is the default DENY.
  const add = (name: string, user: string, operation: number, type: number, resource: string) =>
    cases.push({
      name: `${name}, ${size} ACLs`,
      run: (n) => {
        let allowed = 0;
        for (let k = 0; k < n; k++)
          if (authorizer.authorize(acls, user, HOST, operation, type, resource).allowed) allowed++;
        return allowed;
      },
    });
  if (size === 0 || size === 10_000)
    add("super user", "admin", AclOperation.WRITE, ResourceType.TOPIC, "topic-7");
  add("literal ALLOW matches", "user-7", AclOperation.WRITE, ResourceType.TOPIC, "topic-7");
  add(
    "prefixed ALLOW matches (READ implies DESCRIBE)",
    "user-7",
    AclOperation.DESCRIBE,
    ResourceType.TOPIC,
    "app-7-orders",
  );
  add("no ACL names it (default DENY)", "user-7", AclOperation.WRITE, ResourceType.TOPIC, "unnamed-topic");
  if (size > 0)
    cases.push({
      name: `authorizeByResourceType WRITE on TOPIC, ${size} ACLs`,
      run: (n) => {
        let allowed = 0;
        for (let k = 0; k < n; k++)
          if (
            authorizer.authorizeByResourceType(acls, "user-7", HOST, AclOperation.WRITE, ResourceType.TOPIC)
          )
            allowed++;
        return allowed;
      },
    });
}

/** authorizeByResourceType walks every ACL of the type (as Kafka's does): a thousandth of the calls. */
const callsOf = (c: Case) =>
  c.name.startsWith("authorizeByResourceType") ? Math.max(1, Math.floor(calls / 1000)) : calls;
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;
const results = new Map<string, { ns: number[]; heap: number[] }>(
  cases.map((c) => [c.name, { ns: [], heap: [] }]),
);
for (const c of cases) c.run(Math.min(10_000, callsOf(c))); // warm up every path
for (let t = 0; t < trials; t++) {
  for (const c of cases) {
    const n = callsOf(c);
    const heapBefore = process.memoryUsage().heapUsed;
    const before = process.cpuUsage();
    c.run(n);
    const used = process.cpuUsage(before);
    const heapAfter = process.memoryUsage().heapUsed;
    const r = results.get(c.name) as { ns: number[]; heap: number[] };
    r.ns.push(((used.user + used.system) * 1000) / n);
    r.heap.push((heapAfter - heapBefore) / n);
  }
}
console.log(`node ${process.version}, ${trials} trials, ${calls.toLocaleString("en-US")} calls per trial\n`);
console.log("| case | ns per call, median (min-max) | heap bytes per call (median) |");
console.log("| --- | ---: | ---: |");
for (const [name, r] of results) {
  const min = Math.min(...r.ns);
  const max = Math.max(...r.ns);
  console.log(
    `| ${name} | ${median(r.ns).toFixed(1)} (${min.toFixed(1)}-${max.toFixed(1)}) | ${median(r.heap).toFixed(2)} |`,
  );
}
