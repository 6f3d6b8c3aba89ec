import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { RegistryHarness, V1 } from "./registry-harness.js";

const user = (fields: unknown[]) => ({ type: "record", name: "User", namespace: "com.acme", fields });
const USER_V1 = user([{ name: "name", type: "string" }]);
const USER_V2 = user([
  { name: "name", type: "string" },
  { name: "age", type: "int", default: 0 },
]);
const USER_BAD = user([
  { name: "name", type: "string" },
  { name: "email", type: "string" },
]);

async function withRegistry(body: (h: RegistryHarness) => Promise<void>): Promise<void> {
  const harness = await RegistryHarness.start();
  try {
    await body(harness);
  } finally {
    await harness.close();
  }
}

describe("basics and content types", () => {
  let h: RegistryHarness;
  before(async () => {
    h = await RegistryHarness.start();
  });
  after(() => h.close());

  test("GET / answers {} in the v1 content type", async () => {
    const answer = await h.call("GET", "/");
    assert.equal(answer.status, 200);
    assert.deepEqual(answer.json, {});
    assert.equal(answer.contentType, V1);
  });

  test("GET /schemas/types lists the three formats", async () => {
    assert.deepEqual((await h.call("GET", "/schemas/types")).json.sort(), ["AVRO", "JSON", "PROTOBUF"]);
  });

  test("Accept negotiates among the registry's types; none acceptable is 406", async () => {
    assert.equal(
      (await h.call("GET", "/", undefined, { Accept: "application/json" })).contentType,
      "application/json",
    );
    assert.equal(
      (await h.call("GET", "/", undefined, { Accept: "application/vnd.schemaregistry+json" })).contentType,
      "application/vnd.schemaregistry+json",
    );
    assert.equal((await h.call("GET", "/", undefined, { Accept: "*/*" })).contentType, V1);
    const refused = await h.call("GET", "/", undefined, { Accept: "text/html" });
    assert.equal(refused.status, 406);
    assert.equal(refused.json.error_code, 406);
  });

  test("request bodies in the four accepted types register; others are 415 with Confluent's body", async () => {
    for (const type of [
      V1,
      "application/vnd.schemaregistry+json",
      "application/json",
      "application/octet-stream",
    ]) {
      const answer = await h.call(
        "POST",
        "/subjects/ct/versions",
        { schema: '"string"' },
        { "Content-Type": type },
      );
      assert.equal(answer.status, 200, type);
    }
    const charset = await h.call(
      "POST",
      "/subjects/ct/versions",
      { schema: '"string"' },
      {
        "Content-Type": "application/json; charset=utf-8",
      },
    );
    assert.equal(charset.status, 200);
    const refused = await h.call(
      "POST",
      "/subjects/ct/versions",
      { schema: '"string"' },
      { "Content-Type": "text/plain" },
    );
    assert.equal(refused.status, 415);
    assert.deepEqual(refused.json, { error_code: 415, message: "HTTP 415 Unsupported Media Type" });
  });

  test("unknown routes are 404 and wrong methods 405, both with error bodies", async () => {
    const missing = await h.call("GET", "/nope");
    assert.equal(missing.status, 404);
    assert.equal(missing.json.error_code, 404);
    const wrong = await h.call("PATCH", "/subjects");
    assert.equal(wrong.status, 405);
    assert.equal(wrong.json.error_code, 405);
  });

  test("malformed JSON is a 400 with an error body, and the server keeps serving", async () => {
    const answer = await h.call("POST", "/subjects/x/versions", "{not json");
    assert.equal(answer.status, 400);
    assert.equal(answer.json.error_code, 400);
    const notObject = await h.call("POST", "/subjects/x/versions", "[1,2]");
    assert.equal(notObject.status, 400);
    assert.equal((await h.call("GET", "/")).status, 200);
  });

  test("a body over the limit is 413, and the server keeps serving", async () => {
    const huge = JSON.stringify({ schema: "x".repeat(9 * 1024 * 1024) });
    const answer = await h.call("POST", "/subjects/x/versions", huge);
    assert.equal(answer.status, 413);
    assert.equal(answer.json.error_code, 413);
    assert.equal((await h.call("GET", "/")).status, 200);
  });

  test("/contexts and /v1/metadata answer", async () => {
    assert.deepEqual((await h.call("GET", "/contexts")).json, ["."]);
    assert.equal(typeof (await h.call("GET", "/v1/metadata/version")).json.version, "string");
    assert.equal(typeof (await h.call("GET", "/v1/metadata/id")).json.scope, "object");
  });
});

