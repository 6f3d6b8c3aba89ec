import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { MemorySchemaLog } from "../../src/registry/index.js";
import {
  delimitedContext,
  matchesSubjectPrefix,
  normalizeSubject,
  parseQualifiedSubject,
  qualifyReference,
} from "../../src/registry/qualified-subject.js";
import { rewriteContextPath } from "../../src/registry/rest/context-path.js";
import { RegistryHarness } from "./registry-harness.js";

/*
 * Contexts as Confluent serves them, after its RestApiContextTest (testQualifiedSubjects,
 * testContextPaths, testContextPrefixFilter*), QualifiedSubject and ContextFilter (and
 * ContextFilterTest's rewrites), and InMemoryCache's config/mode lookups: qualified subjects
 * `:.ctx:subject`, ids per context, `/contexts/{ctx}/...` paths, `subjectPrefix` ranges, id
 * lookups with `subject=`, config and mode per context and on `:.__GLOBAL:`, CONTEXT records.
 */

let counter = 0;
/** Distinct, backward compatible Avro records, as Confluent's getRandomCanonicalAvroString. */
const schemas = (count: number) =>
  Array.from({ length: count }, () =>
    JSON.stringify({
      type: "record",
      name: "myrecord",
      fields: [{ name: `f${++counter}`, type: "string", default: "" }],
    }),
  );

describe("qualified subjects and context paths (pure)", () => {
  test("parse and normalize as QualifiedSubject", () => {
    assert.deepEqual(parseQualifiedSubject(":.ctx1:orders"), { context: ".ctx1", subject: "orders" });
    assert.deepEqual(parseQualifiedSubject(":.ctx1:"), { context: ".ctx1", subject: "" });
    assert.deepEqual(parseQualifiedSubject(":.ctx1"), { context: ".ctx1", subject: "" });
    assert.deepEqual(parseQualifiedSubject("orders"), { context: ".", subject: "orders" });
    assert.deepEqual(parseQualifiedSubject(":.:orders"), { context: ".", subject: "orders" });
    assert.equal(normalizeSubject(":.:orders"), "orders");
    assert.equal(normalizeSubject(":.ctx:a:b"), ":.ctx:a:b");
    assert.equal(delimitedContext(".ctx"), ":.ctx:");
    assert.equal(delimitedContext("ctx"), ":.ctx:");
    assert.equal(delimitedContext(":.ctx:"), ":.ctx:");
    assert.equal(delimitedContext(":.:"), "");
    assert.throws(() => delimitedContext("a:b"), /cannot contain a colon/);
    assert.equal(qualifyReference(":.ctx:b", "a"), ":.ctx:a");
    assert.equal(qualifyReference(":.ctx:b", ":.other:a"), ":.other:a");
    assert.equal(qualifyReference("b", "a"), "a");
  });

  test("subjectPrefix selects ranges of (context, subject)", () => {
    const subjects = [":.ctx1:t1", ":.ctx10:t1", ":.ctx2:t2", "t1", "u"];
    const select = (prefix: string) => subjects.filter((s) => matchesSubjectPrefix(s, prefix));
    assert.deepEqual(select(""), ["t1", "u"]);
    assert.deepEqual(select("t"), ["t1"]);
    assert.deepEqual(select(":.:"), ["t1", "u"]);
    assert.deepEqual(select(":.ctx1:"), [":.ctx1:t1"]);
    assert.deepEqual(select(":.ctx1"), [":.ctx1:t1", ":.ctx10:t1"]);
    assert.deepEqual(select(":*:"), subjects);
    assert.deepEqual(select(":*:t1"), [":.ctx1:t1", ":.ctx10:t1", "t1"]);
  });

  test("ContextFilter's rewrites", () => {
    const rewrite = (path: string, search = "") => {
      const query = new URLSearchParams(search);
      const segments = rewriteContextPath(path.split("/").filter(Boolean), query);
      return `/${segments.join("/")}${query.size > 0 ? `?${decodeURIComponent(query.toString())}` : ""}`;
    };
    assert.equal(rewrite("/contexts/.ctx/subjects/s/versions"), "/subjects/:.ctx:s/versions");
    assert.equal(rewrite("/contexts/ctx/subjects/:.other:s/versions"), "/subjects/:.other:s/versions");
    assert.equal(
      rewrite("/contexts/.ctx/compatibility/subjects/s/versions/1"),
      "/compatibility/subjects/:.ctx:s/versions/1",
    );
    assert.equal(rewrite("/contexts/.ctx/config"), "/config/:.ctx:");
    assert.equal(rewrite("/contexts/.ctx/mode/s"), "/mode/:.ctx:s");
    assert.equal(rewrite("/contexts/:.:/config"), "/config");
    assert.equal(rewrite("/contexts/.ctx/subjects"), "/subjects?subjectPrefix=:.ctx:");
    assert.equal(rewrite("/contexts/.ctx/schemas", "subjectPrefix=a"), "/schemas?subjectPrefix=:.ctx:a");
    assert.equal(rewrite("/contexts/.ctx/schemas/ids/1"), "/schemas/ids/1?subject=:.ctx:");
    assert.equal(rewrite("/contexts/.ctx/schemas/ids/1", "subject=s"), "/schemas/ids/1?subject=:.ctx:s");
    assert.equal(rewrite("/contexts/.ctx"), "/contexts/:.ctx:");
    assert.equal(rewrite("/contexts"), "/contexts");
    assert.equal(rewrite("/subjects/s"), "/subjects/s");
  });
});

