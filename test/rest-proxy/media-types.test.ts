import assert from "node:assert/strict";
import { test } from "node:test";
import {
  recordsResponse,
  requestFormat,
  v2ResponseType,
  v3ResponseType,
} from "../../src/rest-proxy/media-types.js";

/** Jersey's negotiation as kafka-rest's resources declare their types. */

test("a v2 body names its embedded format; generic types mean none; others are 415", () => {
  assert.equal(requestFormat("application/vnd.kafka.binary.v2+json"), "binary");
  assert.equal(requestFormat("application/vnd.kafka.avro.v2+json; charset=utf-8"), "avro");
  assert.equal(requestFormat("application/vnd.kafka.jsonschema.v2+json"), "jsonschema");
  assert.equal(requestFormat("application/vnd.kafka.v2+json"), null);
  assert.equal(requestFormat("application/json"), null);
  assert.equal(requestFormat(undefined), null);
  assert.equal(requestFormat("text/plain"), undefined);
  assert.equal(requestFormat("application/vnd.kafka.xml.v2+json"), undefined);
});

test("v2 answers in its type unless Accept rules it out (406)", () => {
  assert.equal(v2ResponseType(undefined), "application/vnd.kafka.v2+json");
  assert.equal(v2ResponseType("*/*"), "application/vnd.kafka.v2+json");
  assert.equal(v2ResponseType("application/vnd.kafka.v2+json"), "application/vnd.kafka.v2+json");
  assert.equal(v2ResponseType("application/json"), "application/json");
  assert.equal(v2ResponseType("text/html"), undefined);
  assert.equal(v3ResponseType("text/html"), undefined);
  assert.equal(v3ResponseType(undefined), "application/json");
});

test("a records read's Accept picks the format; generic types read binary", () => {
  assert.equal(recordsResponse(undefined)?.format, "binary");
  assert.equal(recordsResponse("*/*")?.format, "binary");
  assert.equal(recordsResponse("application/vnd.kafka.v2+json")?.format, "binary");
  assert.equal(recordsResponse("application/vnd.kafka.json.v2+json")?.format, "json");
  assert.equal(
    recordsResponse("application/vnd.kafka.avro.v2+json")?.contentType,
    "application/vnd.kafka.avro.v2+json",
  );
  assert.equal(recordsResponse("text/plain"), undefined);
});
