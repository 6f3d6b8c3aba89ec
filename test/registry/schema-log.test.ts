import assert from "node:assert/strict";
import { mkdtempSync, rmSync, statSync, truncateSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, test } from "node:test";
import {
  FileSchemaLog,
  MemorySchemaLog,
  SchemaRegistry,
  schemaLogRecords,
} from "../../src/registry/index.js";
import { RegistryHarness } from "./registry-harness.js";

const USER_V1 = { type: "record", name: "User", fields: [{ name: "name", type: "string" }] };
const USER_V2 = {
  type: "record",
  name: "User",
  fields: [
    { name: "name", type: "string" },
    { name: "age", type: "int", default: 0 },
  ],
};

const text = (buffer: Buffer | null) => (buffer === null ? null : buffer.toString("utf8"));

describe("_schemas records", () => {
  test("keys and values are written exactly as Confluent's registry writes them", async () => {
    const log = new MemorySchemaLog();
    const registry = await SchemaRegistry.open({ backend: log });
    await registry.register("orders-value", {
      schema: JSON.stringify(USER_V1),
      schemaType: "AVRO",
      references: [],
    });
    await registry.setConfig(null, { compatibilityLevel: "FULL" });
    await registry.setConfig("orders-value", { compatibilityLevel: "NONE" });
    await registry.setMode("orders-value", "READONLY");
    await registry.deleteMode("orders-value");
    await registry.deleteSubject("orders-value");
    const records = log.snapshot().map((r) => [text(r.key), text(r.value)]);
    assert.deepEqual(records, [
      [
        '{"keytype":"SCHEMA","subject":"orders-value","version":1,"magic":1}',
        '{"subject":"orders-value","version":1,"id":1,"schema":"{\\"type\\":\\"record\\",\\"name\\":\\"User\\",\\"fields\\":[{\\"name\\":\\"name\\",\\"type\\":\\"string\\"}]}","deleted":false}',
      ],
      ['{"keytype":"CONFIG","magic":0}', '{"compatibilityLevel":"FULL"}'],
      [
        '{"keytype":"CONFIG","subject":"orders-value","magic":0}',
        '{"subject":"orders-value","compatibilityLevel":"NONE"}',
      ],
      [
        '{"keytype":"MODE","subject":"orders-value","magic":0}',
        '{"subject":"orders-value","mode":"READONLY"}',
      ],
      ['{"keytype":"MODE","subject":"orders-value","magic":0}', null],
      [
        '{"keytype":"DELETE_SUBJECT","subject":"orders-value","magic":0}',
        '{"subject":"orders-value","version":1}',
      ],
      ['{"keytype":"CONFIG","subject":"orders-value","magic":0}', null],
    ]);
  });

  test("reading accepts any field order, both global key spellings, legacy magic 0 and unknown fields", () => {
    const decode = (json: string) => schemaLogRecords.decodeKey(Buffer.from(json));
    assert.deepEqual(decode('{"subject":"s","version":2,"magic":0,"keytype":"SCHEMA"}'), {
      keytype: "SCHEMA",
      subject: "s",
      version: 2,
    });
    assert.deepEqual(decode('{"keytype":"CONFIG","subject":null,"magic":0}'), {
      keytype: "CONFIG",
      subject: null,
    });
    assert.deepEqual(decode('{"keytype":"CONFIG","magic":0}'), { keytype: "CONFIG", subject: null });
    assert.equal(decode('{"keytype":"SCHEMA","subject":"s","version":1,"magic":2}'), undefined);
    assert.equal(decode("not json"), undefined);
    const value = schemaLogRecords.decodeSchemaValue(
      Buffer.from(
        '{"deleted":true,"schema":"\\"int\\"","id":3,"version":1,"subject":"s","md5":"x","schemaType":"AVRO"}',
      ),
    );
    assert.deepEqual(value, {
      subject: "s",
      version: 1,
      id: 3,
      schemaType: "AVRO",
      references: [],
      schema: '"int"',
      deleted: true,
    });
  });

  test("records written by karapace's key order and a null-subject global config replay", async () => {
    const log = new MemorySchemaLog();
    const put = (key: string, value: string | null) =>
      log.append(Buffer.from(key), value === null ? null : Buffer.from(value));
    await put(
      '{"subject":"s","version":1,"magic":1,"keytype":"SCHEMA"}',
      '{"subject":"s","version":1,"id":5,"schema":"\\"int\\"","deleted":false}',
    );
    await put('{"keytype":"CONFIG","subject":null,"magic":0}', '{"compatibilityLevel":"NONE"}');
    await put('{"keytype":"NOOP","magic":0}', null);
    await put('{"keytype":"SOMETHING_NEW","magic":0}', "{}");
    await put("garbage", "garbage");
    const registry = await SchemaRegistry.open({ backend: log });
    assert.equal(registry.getVersion("s", "latest").id, 5);
    assert.equal(registry.compatibilityOf("s"), "NONE");
    assert.equal(registry.skippedRecordCount, 2);
    const next = await registry.register("t", { schema: '"long"', schemaType: "AVRO", references: [] });
    assert.equal(next.id, 6);
  });
});

