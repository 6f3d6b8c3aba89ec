import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { ApiKey, type DescribeClusterResponse, ErrorCode } from "../../../src/protocol/index.js";
import { WireClient } from "../../helpers/kafka-wire.js";
import { connectedAdmin, startTestBroker, type TestBroker } from "./broker-harness.js";

/** CREATE, ALTER, DESCRIBE, CLUSTER_ACTION, DESCRIBE_CONFIGS, ALTER_CONFIGS, IDEMPOTENT_WRITE. */
const ALL_CLUSTER_OPERATIONS = 8096;
const NOT_ASKED = -2147483648;
const BROKERS = 1;
const CONTROLLERS = 2;

let b: TestBroker;
before(async () => {
  b = await startTestBroker();
});
after(() => b.stop());

function describeCluster(
  client: WireClient,
  version: number,
  endpointType = BROKERS,
  includeClusterAuthorizedOperations = false,
): Promise<DescribeClusterResponse> {
  return client.request<DescribeClusterResponse>(ApiKey.DescribeCluster, version, {
    includeClusterAuthorizedOperations,
    endpointType,
  });
}

test("v0 and v1 on the broker listener: cluster id, controller id and the brokers", async () => {
  for (const version of [0, 1]) {
    const r = await describeCluster(b.client, version);
    assert.deepEqual(
      {
        errorCode: r.errorCode,
        errorMessage: r.errorMessage,
        endpointType: r.endpointType,
        clusterId: r.clusterId,
        controllerId: r.controllerId,
        brokers: r.brokers.map((x) => [x.brokerId, x.host, x.port, x.rack]),
        clusterAuthorizedOperations: r.clusterAuthorizedOperations,
      },
      {
        errorCode: ErrorCode.NONE,
        errorMessage: null,
        endpointType: BROKERS,
        clusterId: b.server.broker.clusterId,
        controllerId: 1,
        brokers: [[1, "127.0.0.1", b.server.port, null]],
        clusterAuthorizedOperations: NOT_ASKED,
      },
      `v${version}`,
    );
  }
});

test("ClusterAuthorizedOperations, when asked, is every cluster operation (no authorizer)", async () => {
  const r = await describeCluster(b.client, 1, BROKERS, true);
  assert.equal(r.clusterAuthorizedOperations, ALL_CLUSTER_OPERATIONS);
});

test("endpoint types (KIP-919): controllers are described on the controller listener only", async () => {
  const wrong = await describeCluster(b.client, 1, CONTROLLERS);
  assert.deepEqual(
    [wrong.errorCode, wrong.errorMessage],
    [
      ErrorCode.MISMATCHED_ENDPOINT_TYPE,
      "The request was sent to an endpoint of type BROKER, but we wanted an endpoint of type CONTROLLER",
    ],
  );
  const unknown = await describeCluster(b.client, 1, 3);
  assert.deepEqual(
    [unknown.errorCode, unknown.errorMessage],
    [ErrorCode.UNSUPPORTED_ENDPOINT_TYPE, "Unsupported endpoint type 3"],
  );
  const controllerPort = b.server.broker.listeners.find((l) => l.name === "CONTROLLER")?.boundPort;
  assert.ok(controllerPort !== undefined);
  const controller = await WireClient.connect(controllerPort);
  try {
    const r = await describeCluster(controller, 1, CONTROLLERS);
    assert.equal(r.errorCode, ErrorCode.NONE);
    assert.equal(r.endpointType, CONTROLLERS);
    assert.deepEqual(
      r.brokers.map((x) => [x.brokerId, x.host, x.port]),
      [[1, "127.0.0.1", controllerPort]],
    );
    // v0 cannot name an endpoint type, so it always asks for brokers: wrong here.
    const v0 = await describeCluster(controller, 0);
    assert.equal(v0.errorCode, ErrorCode.INVALID_REQUEST);
  } finally {
    controller.close();
  }
});

test("kafkajs admin.describeCluster agrees (it reads Metadata)", async () => {
  const admin = await connectedAdmin(b.server.bootstrap);
  try {
    const cluster = await admin.describeCluster();
    const wire = await describeCluster(b.client, 1);
    assert.deepEqual(cluster, {
      brokers: wire.brokers.map((x) => ({ nodeId: x.brokerId, host: x.host, port: x.port })),
      controller: wire.controllerId,
      clusterId: wire.clusterId,
    });
  } finally {
    await admin.disconnect();
  }
});
