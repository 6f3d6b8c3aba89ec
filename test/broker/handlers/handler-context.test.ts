/**
 * Handlers built from fakes of the context slices they name (see src/broker/handler-context.ts)
 * and called directly: no Broker, no log, no listener. Each test shows one decision of a handler
 * that otherwise needs a cluster to reach (a node that is not the active controller, say).
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { ManualClock, SeededRandom, silentLogger } from "../../../src/base/index.js";
import type { RequestContext } from "../../../src/broker/api-handler.js";
import type {
  AuthorizerAccess,
  BrokerSettings,
  ControllerAccess,
  ControllerForwarding,
  GroupAccess,
  MetadataView,
  TopicAutoCreation,
} from "../../../src/broker/handler-context.js";
import { createTopicsHandler } from "../../../src/broker/handlers/create-topics.js";
import { describeClusterHandler } from "../../../src/broker/handlers/describe-cluster.js";
import { findCoordinatorHandler } from "../../../src/broker/handlers/find-coordinator.js";
import { metadataHandler } from "../../../src/broker/handlers/metadata.js";
import { parseBrokerConfig, SINGLE_NODE_PROPERTIES, topicDefaults } from "../../../src/broker/index.js";
import {
  ClusterController,
  INTERNAL_TOPICS,
  MetadataDelta,
  MetadataImage,
  type MetadataRecord,
  SCHEMA_REGISTRY_LISTENER_NAME,
} from "../../../src/metadata/index.js";
import {
  ApiKey,
  type CreateTopicsRequest,
  type CreateTopicsResponseInput,
  ErrorCode,
  type FindCoordinatorRequest,
  type MetadataRequest,
  ZERO_UUID,
} from "../../../src/protocol/index.js";

/** A stand-in for a part the test expects the handler to leave alone: any use of it fails the test. */
function untouched<T extends object>(name: string): T {
  return new Proxy({} as T, {
    get: (_target, property) => {
      throw new Error(`the handler used ${name}.${String(property)}`);
    },
  });
}

function requestContext(apiKey: number, apiVersion: number): RequestContext {
  return {
    header: { requestApiKey: apiKey, requestApiVersion: apiVersion, correlationId: 7, clientId: "test" },
    apiKey,
    apiVersion,
    correlationId: 7,
    clientId: "test",
    connection: untouched("connection"),
    listenerName: "PLAINTEXT",
    receivedMs: 0,
    requestBytes: 0,
    quota: { bandwidthThrottleMs: 0, requestQuotaExempt: false },
  };
}

function replay(image: MetadataImage, records: readonly MetadataRecord[]): MetadataImage {
  const delta = new MetadataDelta(image);
  let offset = image.offset;
  for (const r of records) delta.replay(r, ++offset);
  return delta.apply();
}

/** Brokers 1-3, 3 fenced; broker 2 also on an INTERNAL listener, listed first. */
function threeBrokerImage(): MetadataImage {
  const endPoint = (name: string, host: string) => ({ name, host, port: 9092, securityProtocol: 0 });
  const broker = (brokerId: number, fenced: boolean, internal: boolean): MetadataRecord => ({
    type: "RegisterBroker",
    brokerId,
    incarnationId: "AAAAAAAAAAAAAAAAAAAAAQ",
    brokerEpoch: 1n,
    endPoints: [
      ...(internal ? [endPoint("INTERNAL", `internal-${brokerId}`)] : []),
      endPoint("PLAINTEXT", `broker-${brokerId}`),
    ],
    rack: null,
    fenced,
  });
  return replay(MetadataImage.EMPTY, [
    broker(1, false, false),
    broker(2, false, true),
    broker(3, true, false),
  ]);
}

function metadataView(image: MetadataImage, activeControllerId: number): MetadataView {
  return {
    image,
    clusterId: "test-cluster",
    nodeId: 1,
    activeControllerId,
    listeners: [],
    isInternalTopic: (topic) => INTERNAL_TOPICS.has(topic),
    isLocalReplicaOffline: () => false,
  };
}

function settings(): BrokerSettings {
  const config = parseBrokerConfig(SINGLE_NODE_PROPERTIES);
  return { config, topicDefaults: topicDefaults(config), log: silentLogger, clock: new ManualClock(0) };
}

const controllerDefaults = () => ({
  numPartitions: 1,
  defaultReplicationFactor: 1,
  partitionsPerRequestMax: 100,
});
const decisions = () =>
  new ClusterController({ random: new SeededRandom(1), validateTopicConfigs: () => null });