describe("qualified subjects (RestApiContextTest.testQualifiedSubjects)", () => {
  let h: RegistryHarness;
  before(async () => {
    h = await RegistryHarness.start();
  });
  after(() => h.close());

  test("ids are per context; listings by subjectPrefix", async () => {
    const enc = encodeURIComponent;
    assert.equal(
      (await h.call("GET", `/subjects/${enc(":.ctx1:testTopic1")}/versions`)).json.error_code,
      40401,
    );
    assert.deepEqual((await h.call("GET", "/contexts")).json, ["."]);
    assert.deepEqual((await h.call("GET", "/subjects")).json, []);
    const plan: [string, string[]][] = [
      [":.ctx1:testTopic1", schemas(3)],
      [":.ctx2:testTopic2", schemas(2)],
      [":.ctx3:testTopic1", schemas(2)],
      ["testTopic1", schemas(1)],
    ];
    for (const [subject, texts] of plan) {
      // Each context numbers its ids from 1.
      for (const [i, text] of texts.entries()) {
        const registered = await h.register(subject, text);
        assert.equal(registered.json.id, i + 1, subject);
        const byId = await h.call("GET", `/schemas/ids/${i + 1}?subject=${enc(subject)}`);
        assert.equal(byId.json.schema, text);
      }
      for (const [i, text] of texts.entries()) assert.equal((await h.register(subject, text)).json.id, i + 1);
    }
    assert.deepEqual((await h.call("GET", `/subjects/${enc(":.ctx1:testTopic1")}/versions`)).json, [1, 2, 3]);
    assert.deepEqual((await h.call("GET", "/contexts")).json, [".", ".ctx1", ".ctx2", ".ctx3"]);
    const subjects = async (prefix: string) =>
      (await h.call("GET", `/subjects?subjectPrefix=${enc(prefix)}`)).json;
    assert.deepEqual(await subjects(":.ctx1:"), [":.ctx1:testTopic1"]);
    assert.deepEqual(await subjects(":.ctx2:"), [":.ctx2:testTopic2"]);
    assert.deepEqual(await subjects(""), ["testTopic1"]);
    const all = [":.ctx1:testTopic1", ":.ctx2:testTopic2", ":.ctx3:testTopic1", "testTopic1"];
    assert.deepEqual(await subjects(":*:"), all);
    assert.deepEqual((await h.call("GET", "/subjects")).json, all);
    const schemaCount = async (prefix: string) =>
      (await h.call("GET", `/schemas?subjectPrefix=${enc(prefix)}`)).json.length;
    assert.equal(await schemaCount(":*:"), 8);
    assert.equal(await schemaCount(":*:testTopic1"), 6);
    assert.equal(await schemaCount(":*:testTopic2"), 2);
    assert.equal((await h.call("GET", "/schemas")).json.length, 1);
    // The default context's id 1 is testTopic1's; ctx1's id 1 another schema.
    assert.equal((await h.call("GET", "/schemas/ids/1")).json.schema, plan[3]![1][0]);
    assert.equal(
      (await h.call("GET", `/schemas/ids/3?subject=${enc(":.ctx1:")}`)).json.schema,
      plan[0]![1][2],
    );
    assert.equal((await h.call("GET", "/schemas/ids/3")).json.error_code, 40403);
    const ctx1Versions = await h.call("GET", `/schemas/ids/2/versions?subject=${enc(":.ctx1:testTopic1")}`);
    assert.deepEqual(ctx1Versions.json, [{ subject: ":.ctx1:testTopic1", version: 2 }]);
    // Unqualified names in the default context; `:.:` is the same subject.
    assert.equal(
      (await h.call("GET", `/subjects/${enc(":.:testTopic1")}/versions/1`)).json.subject,
      "testTopic1",
    );
  });
});

