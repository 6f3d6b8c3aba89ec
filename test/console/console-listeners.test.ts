import assert from "node:assert/strict";
import { test } from "node:test";
import { ConfigError } from "../../src/base/index.js";
import { listenerUrl, parseConsoleListeners } from "../../src/console/index.js";

test("console.listeners entries parse to host and port", () => {
  assert.deepEqual(parseConsoleListeners(["http://localhost:8080"]), [{ host: "localhost", port: 8080 }]);
  assert.deepEqual(parseConsoleListeners(["http://0.0.0.0:0", "HTTP://[::1]:9000/"]), [
    { host: "0.0.0.0", port: 0 },
    { host: "::1", port: 9000 },
  ]);
  assert.deepEqual(parseConsoleListeners(["http://:8080"]), [{ host: "", port: 8080 }]);
});

test("bad console.listeners entries are configuration errors", () => {
  for (const bad of [
    [],
    ["localhost:8080"],
    ["https://localhost:8443"],
    ["http://host:99999"],
    ["http://h:80/x"],
  ]) {
    assert.throws(() => parseConsoleListeners(bad), ConfigError, JSON.stringify(bad));
  }
});

test("a wildcard host is shown as localhost in the console's URL", () => {
  assert.equal(listenerUrl("0.0.0.0", 8080), "http://localhost:8080");
  assert.equal(listenerUrl("", 8080), "http://localhost:8080");
  assert.equal(listenerUrl("127.0.0.1", 1), "http://127.0.0.1:1");
  assert.equal(listenerUrl("::1", 2), "http://[::1]:2");
});
