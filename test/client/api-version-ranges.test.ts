import assert from "node:assert/strict";
import { test } from "node:test";
import { ApiVersionRanges, ClientError, ClientErrorCode } from "../../src/client/index.js";
import { ApiKey } from "../../src/protocol/index.js";

const ranges = new ApiVersionRanges([
  { apiKey: ApiKey.Metadata, minVersion: 0, maxVersion: 12 },
  { apiKey: ApiKey.CreateTopics, minVersion: 2, maxVersion: 7 },
  { apiKey: ApiKey.Fetch, minVersion: 4, maxVersion: 99 },
]);

const unsupported = (e: unknown) => e instanceof ClientError && e.code === ClientErrorCode.unsupportedVersion;

test("the version is the highest that the broker, the codecs and the caller accept", () => {
  assert.equal(ranges.negotiate(ApiKey.Metadata, 12), 12);
  assert.equal(ranges.negotiate(ApiKey.Metadata, 9), 9);
  assert.equal(ranges.negotiate(ApiKey.Metadata, 1000), 12);
  assert.equal(ranges.negotiate(ApiKey.CreateTopics, 5, 3), 5);
  // The broker claims Fetch v99: the codecs stop at their own highest version.
  assert.equal(ranges.negotiate(ApiKey.Fetch, 1000), 17);
});

test("no overlap, or an API the broker does not serve, is BRK_ERR_CLIENT_UNSUPPORTED_VERSION", () => {
  assert.throws(() => ranges.negotiate(ApiKey.CreateTopics, 1), unsupported);
  assert.throws(() => ranges.negotiate(ApiKey.Metadata, 12, 13), unsupported);
  assert.throws(() => ranges.negotiate(ApiKey.DeleteTopics, 6), unsupported);
  assert.throws(() => ranges.negotiate(9999, 1), unsupported);
});