function createTopicsRequest(name: string, configs: Record<string, string> = {}): CreateTopicsRequest {
  return {
    topics: [
      {
        name,
        numPartitions: 3,
        replicationFactor: 2,
        assignments: [],
        configs: Object.entries(configs).map(([k, value]) => ({ name: k, value })),
      },
    ],
    timeoutMs: 4321,
    validateOnly: false,
  };
}

test("CreateTopics on a node that is not the active controller answers what the controller answered", async () => {
  const answer: CreateTopicsResponseInput = {
    throttleTimeMs: 0,
    topics: [
      { name: "orders", errorCode: ErrorCode.NONE, numPartitions: 3, replicationFactor: 2, configs: [] },
    ],
  };
  const forwarded: { apiKey: number; apiVersion: number; request: object; timeoutMs: number }[] = [];
  const forwarder: ControllerForwarding = {
    shouldForward: () => true,
    forward: <Res>(context: RequestContext, request: object, timeoutMs: number) => {
      forwarded.push({ apiKey: context.apiKey, apiVersion: context.apiVersion, request, timeoutMs });
      return Promise.resolve(answer as Res);
    },
    send: () => Promise.reject(new Error("a forwarded request is sent as it came, not rebuilt")),
  };
  const broker: MetadataView & ControllerAccess & BrokerSettings & AuthorizerAccess = {
    authorizer: null,
    ...metadataView(threeBrokerImage(), 2),
    ...settings(),
    isActiveController: false,
    decide: () => Promise.reject(new Error("a node that forwards decides nothing itself")),
    controller: untouched("controller"),
    partitionRules: untouched("partitionRules"),
    controllerDefaults,
    forwarder,
  };
  const request = createTopicsRequest("orders");
  const response = await createTopicsHandler(broker).handle(request, requestContext(ApiKey.CreateTopics, 7));
  assert.equal(response, answer);
  assert.deepEqual(forwarded, [{ apiKey: ApiKey.CreateTopics, apiVersion: 7, request, timeoutMs: 4321 }]);
});

test("CreateTopics on the active controller answers once the topic is committed, with its configs", async () => {
  let image = threeBrokerImage();
  const decided: string[] = [];
  const broker: MetadataView & ControllerAccess & BrokerSettings & AuthorizerAccess = {
    authorizer: null,
    ...metadataView(image, 1),
    // Read through, as the broker's own context is: the handler sees what decide committed.
    get image() {
      return image;
    },
    ...settings(),
    isActiveController: true,
    // The controller's commit, in memory: the records replayed into the next image.
    decide: (name, decide) => {
      decided.push(name);
      const { records, result } = decide(image);
      image = replay(image, records);
      return Promise.resolve(result);
    },
    controller: decisions(),
    partitionRules: untouched("partitionRules"),
    controllerDefaults,
    forwarder: { shouldForward: () => false, forward: untouched("forward"), send: untouched("send") },
  };
  const request = createTopicsRequest("orders", { "retention.ms": "60000" });
  const response = await createTopicsHandler(broker).handle(request, requestContext(ApiKey.CreateTopics, 7));
  assert.deepEqual(decided, ["create topics"]);
  const created = response.topics[0];
  assert.equal(created.errorCode, ErrorCode.NONE);
  assert.equal(created.topicId, image.topic("orders")?.id);
  assert.equal(image.topic("orders")?.partitions.length, 3);
  for (const p of image.topic("orders")?.partitions ?? []) {
    assert.equal(p.replicas.length, 2);
    assert.ok(!p.replicas.includes(3), "no replica on the fenced broker");
  }
  const retention = created.configs.find((c: { name: string }) => c.name === "retention.ms");
  assert.equal(retention?.value, "60000");
});

function metadataRequest(topics: string[], allowAutoTopicCreation: boolean): MetadataRequest {
  return {
    topics: topics.map((name) => ({ name, topicId: ZERO_UUID })),
    allowAutoTopicCreation,
    includeClusterAuthorizedOperations: false,
    includeTopicAuthorizedOperations: false,
  };
}