describe("register, ids and versions", () => {
  test("same schema gets the same id in any subject and no new version on re-registration", () =>
    withRegistry(async (h) => {
      const first = await h.register("a-value", USER_V1);
      assert.equal(first.status, 200);
      assert.equal(first.json.id, 1);
      assert.equal((await h.register("b-value", USER_V1)).json.id, 1);
      assert.equal((await h.register("a-value", USER_V1)).json.id, 1);
      assert.deepEqual((await h.call("GET", "/subjects/a-value/versions")).json, [1]);
      const second = await h.register("a-value", USER_V2);
      assert.equal(second.json.id, 2);
      assert.deepEqual((await h.call("GET", "/subjects/a-value/versions")).json, [1, 2]);
      assert.deepEqual((await h.call("GET", "/subjects")).json, ["a-value", "b-value"]);
    }));

  test("whitespace and attribute order do not change the id; the stored text is canonical", () =>
    withRegistry(async (h) => {
      const spaced = `{ "namespace": "com.acme", "fields": [ {"type": "string", "name": "name"} ],
        "name": "User", "type": "record" }`;
      assert.equal((await h.register("a", USER_V1)).json.id, 1);
      assert.equal((await h.register("b", spaced)).json.id, 1);
      assert.equal((await h.register("c", '{   "type":   "string"}')).json.id, 2);
      const raw = await h.call("GET", "/subjects/c/versions/1/schema");
      assert.equal(raw.text, '"string"');
    }));

  test("normalize=true folds namespace spellings together", () =>
    withRegistry(async (h) => {
      const full = { type: "record", name: "com.acme.User", fields: [{ name: "name", type: "string" }] };
      const first = await h.register("a", full, {}, "?normalize=true");
      const second = await h.register("b", USER_V1, {}, "?normalize=true");
      assert.equal(second.json.id, first.json.id);
      const plain = await h.register("c", USER_V1);
      assert.notEqual(plain.json.id, first.json.id);
    }));

  test("GET versions, latest, -1, raw schema, ids and their subjects/versions", () =>
    withRegistry(async (h) => {
      await h.register("s", USER_V1);
      await h.register("s", USER_V2);
      await h.register("t", USER_V2);
      const latest = await h.call("GET", "/subjects/s/versions/latest");
      assert.deepEqual(Object.keys(latest.json).sort(), ["id", "schema", "subject", "version"]);
      assert.equal(latest.json.version, 2);
      assert.equal((await h.call("GET", "/subjects/s/versions/-1")).json.version, 2);
      assert.equal((await h.call("GET", "/subjects/s/versions/LATEST")).json.version, 2);
      assert.equal((await h.call("GET", "/subjects/s/versions/1")).json.id, 1);
      const raw = await h.call("GET", "/subjects/s/versions/1/schema");
      assert.deepEqual(JSON.parse(raw.text), USER_V1);
      assert.deepEqual(JSON.parse((await h.call("GET", "/schemas/ids/2")).json.schema), USER_V2);
      assert.deepEqual(JSON.parse((await h.call("GET", "/schemas/ids/2/schema")).text), USER_V2);
      assert.deepEqual((await h.call("GET", "/schemas/ids/2/subjects")).json, ["s", "t"]);
      assert.deepEqual((await h.call("GET", "/schemas/ids/2/versions")).json, [
        { subject: "s", version: 2 },
        { subject: "t", version: 1 },
      ]);
      assert.equal((await h.call("GET", "/schemas/ids/1?fetchMaxId=true")).json.maxId, 2);
      assert.equal((await h.call("GET", "/schemas")).json.length, 3);
      assert.equal((await h.call("GET", "/schemas?latestOnly=true")).json.length, 2);
      assert.equal((await h.call("GET", "/schemas?subjectPrefix=t")).json.length, 1);
      assert.deepEqual((await h.call("GET", "/subjects?subjectPrefix=t")).json, ["t"]);
      assert.deepEqual((await h.call("GET", "/subjects?offset=1&limit=1")).json, ["t"]);
    }));

  test("lookup finds a version by schema: 40401 for an unknown subject, 40403 for an unknown schema", () =>
    withRegistry(async (h) => {
      await h.register("s", USER_V1);
      const found = await h.call("POST", "/subjects/s", { schema: JSON.stringify(USER_V1) });
      assert.equal(found.status, 200);
      assert.equal(found.json.id, 1);
      assert.equal(found.json.version, 1);
      assert.equal(found.json.subject, "s");
      const noSubject = await h.call("POST", "/subjects/none", { schema: JSON.stringify(USER_V1) });
      assert.equal(noSubject.json.error_code, 40401);
      assert.equal(noSubject.status, 404);
      const noSchema = await h.call("POST", "/subjects/s", { schema: JSON.stringify(USER_V2) });
      assert.equal(noSchema.json.error_code, 40403);
      const invalid = await h.call("POST", "/subjects/s", { schema: "{" });
      assert.equal(invalid.json.error_code, 42201);
    }));

  test("error codes: 40401, 40402, 40403, 42201, 42202, 42208", () =>
    withRegistry(async (h) => {
      await h.register("s", USER_V1);
      assert.equal((await h.call("GET", "/subjects/none/versions")).json.error_code, 40401);
      assert.equal((await h.call("GET", "/subjects/none/versions/1")).json.error_code, 40401);
      assert.equal((await h.call("GET", "/subjects/s/versions/7")).json.error_code, 40402);
      assert.equal((await h.call("GET", "/schemas/ids/99")).json.error_code, 40403);
      assert.equal((await h.call("GET", "/schemas/ids/99/subjects")).json.error_code, 40403);
      assert.equal((await h.call("GET", "/schemas/ids/abc")).status, 404);
      for (const bad of ["0", "-2", "abc", "earliest", "2147483648"]) {
        const answer = await h.call("GET", `/subjects/s/versions/${bad}`);
        assert.equal(answer.json.error_code, 42202, bad);
        assert.equal(answer.status, 422);
      }
      for (const schema of ["{", '{"type":"record","name":"X"}', '"Unknown"', ""]) {
        const answer = await h.register("s2", schema);
        assert.equal(answer.json.error_code, 42201, schema);
        assert.equal(answer.status, 422);
      }
      const badDefault = user([{ name: "a", type: "int", default: "x" }]);
      assert.equal((await h.register("s2", badDefault)).json.error_code, 42201);
      assert.equal((await h.register("s2", USER_V1, { schemaType: "XML" })).json.error_code, 42201);
      assert.equal((await h.call("POST", "/subjects/s2/versions", {})).json.error_code, 42201);
      assert.equal((await h.register("__GLOBAL", USER_V1)).json.error_code, 42208);
      assert.equal((await h.register("bad\u0001subject", USER_V1)).json.error_code, 42208);
    }));

  test("an explicit version must be the next one outside IMPORT mode", () =>
    withRegistry(async (h) => {
      assert.equal((await h.register("s", USER_V1, { version: 1 })).status, 200);
      assert.equal((await h.register("s", USER_V2, { version: 5 })).json.error_code, 42201);
      assert.equal((await h.register("s", USER_V2, { version: 2 })).json.id, 2);
    }));

  test("incompatible registration is 409 with Confluent's message and reasons", () =>
    withRegistry(async (h) => {
      await h.register("s", USER_V1);
      const answer = await h.register("s", USER_BAD);
      assert.equal(answer.status, 409);
      assert.equal(answer.json.error_code, 409);
      assert.match(
        answer.json.message,
        /^Schema being registered is incompatible with an earlier schema for subject "s"/,
      );
      assert.match(answer.json.message, /READER_FIELD_MISSING_DEFAULT_VALUE/);
      assert.match(answer.json.message, /\{oldSchemaVersion: 1\}/);
      assert.match(answer.json.message, /\{compatibility: 'BACKWARD'\}/);
      assert.equal((await h.register("s", USER_BAD, {}, "?force=true")).status, 200);
    }));

  test("subjects with slashes and spaces work URL-encoded", () =>
    withRegistry(async (h) => {
      const subject = "team/a b:c";
      assert.equal((await h.register(subject, USER_V1)).status, 200);
      assert.deepEqual((await h.call("GET", "/subjects")).json, [subject]);
      assert.equal(
        (await h.call("GET", `/subjects/${encodeURIComponent(subject)}/versions/1`)).json.subject,
        subject,
      );
    }));
});