describe("context paths (RestApiContextTest.testContextPaths)", () => {
  let h: RegistryHarness;
  before(async () => {
    h = await RegistryHarness.start(new MemorySchemaLog());
  });
  after(() => h.close());

  test("/contexts/{ctx}/... runs in the context; ids found through subject=; contexts deleted when empty", async () => {
    const in1 = (path: string) => `/contexts/.ctx1${path}`;
    const in2 = (path: string) => `/contexts/.ctx2${path}`;
    const inDefault = (path: string) => `/contexts/:.:${path}`;
    const s1 = schemas(3);
    const s2 = schemas(2);
    const s3 = schemas(2);
    assert.equal((await h.call("GET", in1("/subjects/testTopic1/versions"))).json.error_code, 40401);
    for (const [i, text] of s1.entries()) {
      const answer = await h.call("POST", in1("/subjects/testTopic1/versions"), { schema: text });
      assert.equal(answer.json.id, i + 1);
      assert.equal((await h.call("GET", in1(`/schemas/ids/${i + 1}?subject=testTopic1`))).json.schema, text);
    }
    for (const [i, text] of s2.entries()) {
      for (const subject of ["testTopic2A", "testTopic2B", "testTopic2C"]) {
        const answer = await h.call("POST", in2(`/subjects/${subject}/versions`), { schema: text });
        assert.equal(answer.json.id, i + 1, subject);
      }
    }
    assert.equal((await h.call("GET", inDefault("/schemas/ids/1"))).json.error_code, 40403);
    for (const [i, text] of s3.entries()) {
      assert.equal(
        (await h.call("POST", inDefault("/subjects/testTopic3/versions"), { schema: text })).json.id,
        i + 1,
      );
    }
    assert.deepEqual((await h.call("GET", in1("/subjects/testTopic1/versions"))).json, [1, 2, 3]);
    assert.deepEqual((await h.call("GET", in2("/subjects/testTopic2A/versions"))).json, [1, 2]);
    assert.deepEqual((await h.call("GET", inDefault("/subjects/testTopic3/versions"))).json, [1, 2]);
    assert.deepEqual((await h.call("GET", "/subjects/testTopic3/versions")).json, [1, 2]);
    assert.deepEqual(
      (await h.call("GET", `/subjects/${encodeURIComponent(":.:testTopic3")}/versions`)).json,
      [1, 2],
    );
    assert.deepEqual((await h.call("GET", in1("/contexts"))).json, [".", ".ctx1", ".ctx2"]);
    assert.deepEqual((await h.call("GET", in1("/subjects"))).json, [":.ctx1:testTopic1"]);
    assert.deepEqual((await h.call("GET", in2("/subjects"))).json, [
      ":.ctx2:testTopic2A",
      ":.ctx2:testTopic2B",
      ":.ctx2:testTopic2C",
    ]);
    assert.deepEqual((await h.call("GET", inDefault("/subjects"))).json, ["testTopic3"]);
    assert.deepEqual((await h.call("GET", "/subjects?subjectPrefix=")).json, ["testTopic3"]);
    // An unqualified subject= finds the id in the context holding that subject.
    assert.equal((await h.call("GET", "/schemas/ids/1?subject=testTopic3")).json.schema, s3[0]);
    assert.equal((await h.call("GET", "/schemas/ids/1?subject=testTopic2A")).json.schema, s2[0]);
    assert.equal((await h.call("GET", "/schemas/ids/1/schema?subject=testTopic2A")).text, s2[0]);
    assert.deepEqual((await h.call("GET", "/schemas/ids/1/subjects?subject=testTopic2B")).json, [
      ":.ctx2:testTopic2A",
      ":.ctx2:testTopic2B",
      ":.ctx2:testTopic2C",
    ]);
    // A qualified subject that does not use the id finds nothing.
    assert.equal(
      (await h.call("GET", `/schemas/ids/3?subject=${encodeURIComponent(":.ctx2:testTopic2A")}`)).json
        .error_code,
      40403,
    );
    assert.equal((await h.call("GET", "/schemas/ids/3?fetchMaxId=true&subject=testTopic1")).json.maxId, 3);
    assert.equal((await h.call("DELETE", in1("/subjects/testTopic1"))).status, 200);
    assert.equal((await h.call("DELETE", in1("/subjects/testTopic1?permanent=true"))).status, 200);
    assert.equal((await h.call("GET", in1("/subjects/testTopic1/versions"))).json.error_code, 40401);
    const notEmpty = await h.call("DELETE", "/contexts/.ctx2");
    assert.equal(notEmpty.status, 422);
    assert.equal(notEmpty.json.error_code, 42211);
    const deleted = await h.call("DELETE", "/contexts/.ctx1");
    assert.equal(deleted.status, 204);
    assert.equal(deleted.text, "");
    assert.deepEqual((await h.call("GET", "/contexts")).json, [".", ".ctx2"]);
    assert.equal((await h.call("DELETE", "/contexts/a:b")).status, 400);
  });

  test("the records are Confluent's: the context in the subject, a CONTEXT record; a restart rebuilds", async () => {
    const records = (h.store as MemorySchemaLog).snapshot();
    const keys = records.map((r) => r.key.toString("utf8"));
    assert.ok(keys.includes('{"keytype":"SCHEMA","subject":":.ctx2:testTopic2A","version":1,"magic":1}'));
    const contextKey = '{"keytype":"CONTEXT","tenant":"default","context":".ctx2","magic":0}';
    const contextRecords = records.filter((r) => r.key.toString("utf8") === contextKey);
    assert.equal(contextRecords.length, 1);
    assert.equal(contextRecords[0]!.value!.toString("utf8"), '{"tenant":"default","context":".ctx2"}');
    const ctx1Records = records.filter((r) => r.key.toString("utf8").includes('"context":".ctx1"'));
    assert.deepEqual(
      ctx1Records.map((r) => r.value?.toString("utf8") ?? null),
      ['{"tenant":"default","context":".ctx1"}', null],
    );
    await h.restart();
    assert.deepEqual((await h.call("GET", "/contexts")).json, [".", ".ctx2"]);
    assert.equal((await h.call("GET", "/schemas/ids/2?subject=:.ctx2:")).json.schema !== undefined, true);
    assert.deepEqual((await h.call("GET", "/schemas/ids/2/versions?subject=testTopic3")).json, [
      { subject: "testTopic3", version: 2 },
    ]);
    // The next id in ctx2 continues from its own maximum.
    const next = await h.register(":.ctx2:testTopic2A", schemas(1)[0]);
    assert.equal(next.json.id, 3);
  });
});

