import kafkajs, { type Admin, type Kafka } from "kafkajs";
import {
  ApiKey,
  type CreateTopicsResponse,
  ErrorCode,
  encodeRecordBatch,
  type FetchResponse,
  type ListOffsetsResponse,
  type ProduceResponse,
} from "../../../src/protocol/index.js";
import { type BrookServer, type StartBrokerOptions, startBroker } from "../../../src/server/index.js";
import { WireClient } from "../../helpers/kafka-wire.js";

/**
 * An in-process broker with a raw protocol client for the handler tests, plus the few requests
 * the tests build on (create a topic, produce, fetch, list offsets).
 */
export interface TestBroker {
  server: BrookServer;
  client: WireClient;
  stop(): Promise<void>;
}

export async function startTestBroker(options: StartBrokerOptions = {}): Promise<TestBroker> {
  const server = await startBroker(options);
  const client = await WireClient.connect(server.port);
  return {
    server,
    client,
    stop: async () => {
      client.close();
      await server.stop();
    },
  };
}

/** A kafkajs client with short timeouts and no logging. */
export function kafkajsClient(bootstrap: string): Kafka {
  return new kafkajs.Kafka({
    clientId: "brook-handler-test",
    brokers: [bootstrap],
    connectionTimeout: 3000,
    requestTimeout: 10_000,
    retry: { retries: 2, initialRetryTime: 100, maxRetryTime: 500 },
    logLevel: kafkajs.logLevel.NOTHING,
  });
}

export async function connectedAdmin(bootstrap: string): Promise<Admin> {
  const admin = kafkajsClient(bootstrap).admin();
  await admin.connect();
  return admin;
}

/** Creates a topic (CreateTopics v7) and fails the test unless it was created. */
export async function createTopic(
  client: WireClient,
  name: string,
  numPartitions = 1,
  configs: Record<string, string> = {},
): Promise<void> {
  const response = await client.request<CreateTopicsResponse>(ApiKey.CreateTopics, 7, {
    topics: [
      {
        name,
        numPartitions,
        replicationFactor: 1,
        assignments: [],
        configs: Object.entries(configs).map(([k, v]) => ({ name: k, value: v })),
      },
    ],
    timeoutMs: 5000,
    validateOnly: false,
  });
  const error = response.topics[0]?.errorCode;
  if (error !== ErrorCode.NONE) throw new Error(`creating ${name} failed with error ${error}`);
}

/** Appends `count` records to one partition (Produce v7, acks=all); returns the batch's base offset. */
export async function produce(
  client: WireClient,
  topic: string,
  partition: number,
  count: number,
): Promise<bigint> {
  const records = encodeRecordBatch({
    records: Array.from({ length: count }, (_, i) => ({
      key: Buffer.from(`key-${i}`),
      value: Buffer.from(`value-${i}`),
    })),
    baseTimestamp: BigInt(Date.now()),
  });
  const response = await client.request<ProduceResponse>(ApiKey.Produce, 7, {
    acks: -1,
    timeoutMs: 5000,
    topicData: [{ name: topic, partitionData: [{ index: partition, records }] }],
  });
  const p = response.responses[0]?.partitionResponses[0];
  if (p?.errorCode !== ErrorCode.NONE)
    throw new Error(`produce to ${topic}-${partition} failed: ${p?.errorCode}`);
  return p.baseOffset;
}

/** One partition's Fetch v11 answer at `fetchOffset`. */
export async function fetchAt(
  client: WireClient,
  topic: string,
  partition: number,
  fetchOffset: bigint,
  version = 11,
) {
  const response = await client.request<FetchResponse>(ApiKey.Fetch, version, {
    maxWaitMs: 0,
    minBytes: 0,
    maxBytes: 1 << 20,
    isolationLevel: 0,
    sessionId: 0,
    sessionEpoch: -1,
    topics: [
      {
        topic,
        partitions: [
          {
            partition,
            currentLeaderEpoch: -1,
            fetchOffset,
            logStartOffset: -1n,
            partitionMaxBytes: 1 << 20,
          },
        ],
      },
    ],
    forgottenTopicsData: [],
    rackId: "",
  });
  const p = response.responses[0]?.partitions[0];
  if (p === undefined) throw new Error("fetch answered no partition");
  return p;
}

/** ListOffsets v7 for one partition: -2 earliest, -1 latest. */
export async function listOffset(
  client: WireClient,
  topic: string,
  partition: number,
  timestamp: bigint,
): Promise<{ errorCode: number; offset: bigint }> {
  const response = await client.request<ListOffsetsResponse>(ApiKey.ListOffsets, 7, {
    replicaId: -1,
    isolationLevel: 0,
    topics: [{ name: topic, partitions: [{ partitionIndex: partition, currentLeaderEpoch: -1, timestamp }] }],
  });
  const p = response.topics[0]?.partitions[0];
  if (p === undefined) throw new Error("list offsets answered no partition");
  return { errorCode: p.errorCode, offset: p.offset };
}