describe("restart rebuilds the state from the log", () => {
  test("every kind of change survives a restart over HTTP", async () => {
    const h = await RegistryHarness.start();
    try {
      await h.register("a", USER_V1);
      await h.register("a", USER_V2);
      await h.register("b", USER_V1);
      await h.register("c", { type: "string" });
      await h.register("d", { type: "long" });
      await h.call("DELETE", "/subjects/a/versions/1");
      await h.call("DELETE", "/subjects/c");
      await h.call("DELETE", "/subjects/d");
      await h.call("DELETE", "/subjects/d?permanent=true");
      await h.call("PUT", "/config", { compatibility: "FORWARD" });
      await h.call("PUT", "/config/b", { compatibility: "NONE" });
      await h.call("PUT", "/mode/b", { mode: "READONLY" });
      const before = await snapshot(h);
      await h.restart();
      assert.deepEqual(await snapshot(h), before);
      // New ids continue after the highest ever seen, even a hard-deleted one.
      const next = await h.register("e", { type: "double" });
      assert.equal(next.json.id, 5);
      assert.equal((await h.register("b", USER_V2)).json.error_code, 42205);
    } finally {
      await h.close();
    }
  });

  test("the file log keeps everything across processes' restarts and cuts a torn tail", async () => {
    const dir = mkdtempSync(join(tmpdir(), "brook-registry-"));
    try {
      const path = join(dir, "_schemas.log");
      let log = new FileSchemaLog(path);
      let registry = await SchemaRegistry.open({ backend: log });
      await registry.register("a", { schema: JSON.stringify(USER_V1), schemaType: "AVRO", references: [] });
      await registry.register("a", { schema: JSON.stringify(USER_V2), schemaType: "AVRO", references: [] });
      await registry.setConfig("a", { compatibilityLevel: "FULL" });
      log.close();
      const sizeBytes = statSync(path).size;
      log = new FileSchemaLog(path);
      registry = await SchemaRegistry.open({ backend: log });
      assert.deepEqual(
        registry.versionsOf("a").map((v) => [v.version, v.id]),
        [
          [1, 1],
          [2, 2],
        ],
      );
      assert.equal(registry.compatibilityOf("a"), "FULL");
      log.close();
      truncateSync(path, sizeBytes - 3);
      log = new FileSchemaLog(path);
      registry = await SchemaRegistry.open({ backend: log });
      assert.equal(registry.compatibilityOf("a"), "BACKWARD");
      assert.equal(registry.versionsOf("a").length, 2);
      log.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test("a failing store answers 50001 and changes nothing", async () => {
    const log = new MemorySchemaLog();
    let failing = false;
    const backend = {
      append: (key: Buffer, value: Buffer | null) =>
        failing ? Promise.reject(new Error("disk on fire")) : log.append(key, value),
      read: (from: bigint, max: number) => log.read(from, max),
    };
    const h = await RegistryHarness.start(backend);
    try {
      await h.register("a", USER_V1);
      failing = true;
      const answer = await h.register("a", USER_V2);
      assert.equal(answer.status, 500);
      assert.equal(answer.json.error_code, 50001);
      failing = false;
      assert.deepEqual((await h.call("GET", "/subjects/a/versions")).json, [1]);
    } finally {
      await h.close();
    }
  });
});

async function snapshot(h: RegistryHarness): Promise<unknown> {
  const get = async (path: string) => (await h.call("GET", path)).json;
  return {
    subjects: await get("/subjects?deleted=true"),
    aVersions: await get("/subjects/a/versions?deleted=true"),
    a1: await get("/subjects/a/versions/1?deleted=true"),
    a2: await get("/subjects/a/versions/2"),
    bVersions: await get("/subjects/b/versions"),
    cVersions: await get("/subjects/c/versions"),
    dVersions: await get("/subjects/d/versions?deleted=true"),
    ids: await Promise.all([1, 2, 3, 4].map((id) => get(`/schemas/ids/${id}`))),
    config: await get("/config"),
    configB: await get("/config/b"),
    modeB: await get("/mode/b"),
    mode: await get("/mode"),
  };
}