describe("deletes", () => {
  test("soft delete of a version hides it; its id still resolves; hard delete needs soft first", () =>
    withRegistry(async (h) => {
      await h.register("s", USER_V1);
      await h.register("s", USER_V2);
      assert.equal((await h.call("DELETE", "/subjects/s/versions/1?permanent=true")).json.error_code, 40407);
      const deleted = await h.call("DELETE", "/subjects/s/versions/1");
      assert.equal(deleted.status, 200);
      assert.equal(deleted.json, 1);
      assert.equal((await h.call("DELETE", "/subjects/s/versions/1")).json.error_code, 40406);
      assert.deepEqual((await h.call("GET", "/subjects/s/versions")).json, [2]);
      assert.deepEqual((await h.call("GET", "/subjects/s/versions?deleted=true")).json, [1, 2]);
      assert.deepEqual((await h.call("GET", "/subjects/s/versions?deletedOnly=true")).json, [1]);
      assert.deepEqual((await h.call("GET", "/subjects/s/versions?deletedAsNegative=true")).json, [-1, 2]);
      assert.equal((await h.call("GET", "/subjects/s/versions/1")).json.error_code, 40402);
      assert.equal((await h.call("GET", "/subjects/s/versions/1?deleted=true")).json.version, 1);
      assert.equal((await h.call("GET", "/schemas/ids/1")).status, 200);
      assert.deepEqual((await h.call("GET", "/schemas/ids/1/subjects")).json, []);
      assert.deepEqual((await h.call("GET", "/schemas/ids/1/subjects?deleted=true")).json, ["s"]);
      assert.equal(
        (await h.call("POST", "/subjects/s", { schema: JSON.stringify(USER_V1) })).json.error_code,
        40403,
      );
      assert.equal(
        (await h.call("POST", "/subjects/s?deleted=true", { schema: JSON.stringify(USER_V1) })).json.id,
        1,
      );
      assert.equal((await h.call("DELETE", "/subjects/s/versions/1?permanent=true")).json, 1);
      assert.equal((await h.call("GET", "/schemas/ids/1")).json.error_code, 40403);
      assert.equal((await h.call("DELETE", "/subjects/s/versions/9")).json.error_code, 40402);
      assert.equal((await h.call("DELETE", "/subjects/none/versions/1")).json.error_code, 40401);
      assert.equal((await h.call("DELETE", "/subjects/s/versions/x")).json.error_code, 42202);
    }));

  test("a re-registered soft-deleted schema keeps its id and gets a new version", () =>
    withRegistry(async (h) => {
      await h.register("s", USER_V1);
      await h.register("s", USER_V2);
      await h.call("DELETE", "/subjects/s/versions/1");
      const again = await h.register("s", USER_V1, {}, "?force=true");
      assert.equal(again.json.id, 1);
      assert.equal(again.json.version, 3);
      assert.deepEqual((await h.call("GET", "/subjects/s/versions?deleted=true")).json, [2, 3]);
    }));

  test("subject soft delete, 40404 on repeat, 40405 before permanent, then permanent", () =>
    withRegistry(async (h) => {
      await h.register("s", USER_V1);
      await h.register("s", USER_V2);
      await h.call("PUT", "/config/s", { compatibility: "FULL" });
      assert.equal((await h.call("DELETE", "/subjects/s?permanent=true")).json.error_code, 40405);
      assert.deepEqual((await h.call("DELETE", "/subjects/s")).json, [1, 2]);
      assert.equal((await h.call("DELETE", "/subjects/s")).json.error_code, 40404);
      assert.deepEqual((await h.call("GET", "/subjects")).json, []);
      assert.deepEqual((await h.call("GET", "/subjects?deleted=true")).json, ["s"]);
      assert.deepEqual((await h.call("GET", "/subjects?deletedOnly=true")).json, ["s"]);
      assert.equal((await h.call("GET", "/subjects/s/versions")).json.error_code, 40401);
      assert.equal((await h.call("GET", "/subjects/s/versions/latest")).json.error_code, 40401);
      assert.equal((await h.call("GET", "/config/s")).json.error_code, 40408);
      assert.equal((await h.call("GET", "/schemas/ids/2")).status, 200);
      const back = await h.register("s", USER_V1);
      assert.deepEqual([back.json.id, back.json.version], [1, 3]);
      await h.call("DELETE", "/subjects/s");
      assert.deepEqual((await h.call("DELETE", "/subjects/s?permanent=true")).json, [2, 3]);
      assert.equal((await h.call("GET", "/schemas/ids/1")).json.error_code, 40403);
      assert.equal((await h.call("DELETE", "/subjects/s")).json.error_code, 40401);
      // Versions restart after a hard delete; ids never do.
      const fresh = await h.register("s", USER_V2);
      assert.deepEqual([fresh.json.id, fresh.json.version], [3, 1]);
    }));
});

