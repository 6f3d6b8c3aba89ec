import assert from "node:assert/strict";
import { test } from "node:test";
import {
  API_SPECS,
  ApiKey,
  apiSpec,
  decodeApiVersionsRequest,
  decodeApiVersionsResponse,
  decodeRequestFrameHeader,
  decodeResponseFrameHeader,
  ErrorCode,
  encodeApiVersionsResponse,
  encodeRequestFrameHeader,
  encodeResponseFrameHeader,
  ProtocolDecodeError,
  Reader,
  requestHeaderVersion,
  responseHeaderVersion,
  Writer,
} from "../../src/protocol/index.js";

test("request header versions follow flexibility, with ControlledShutdown v0 on header v0", () => {
  assert.equal(requestHeaderVersion(ApiKey.Produce, 8), 1);
  assert.equal(requestHeaderVersion(ApiKey.Produce, 9), 2);
  assert.equal(requestHeaderVersion(ApiKey.ControlledShutdown, 0), 0);
  assert.equal(requestHeaderVersion(ApiKey.ControlledShutdown, 1), 1);
  assert.equal(requestHeaderVersion(ApiKey.ControlledShutdown, 3), 2);
  assert.equal(requestHeaderVersion(ApiKey.ApiVersions, 2), 1);
  assert.equal(requestHeaderVersion(ApiKey.ApiVersions, 3), 2);
  // A version newer than any the specs know is still flexible: its header must parse.
  assert.equal(requestHeaderVersion(ApiKey.ApiVersions, 127), 2);
});

test("response header versions follow flexibility, except ApiVersions which is always v0", () => {
  assert.equal(responseHeaderVersion(ApiKey.Metadata, 8), 0);
  assert.equal(responseHeaderVersion(ApiKey.Metadata, 9), 1);
  assert.equal(responseHeaderVersion(ApiKey.Fetch, 12), 1);
  for (const v of [0, 3, 4, 9]) assert.equal(responseHeaderVersion(ApiKey.ApiVersions, v), 0);
});

test("unknown api keys are a decode error, not a crash", () => {
  assert.throws(() => requestHeaderVersion(9999, 0), ProtocolDecodeError);
  assert.equal(apiSpec(9999), undefined);
  assert.equal(apiSpec(ApiKey.Fetch)?.name, "Fetch");
});

test("the API table covers every key once, with consistent ranges", () => {
  const keys = API_SPECS.map((a) => a.apiKey);
  assert.equal(new Set(keys).size, keys.length);
  for (const api of API_SPECS) {
    assert.ok(api.minVersion <= api.maxVersion, api.name);
    assert.equal((ApiKey as Record<string, number>)[api.name], api.apiKey);
  }
  assert.equal(apiSpec(ApiKey.Produce)?.firstFlexibleVersion, 9);
  assert.equal(apiSpec(ApiKey.ApiVersions)?.maxVersion, 4);
});

test("request header v2 keeps the client id as a classic string, then a tagged field section", () => {
  const w = new Writer();
  encodeRequestFrameHeader(w, { requestApiKey: 18, requestApiVersion: 3, correlationId: 7, clientId: "ab" });
  assert.deepEqual([...w.toBuffer()], [0, 18, 0, 3, 0, 0, 0, 7, 0, 2, 97, 98, 0]);
  const v1 = new Writer();
  encodeRequestFrameHeader(v1, { requestApiKey: 3, requestApiVersion: 1, correlationId: 1, clientId: null });
  assert.deepEqual([...v1.toBuffer()], [0, 3, 0, 1, 0, 0, 0, 1, 0xff, 0xff]);
  const v0 = new Writer();
  encodeRequestFrameHeader(v0, { requestApiKey: 7, requestApiVersion: 0, correlationId: 1 });
  assert.deepEqual([...v0.toBuffer()], [0, 7, 0, 0, 0, 0, 0, 1]);
  const r = new Reader(Buffer.from([0, 7, 0, 0, 0, 0, 0, 9, 1, 2]));
  const header = decodeRequestFrameHeader(r);
  assert.equal(header.correlationId, 9);
  assert.equal(header.clientId, "", "v0 has no client id: the spec default");
  assert.equal(r.remaining, 2, "the body is left to read");
});

test("response header v1 carries a tagged field section; v0 does not", () => {
  const flexible = new Writer();
  encodeResponseFrameHeader(flexible, ApiKey.Metadata, 12, 5);
  assert.deepEqual([...flexible.toBuffer()], [0, 0, 0, 5, 0]);
  const classic = new Writer();
  encodeResponseFrameHeader(classic, ApiKey.ApiVersions, 3, 5);
  assert.deepEqual([...classic.toBuffer()], [0, 0, 0, 5]);
  assert.equal(decodeResponseFrameHeader(new Reader(Buffer.from([0, 0, 0, 5, 0])), 3, 12).correlationId, 5);
});

test("an ApiVersions request newer than known is answered with a v0 body listing ApiVersions", () => {
  // ApiVersions v127: a flexible header (v2), then a body this codec cannot read.
  const request = Buffer.from([0, 18, 0, 127, 0, 0, 0, 42, 0, 3, 99, 108, 105, 0, 1, 2, 3]);
  const r = new Reader(request);
  const header = decodeRequestFrameHeader(r);
  assert.deepEqual([header.requestApiKey, header.requestApiVersion, header.correlationId], [18, 127, 42]);
  assert.equal(header.clientId, "cli");
  assert.throws(
    () => decodeApiVersionsRequest(r, header.requestApiVersion),
    (e: unknown) => e instanceof ProtocolDecodeError && e.code === "BRK_ERR_PROTOCOL_VERSION",
  );
  // Kafka answers UNSUPPORTED_VERSION at v0 with a v0 header, listing the ApiVersions range.
  const w = new Writer();
  encodeResponseFrameHeader(w, header.requestApiKey, 0, header.correlationId);
  encodeApiVersionsResponse(
    w,
    { errorCode: ErrorCode.UNSUPPORTED_VERSION, apiKeys: [{ apiKey: 18, minVersion: 0, maxVersion: 4 }] },
    0,
  );
  const bytes = w.toBuffer();
  assert.deepEqual(
    [...bytes],
    [0, 0, 0, 42, 0, 35, 0, 0, 0, 1, 0, 18, 0, 0, 0, 4],
    "correlation id, error 35, one api key: 18 with versions 0-4",
  );
  const back = new Reader(bytes);
  assert.equal(decodeResponseFrameHeader(back, 18, 0).correlationId, 42);
  assert.deepEqual(decodeApiVersionsResponse(back, 0).apiKeys, [
    { apiKey: 18, minVersion: 0, maxVersion: 4 },
  ]);
});
