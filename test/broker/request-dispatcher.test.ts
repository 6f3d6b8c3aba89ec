import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { silentLogger } from "../../src/base/index.js";
import { defineHandler } from "../../src/broker/api-handler.js";
import { apiVersionsHandler } from "../../src/broker/handlers/api-versions.js";
import { RequestDispatcher } from "../../src/broker/request-dispatcher.js";
import { SocketServer } from "../../src/network/index.js";
import {
  ApiKey,
  type ApiVersionsResponse,
  type DescribeClusterResponse,
  decodeApiVersionsResponse,
  ErrorCode,
  Reader,
} from "../../src/protocol/index.js";
import { WireClient } from "../helpers/kafka-wire.js";

let dispatcher: RequestDispatcher;
let server: SocketServer;
let port = 0;

before(async () => {
  // A handler that serves only DescribeCluster v1, to see how other versions are refused.
  const describeClusterV1 = defineHandler<unknown, unknown>({
    apiKey: ApiKey.DescribeCluster,
    minVersion: 1,
    maxVersion: 1,
    handle: () => ({ throttleTimeMs: 0, errorCode: 0, clusterId: "c" }),
    errorResponse: (_r, errorCode) => ({ throttleTimeMs: 0, errorCode, clusterId: "" }),
  });
  dispatcher = new RequestDispatcher(
    [apiVersionsHandler(() => dispatcher.advertisedVersions()), describeClusterV1],
    silentLogger,
  );
  server = new SocketServer({
    listeners: [{ name: "PLAINTEXT", host: "127.0.0.1", port: 0 }],
    handler: dispatcher,
    limits: { requestBytesMax: 1 << 20, inFlightRequestsMax: 100, bufferedBytesMax: 1 << 20 },
    idleMsMax: 60_000,
    log: () => {},
  });
  port = (await server.start())[0]?.boundPort ?? 0;
});
after(() => server.stop());

test("ApiVersions answers every version it knows, flexible or not", async () => {
  const client = await WireClient.connect(port);
  for (const version of [0, 1, 2, 3, 4]) {
    const body = await client.request<ApiVersionsResponse>(ApiKey.ApiVersions, version, {
      clientSoftwareName: "brook-test",
      clientSoftwareVersion: "1.0",
    });
    assert.equal(body.errorCode, ErrorCode.NONE);
    assert.deepEqual(body.apiKeys, [
      { apiKey: 18, minVersion: 0, maxVersion: 4 },
      { apiKey: 60, minVersion: 1, maxVersion: 1 },
    ]);
  }
  client.close();
});

test("an ApiVersions request newer than Brook gets a v0 answer with UNSUPPORTED_VERSION (KIP-511)", async () => {
  const client = await WireClient.connect(port);
  client.send(ApiKey.ApiVersions, 4, { clientSoftwareName: "x", clientSoftwareVersion: "1" });
  await client.nextFrame();
  // Hand-build a v9 request: the header of a flexible request, then an empty tagged-field body.
  const frame = Buffer.from([0, 0, 0, 14, 0, 18, 0, 9, 0, 0, 0, 77, 0, 1, 120, 0, 0, 0]);
  frame.writeInt32BE(frame.length - 4, 0);
  client.sendRaw(frame);
  const response = await client.nextFrame();
  const r = new Reader(response);
  assert.equal(r.int32(), 77, "response header v0: only the correlation id");
  const body = decodeApiVersionsResponse(r, 0);
  assert.equal(body.errorCode, ErrorCode.UNSUPPORTED_VERSION);
  assert.ok(body.apiKeys.some((k) => k.apiKey === 18 && k.maxVersion === 4));
  assert.equal(client.closed, false);
  client.close();
});

test("a version outside the handler's range gets UNSUPPORTED_VERSION in that version's response", async () => {
  const client = await WireClient.connect(port);
  const cluster = await client.request<DescribeClusterResponse>(ApiKey.DescribeCluster, 0, {});
  assert.equal(cluster.errorCode, ErrorCode.UNSUPPORTED_VERSION);
  assert.equal(client.closed, false);
  client.close();
});

test("an API without a handler is not answered with a fake success: the connection closes", async () => {
  const client = await WireClient.connect(port);
  client.send(ApiKey.Metadata, 1, { topics: null });
  assert.equal(await client.waitClosed(), true);
});

test("garbage closes only its connection", async () => {
  const client = await WireClient.connect(port);

  const bad = await WireClient.connect(port);
  bad.sendRaw(Buffer.from([0, 0, 0, 10, 0x7f, 0x7f, 0, 0, 0, 0, 0, 1, 0, 0]));
  assert.equal(await bad.waitClosed(), true);

  const truncated = await WireClient.connect(port);
  truncated.sendRaw(Buffer.from([0, 0, 0, 12, 0, 3, 0, 1, 0, 0, 0, 1, 0, 4, 0x61, 0x62]));
  assert.equal(await truncated.waitClosed(), true);

  const again = await client.request<ApiVersionsResponse>(ApiKey.ApiVersions, 2, {});
  assert.equal(again.errorCode, ErrorCode.NONE);
  client.close();
});