describe("config and mode", () => {
  test("global config defaults to BACKWARD; PUT echoes; subject config 40408 unless defaultToGlobal", () =>
    withRegistry(async (h) => {
      assert.deepEqual((await h.call("GET", "/config")).json, { compatibilityLevel: "BACKWARD" });
      assert.deepEqual((await h.call("PUT", "/config", { compatibility: "full" })).json, {
        compatibility: "FULL",
      });
      assert.deepEqual((await h.call("GET", "/config")).json, { compatibilityLevel: "FULL" });
      const bad = await h.call("PUT", "/config", { compatibility: "SIDEWAYS" });
      assert.equal(bad.json.error_code, 42203);
      assert.equal(bad.status, 422);
      assert.equal((await h.call("GET", "/config/s")).json.error_code, 40408);
      assert.deepEqual((await h.call("GET", "/config/s?defaultToGlobal=true")).json, {
        compatibilityLevel: "FULL",
      });
      assert.deepEqual((await h.call("PUT", "/config/s", { compatibility: "NONE" })).json, {
        compatibility: "NONE",
      });
      assert.deepEqual((await h.call("GET", "/config/s")).json, { compatibilityLevel: "NONE" });
      assert.deepEqual((await h.call("DELETE", "/config/s")).json, { compatibilityLevel: "NONE" });
      assert.equal((await h.call("DELETE", "/config/s")).json.error_code, 40401);
      assert.deepEqual((await h.call("DELETE", "/config")).json, { compatibilityLevel: "FULL" });
      assert.deepEqual((await h.call("GET", "/config")).json, { compatibilityLevel: "BACKWARD" });
      assert.equal(
        (await h.call("PUT", "/config/__GLOBAL", { compatibility: "NONE" })).json.error_code,
        42208,
      );
    }));

  test("the subject level decides registration; NONE accepts anything", () =>
    withRegistry(async (h) => {
      await h.register("s", USER_V1);
      assert.equal((await h.register("s", USER_BAD)).status, 409);
      await h.call("PUT", "/config/s", { compatibility: "NONE" });
      assert.equal((await h.register("s", USER_BAD)).status, 200);
    }));

  test("modes: READONLY refuses writes with 42205, reads still work; 42204 for unknown modes", () =>
    withRegistry(async (h) => {
      await h.register("s", USER_V1);
      assert.deepEqual((await h.call("GET", "/mode")).json, { mode: "READWRITE" });
      assert.equal((await h.call("GET", "/mode/s")).json.error_code, 40409);
      assert.deepEqual((await h.call("GET", "/mode/s?defaultToGlobal=true")).json, { mode: "READWRITE" });
      assert.deepEqual((await h.call("PUT", "/mode/s", { mode: "READONLY" })).json, { mode: "READONLY" });
      const refused = await h.register("s", USER_V2);
      assert.equal(refused.json.error_code, 42205);
      assert.equal(refused.status, 422);
      assert.equal((await h.call("DELETE", "/subjects/s")).json.error_code, 42205);
      assert.equal((await h.call("DELETE", "/subjects/s/versions/1")).json.error_code, 42205);
      assert.equal((await h.call("GET", "/subjects/s/versions/1")).status, 200);
      assert.equal((await h.register("other", USER_V1)).status, 200);
      assert.deepEqual((await h.call("DELETE", "/mode/s")).json, { mode: "READONLY" });
      assert.equal((await h.register("s", USER_V2)).status, 200);
      assert.equal((await h.call("PUT", "/mode", { mode: "SOMETIMES" })).json.error_code, 42204);
      assert.equal((await h.call("PUT", "/mode/s", { mode: "FORWARD" })).json.error_code, 42204);
      await h.call("PUT", "/mode", { mode: "READONLY" });
      assert.equal((await h.register("third", USER_V1)).json.error_code, 42205);
      await h.call("PUT", "/mode", { mode: "READWRITE" });
      assert.equal((await h.register("third", USER_V1)).status, 200);
    }));

  test("IMPORT mode: needs force with live schemas, takes explicit ids and versions, 42207 on conflicts", () =>
    withRegistry(async (h) => {
      await h.register("s", USER_V1);
      assert.equal((await h.call("PUT", "/mode", { mode: "IMPORT" })).json.error_code, 42205);
      assert.equal((await h.call("PUT", "/mode/imported", { mode: "IMPORT" })).status, 200);
      const imported = await h.register("imported", USER_BAD, { id: 100, version: 7 });
      assert.deepEqual([imported.json.id, imported.json.version], [100, 7]);
      assert.equal((await h.call("GET", "/schemas/ids/100")).status, 200);
      const clash = await h.register("imported", USER_V2, { id: 100, version: 8 });
      assert.equal(clash.json.error_code, 42207);
      // An incompatible schema is accepted: IMPORT skips compatibility checks.
      assert.equal((await h.register("imported", { type: "string" }, { id: 101, version: 8 })).json.id, 101);
      await h.call("DELETE", "/mode/imported");
      // Fresh ids continue past the imported ones.
      assert.equal((await h.register("later", USER_V2)).json.id, 102);
      assert.equal((await h.call("PUT", "/mode?force=true", { mode: "IMPORT" })).status, 200);
      assert.deepEqual((await h.call("GET", "/mode")).json, { mode: "IMPORT" });
    }));
});