describe("context listing (testContextPrefixFilter, ...WithPagination)", () => {
  test("contextPrefix filters case-sensitively, then offset/limit page", async () => {
    const h = await RegistryHarness.start();
    try {
      const texts = schemas(5);
      for (const [i, subject] of [":.prod:s1", ":.prod-eu:s2", ":.staging:s3", ":.dev:s4", "s5"].entries()) {
        assert.equal((await h.register(subject, texts[i])).status, 200);
      }
      const contexts = async (query: string) => (await h.call("GET", `/contexts${query}`)).json;
      const all = [".", ".dev", ".prod", ".prod-eu", ".staging"];
      assert.deepEqual(await contexts(""), all);
      assert.deepEqual(await contexts("?contextPrefix=.prod"), [".prod", ".prod-eu"]);
      assert.deepEqual(await contexts("?contextPrefix=.prod-eu"), [".prod-eu"]);
      assert.deepEqual(await contexts("?contextPrefix=."), all);
      assert.deepEqual(await contexts("?contextPrefix=.s"), [".staging"]);
      assert.deepEqual(await contexts("?contextPrefix=.nonexistent"), []);
      assert.deepEqual(await contexts("?contextPrefix="), all);
      assert.deepEqual(await contexts("?contextPrefix=.STAGING"), []);
      assert.deepEqual(await contexts("?contextPrefix=.&offset=0&limit=2"), [".", ".dev"]);
      assert.deepEqual(await contexts("?contextPrefix=.&offset=2&limit=2"), [".prod", ".prod-eu"]);
      assert.deepEqual(await contexts("?contextPrefix=.&offset=4&limit=2"), [".staging"]);
    } finally {
      await h.close();
    }
  });
});