test("Metadata names the active controller and the live brokers on the client's listener", async () => {
  const autoCreated: string[][] = [];
  const autoCreation: TopicAutoCreation = {
    mayAutoCreate: (topic) => !topic.startsWith("__"),
    autoCreateTopics: (names) => {
      autoCreated.push([...names]);
      return Promise.resolve(new Map(names.map((n) => [n, ErrorCode.NONE])));
    },
  };
  const handler = metadataHandler({
    ...metadataView(threeBrokerImage(), 2),
    ...autoCreation,
    authorizer: null,
  });
  const context = requestContext(ApiKey.Metadata, 9);

  const response = await handler.handle(metadataRequest(["missing"], false), context);
  assert.equal(response.clusterId, "test-cluster");
  assert.equal(response.controllerId, 2);
  assert.deepEqual(
    response.brokers.map((b: { nodeId: number; host: string }) => [b.nodeId, b.host]),
    [
      [1, "broker-1"],
      [2, "broker-2"],
    ],
  );
  assert.equal(response.topics[0]?.errorCode, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
  assert.deepEqual(autoCreated, [], "the client did not allow auto-creation");

  await handler.handle(metadataRequest(["missing", "__internal"], true), context);
  assert.deepEqual(autoCreated, [["missing"]], "only topics the broker may create");
});

test("Metadata and DescribeCluster never name a broker's Schema Registry endpoint", async () => {
  const endPoint = (name: string, port: number) => ({ name, host: "node", port, securityProtocol: 0 });
  // Broker 2 registered its registry first and has no PLAINTEXT listener: Metadata falls back
  // to one of its Kafka listeners, never to the registry.
  const image = replay(MetadataImage.EMPTY, [
    {
      type: "RegisterBroker",
      brokerId: 1,
      incarnationId: "AAAAAAAAAAAAAAAAAAAAAQ",
      brokerEpoch: 1n,
      endPoints: [endPoint("PLAINTEXT", 9092), endPoint(SCHEMA_REGISTRY_LISTENER_NAME, 8081)],
      rack: null,
      fenced: false,
    },
    {
      type: "RegisterBroker",
      brokerId: 2,
      incarnationId: "AAAAAAAAAAAAAAAAAAAAAg",
      brokerEpoch: 2n,
      endPoints: [endPoint(SCHEMA_REGISTRY_LISTENER_NAME, 8082), endPoint("INTERNAL", 9192)],
      rack: null,
      fenced: false,
    },
  ]);
  const view = metadataView(image, 1);
  const noAutoCreation: TopicAutoCreation = {
    mayAutoCreate: () => false,
    autoCreateTopics: () => Promise.resolve(new Map()),
  };
  const metadata = await metadataHandler({ ...view, ...noAutoCreation, authorizer: null }).handle(
    metadataRequest([], false),
    requestContext(ApiKey.Metadata, 12),
  );
  assert.deepEqual(
    metadata.brokers.map((b: { nodeId: number; port: number }) => [b.nodeId, b.port]),
    [
      [1, 9092],
      [2, 9192],
    ],
  );
  const cluster = await describeClusterHandler({ ...view, ...settings(), authorizer: null }).handle(
    { includeClusterAuthorizedOperations: false, endpointType: 1 },
    requestContext(ApiKey.DescribeCluster, 1),
  );
  assert.deepEqual(
    cluster.brokers.map((b: { brokerId: number; port: number }) => [b.brokerId, b.port]),
    [[1, 9092]],
  );
});

test("FindCoordinator answers COORDINATOR_NOT_AVAILABLE when __consumer_offsets cannot be created", async () => {
  const groups: GroupAccess = {
    groupCoordinator: untouched("groupCoordinator"),
    ensureOffsetsTopic: () => Promise.resolve(ErrorCode.COORDINATOR_NOT_AVAILABLE),
  };
  const handler = findCoordinatorHandler({
    authorizer: null,
    ...metadataView(threeBrokerImage(), 1),
    ...groups,
    transactionCoordinator: untouched("transactionCoordinator"),
    ensureTransactionStateTopic: () => Promise.resolve(ErrorCode.COORDINATOR_NOT_AVAILABLE),
  });
  const request: FindCoordinatorRequest = { key: "", keyType: 0, coordinatorKeys: ["group-a", "group-b"] };
  const response = await handler.handle(request, requestContext(ApiKey.FindCoordinator, 4));
  assert.deepEqual(
    response.coordinators.map((c: { key: string; errorCode: number; nodeId: number }) => [
      c.key,
      c.errorCode,
      c.nodeId,
    ]),
    [
      ["group-a", ErrorCode.COORDINATOR_NOT_AVAILABLE, -1],
      ["group-b", ErrorCode.COORDINATOR_NOT_AVAILABLE, -1],
    ],
  );
});