describe("compatibility endpoints", () => {
  test("check against latest, a version, or what registration would check; verbose adds messages", () =>
    withRegistry(async (h) => {
      const body = (schema: unknown) => ({ schema: JSON.stringify(schema) });
      const none = await h.call("POST", "/compatibility/subjects/none/versions/latest", body(USER_V1));
      assert.deepEqual(none.json, { is_compatible: true });
      assert.equal(
        (await h.call("POST", "/compatibility/subjects/none/versions/1", body(USER_V1))).json.error_code,
        40402,
      );
      await h.register("s", USER_V1);
      assert.deepEqual(
        (await h.call("POST", "/compatibility/subjects/s/versions/latest", body(USER_V2))).json,
        {
          is_compatible: true,
        },
      );
      assert.deepEqual((await h.call("POST", "/compatibility/subjects/s/versions/1", body(USER_BAD))).json, {
        is_compatible: false,
      });
      const verbose = await h.call("POST", "/compatibility/subjects/s/versions?verbose=true", body(USER_BAD));
      assert.equal(verbose.json.is_compatible, false);
      assert.ok(verbose.json.messages.some((m: string) => m.includes("READER_FIELD_MISSING_DEFAULT_VALUE")));
      const okVerbose = await h.call(
        "POST",
        "/compatibility/subjects/s/versions?verbose=true",
        body(USER_V2),
      );
      assert.deepEqual(okVerbose.json, { is_compatible: true, messages: [] });
      const invalid = await h.call("POST", "/compatibility/subjects/s/versions/latest", { schema: "{" });
      assert.equal(invalid.json.error_code, 42201);
      const invalidVerbose = await h.call("POST", "/compatibility/subjects/s/versions/latest?verbose=true", {
        schema: "{",
      });
      assert.equal(invalidVerbose.json.is_compatible, false);
      assert.equal(
        (await h.call("POST", "/compatibility/subjects/s/versions/zero", body(USER_V1))).json.error_code,
        42202,
      );
      assert.deepEqual((await h.call("GET", "/subjects/s/versions")).json, [1]);
    }));

  test("transitive levels check every live version; plain levels only the latest", () =>
    withRegistry(async (h) => {
      const f1 = user([{ name: "f1", type: "string" }]);
      const f2default = user([
        { name: "f1", type: "string" },
        { name: "f2", type: "string", default: "foo" },
      ]);
      const f2 = user([
        { name: "f1", type: "string" },
        { name: "f2", type: "string" },
      ]);
      await h.register("plain", f1);
      await h.register("plain", f2default);
      assert.equal((await h.register("plain", f2)).status, 200);
      await h.call("PUT", "/config/trans", { compatibility: "BACKWARD_TRANSITIVE" });
      await h.register("trans", f1);
      await h.register("trans", f2default);
      const refused = await h.register("trans", f2);
      assert.equal(refused.status, 409);
      assert.match(refused.json.message, /oldSchemaVersion: 1/);
    }));
});

