import assert from "node:assert/strict";
import { test } from "node:test";
import { parseProperties } from "../../src/base/index.js";

test("server.properties syntax: separators, comments, continuations, escapes", () => {
  const props = parseProperties(
    [
      "# a comment",
      "! another",
      "node.id=1",
      "  process.roles = broker,controller",
      "listeners: PLAINTEXT://:9092,\\",
      "    CONTROLLER://:9093",
      "log.dirs /var/lib/brook",
      "key\\=with\\:seps=v\\u00e9",
      "empty=",
      "node.id=2",
    ].join("\n"),
  );
  assert.equal(props.get("node.id"), "2");
  assert.equal(props.get("process.roles"), "broker,controller");
  assert.equal(props.get("listeners"), "PLAINTEXT://:9092,CONTROLLER://:9093");
  assert.equal(props.get("log.dirs"), "/var/lib/brook");
  assert.equal(props.get("key=with:seps"), "vé");
  assert.equal(props.get("empty"), "");
  assert.equal(props.size, 6);
});