describe("config, mode and references per context", () => {
  const enc = encodeURIComponent;
  const user = (fields: unknown[]) => JSON.stringify({ type: "record", name: "User", fields });
  const v1 = user([{ name: "a", type: "string" }]);
  const incompatible = user([
    { name: "a", type: "string" },
    { name: "b", type: "string" },
  ]);

  test("a context's config covers its subjects only; :.__GLOBAL: covers contexts without one", async () => {
    const h = await RegistryHarness.start();
    try {
      for (const subject of [":.ctx:u", ":.other:u", "u"]) await h.register(subject, v1);
      assert.equal((await h.call("PUT", `/config/${enc(":.ctx:")}`, { compatibility: "NONE" })).status, 200);
      assert.equal((await h.call("GET", "/contexts/.ctx/config")).json.compatibilityLevel, "NONE");
      assert.equal((await h.register(":.ctx:u", incompatible)).status, 200);
      assert.equal((await h.register(":.other:u", incompatible)).status, 409);
      assert.equal((await h.register("u", incompatible)).status, 409);
      assert.equal(
        (await h.call("GET", `/config/${enc(":.other:u")}?defaultToGlobal=true`)).json.compatibilityLevel,
        "BACKWARD",
      );
      assert.equal(
        (await h.call("GET", `/config/${enc(":.ctx:u")}?defaultToGlobal=true`)).json.compatibilityLevel,
        "NONE",
      );
      // The global config (no subject) is the default context's; it does not reach named contexts.
      await h.call("PUT", "/config", { compatibility: "NONE" });
      assert.equal((await h.register(":.other:u", incompatible)).status, 409);
      assert.equal((await h.register("u", incompatible)).status, 200);
      // `:.__GLOBAL:` does.
      await h.call("PUT", `/config/${enc(":.__GLOBAL:")}`, { compatibility: "NONE" });
      assert.equal((await h.register(":.other:u", incompatible)).status, 200);
      // The context prefix form reaches the same config records.
      await h.call("PUT", "/contexts/.ctx/config/u", { compatibility: "FULL" });
      assert.equal((await h.call("GET", `/config/${enc(":.ctx:u")}`)).json.compatibilityLevel, "FULL");
      assert.equal((await h.register(":.ctx:__GLOBAL", v1)).json.error_code, 42208);
      assert.equal((await h.register(":.__GLOBAL:x", v1)).json.error_code, 42208);
    } finally {
      await h.close();
    }
  });

  test("a context's mode covers its subjects only", async () => {
    const h = await RegistryHarness.start();
    try {
      assert.equal((await h.call("PUT", "/contexts/.ro/mode", { mode: "READONLY" })).status, 200);
      assert.equal((await h.call("GET", `/mode/${enc(":.ro:")}`)).json.mode, "READONLY");
      assert.equal((await h.register(":.ro:s", v1)).json.error_code, 42205);
      assert.equal((await h.register(":.rw:s", v1)).status, 200);
      assert.equal((await h.register("s", v1)).status, 200);
      assert.equal(
        (await h.call("GET", `/mode/${enc(":.ro:s")}?defaultToGlobal=true`)).json.mode,
        "READONLY",
      );
      assert.equal((await h.call("DELETE", "/contexts/.ro/mode")).status, 200);
      assert.equal((await h.register(":.ro:s", v1)).status, 200);
    } finally {
      await h.close();
    }
  });

  test("unqualified references from a context resolve in that context", async () => {
    const h = await RegistryHarness.start();
    try {
      const address = JSON.stringify({
        type: "record",
        name: "Address",
        namespace: "com.acme",
        fields: [{ name: "city", type: "string" }],
      });
      const customer = JSON.stringify({
        type: "record",
        name: "Customer",
        namespace: "com.acme",
        fields: [{ name: "address", type: "com.acme.Address" }],
      });
      const references = [{ name: "com.acme.Address", subject: "address", version: 1 }];
      assert.equal((await h.register(":.ctx:address", address)).json.id, 1);
      // No `address` in the default context: the reference means `:.ctx:address`.
      const registered = await h.register(":.ctx:customer", customer, { references });
      assert.equal(registered.status, 200);
      assert.equal(registered.json.id, 2);
      assert.equal((await h.register("customer", customer, { references })).json.error_code, 42201);
      assert.deepEqual(
        (await h.call("GET", `/subjects/${enc(":.ctx:address")}/versions/1/referencedby`)).json,
        [2],
      );
      assert.equal((await h.call("DELETE", `/subjects/${enc(":.ctx:address")}`)).json.error_code, 42206);
    } finally {
      await h.close();
    }
  });
});