describe("references", () => {
  test("an Avro schema referencing another subject registers, lists referencedby, blocks deletes with 42206", () =>
    withRegistry(async (h) => {
      const address = {
        type: "record",
        name: "Address",
        namespace: "com.acme",
        fields: [{ name: "street", type: "string" }],
      };
      await h.register("address", address);
      const customer = {
        type: "record",
        name: "Customer",
        namespace: "com.acme",
        fields: [{ name: "address", type: "com.acme.Address" }],
      };
      const references = [{ name: "com.acme.Address", subject: "address", version: 1 }];
      assert.equal((await h.register("customer", customer)).json.error_code, 42201);
      const missingRef = [{ name: "com.acme.Address", subject: "address", version: 9 }];
      assert.equal(
        (await h.register("customer", customer, { references: missingRef })).json.error_code,
        42201,
      );
      const registered = await h.register("customer", customer, { references });
      assert.equal(registered.status, 200);
      const byId = await h.call("GET", `/schemas/ids/${registered.json.id}`);
      assert.deepEqual(byId.json.references, references);
      assert.deepEqual((await h.call("GET", "/subjects/customer/versions/1")).json.references, references);
      assert.deepEqual((await h.call("GET", "/subjects/address/versions/1/referencedby")).json, [
        registered.json.id,
      ]);
      assert.equal((await h.call("DELETE", "/subjects/address/versions/1")).json.error_code, 42206);
      assert.equal((await h.call("DELETE", "/subjects/address")).json.error_code, 42206);
      await h.call("DELETE", "/subjects/customer");
      assert.equal((await h.call("DELETE", "/subjects/address")).status, 200);
      assert.equal((await h.call("DELETE", "/subjects/address?permanent=true")).json.error_code, 42206);
      await h.call("DELETE", "/subjects/customer?permanent=true");
      assert.equal((await h.call("DELETE", "/subjects/address?permanent=true")).status, 200);
    }));
});

describe("hostile input", () => {
  test("random bodies and paths get 2xx/4xx answers, never a 500 or a crash", async () => {
    const fc = (await import("fast-check")).default;
    const h = await RegistryHarness.start();
    try {
      const schemaText = fc.oneof(
        fc.string(),
        fc.json(),
        fc.constantFrom(
          '{"type":"record","name":"R","fields":[{"name":"a","type":{"type":"array","items":"R"}}]}',
          "[[[[[]]]]]",
        ),
      );
      const body = fc.oneof(
        fc.string(),
        fc.json(),
        fc.record({ schema: schemaText, schemaType: fc.constantFrom("AVRO", "JSON", "PROTOBUF", "X") }),
      );
      const path = fc.constantFrom(
        "/subjects/s/versions",
        "/subjects/s",
        "/compatibility/subjects/s/versions/latest?verbose=true",
        "/config/s",
        "/mode/s",
        "/subjects/%E0%A4%A/versions",
      );
      await fc.assert(
        fc.asyncProperty(path, body, async (p, b) => {
          const method = p.startsWith("/config") || p.startsWith("/mode") ? "PUT" : "POST";
          const answer = await h.call(method, p, typeof b === "string" ? b : JSON.stringify(b));
          assert.ok(answer.status < 500, `${p} ${answer.status} ${answer.text}`);
          assert.equal(typeof answer.json?.error_code === "number" || answer.status === 200, true);
        }),
        { numRuns: Number(process.env.BROOK_REGISTRY_FUZZ_RUNS ?? 150) },
      );
      assert.equal((await h.call("GET", "/")).status, 200);
    } finally {
      await h.close();
    }
  });
});
