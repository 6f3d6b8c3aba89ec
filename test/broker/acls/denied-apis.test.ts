// biome-ignore-all lint/suspicious/noExplicitAny: the table reads the answers of fifty requests of forty APIs alike
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import type { KafkaConnection } from "../../../src/client/index.js";
import { ApiKey, apiSpec, ErrorCode, encodeRecordBatch } from "../../../src/protocol/index.js";
import { type AclBroker, startAclBroker } from "./acl-broker.js";

/**
 * Every API a broker with an authorizer serves, asked by a client allowed nothing (User:ANONYMOUS
 * on the PLAINTEXT listener, no ACLs, allow.everyone.if.no.acl.found off) about resources that
 * exist: each answers Kafka's authorization error where Kafka's KafkaApis/ControllerApis put it,
 * and nothing of the topic, group or transaction leaks. The same requests from the super user
 * succeed (so the checks are what refuses). A new API without an entry here fails the last test.
 */

const {
  TOPIC_AUTHORIZATION_FAILED: TOPIC,
  GROUP_AUTHORIZATION_FAILED: GROUP,
  CLUSTER_AUTHORIZATION_FAILED: CLUSTER,
  TRANSACTIONAL_ID_AUTHORIZATION_FAILED: TXN,
} = ErrorCode;

let b: AclBroker;
let anonymous: KafkaConnection;
let admin: KafkaConnection;
let producerId = -1n;

before(async () => {
  b = await startAclBroker();
  admin = await b.connect("admin");
  anonymous = await b.connect(null);
  await admin.request(ApiKey.CreateTopics, 7, {
    topics: [{ name: "t", numPartitions: 1, replicationFactor: 1 }],
    timeoutMs: 5000,
    validateOnly: false,
  });
  const produced = await admin.request<{ responses: { partitionResponses: { errorCode: number }[] }[] }>(
    ApiKey.Produce,
    9,
    {
      acks: -1,
      timeoutMs: 5000,
      topicData: [{ name: "t", partitionData: [{ index: 0, records: batch() }] }],
    },
  );
  assert.equal(produced.responses[0]?.partitionResponses[0]?.errorCode, ErrorCode.NONE);
  await retried("OffsetCommit", async () => {
    await admin.request(ApiKey.FindCoordinator, 4, { keyType: 0, coordinatorKeys: ["g"] });
    const commit = await admin.request<{ topics: { partitions: { errorCode: number }[] }[] }>(
      ApiKey.OffsetCommit,
      8,
      {
        groupId: "g",
        generationIdOrMemberEpoch: -1,
        memberId: "",
        topics: [{ name: "t", partitions: [{ partitionIndex: 0, committedOffset: 1n }] }],
      },
    );
    return commit.topics[0]?.partitions[0]?.errorCode ?? -1;
  });
  await retried("InitProducerId", async () => {
    await admin.request(ApiKey.FindCoordinator, 4, { keyType: 1, coordinatorKeys: ["tx"] });
    const init = await admin.request<{ errorCode: number; producerId: bigint }>(ApiKey.InitProducerId, 5, {
      transactionalId: "tx",
      transactionTimeoutMs: 60_000,
      producerId: -1n,
      producerEpoch: -1,
    });
    producerId = init.producerId;
    return init.errorCode;
  });
});

after(() => b?.stop());

/** `value`, once `check` passed (the cases below check what a refusal shows on the way to its errors). */
function checked<T>(check: () => void, value: T): T {
  check();
  return value;
}

/** Until the request answers NONE (the coordinators' topics are created on first use). */
async function retried(what: string, attempt: () => Promise<number>): Promise<void> {
  for (let i = 0; ; i++) {
    const errorCode = await attempt();
    if (errorCode === ErrorCode.NONE) return;
    assert.ok(i < 100, `${what}: ${errorCode}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

function batch(): Buffer {
  return encodeRecordBatch({ records: [{ key: null, value: Buffer.from("secret") }], baseTimestamp: 0n });
}

interface Case {
  api: number;
  version: number;
  body: object;
  /** Checks the refused answer (errors and that nothing leaked); returns the error codes it found. */
  refused: (r: any) => number[];
}

const tp = (topic = "t") => [{ name: topic, partitions: [{ partitionIndex: 0 }] }];

const CASES: Case[] = [
  {
    api: ApiKey.Metadata,
    version: 10,
    body: { topics: null, allowAutoTopicCreation: false, includeClusterAuthorizedOperations: true },
    refused: (r) => {
      assert.deepEqual(r.topics, [], "an all-topics listing hides topics the client may not describe");
      assert.equal(r.clusterAuthorizedOperations, 0);
      return [];
    },
  },
  {
    api: ApiKey.Metadata,
    version: 12,
    body: { topics: [{ name: "t" }, { name: "missing" }], allowAutoTopicCreation: true },
    refused: (r) => {
      assert.deepEqual(
        r.topics.map((t: any) => [t.name, t.topicId, t.partitions.length]),
        [
          ["t", "AAAAAAAAAAAAAAAAAAAAAA", 0],
          ["missing", "AAAAAAAAAAAAAAAAAAAAAA", 0],
        ],
        "neither the topic id nor whether it exists",
      );
      return r.topics.map((t: any) => t.errorCode);
    },
  },
  {
    api: ApiKey.Produce,
    version: 9,
    body: {
      acks: -1,
      timeoutMs: 1000,
      topicData: [{ name: "t", partitionData: [{ index: 0, records: batch() }] }],
    },
    refused: (r) => r.responses.flatMap((t: any) => t.partitionResponses.map((p: any) => p.errorCode)),
  },
  {
    api: ApiKey.Fetch,
    version: 12,
    body: {
      maxWaitMs: 0,
      minBytes: 0,
      maxBytes: 1 << 20,
      isolationLevel: 0,
      sessionId: 0,
      sessionEpoch: -1,
      topics: [{ topic: "t", partitions: [{ partition: 0, fetchOffset: 0n, partitionMaxBytes: 1 << 20 }] }],
      forgottenTopicsData: [],
      rackId: "",
    },
    refused: (r) =>
      r.responses.flatMap((t: any) =>
        t.partitions.map((p: any) => {
          assert.equal(p.records?.length ?? 0, 0, "no records");
          assert.equal(p.highWatermark, -1n);
          return p.errorCode;
        }),
      ),
  },
  {
    api: ApiKey.ListOffsets,
    version: 7,
    body: { replicaId: -1, topics: [{ name: "t", partitions: [{ partitionIndex: 0, timestamp: -1n }] }] },
    refused: (r) =>
      r.topics.flatMap((t: any) =>
        t.partitions.map((p: any) => checked(() => assert.equal(p.offset, -1n), p.errorCode)),
      ),
  },
  {
    api: ApiKey.OffsetForLeaderEpoch,
    version: 4,
    body: { replicaId: -1, topics: [{ topic: "t", partitions: [{ partition: 0, leaderEpoch: 0 }] }] },
    refused: (r) =>
      r.topics.flatMap((t: any) =>
        t.partitions.map((p: any) => checked(() => assert.equal(p.endOffset, -1n), p.errorCode)),
      ),
  },
  {
    api: ApiKey.CreateTopics,
    version: 7,
    body: {
      topics: [{ name: "new-topic", numPartitions: 1, replicationFactor: 1 }],
      timeoutMs: 1000,
      validateOnly: false,
    },
    refused: (r) =>
      r.topics.map((t: any) =>
        checked(() => assert.equal(t.errorMessage, "Authorization failed."), t.errorCode),
      ),
  },
  {
    api: ApiKey.DeleteTopics,
    version: 6,
    body: { topics: [{ name: "t", topicId: "AAAAAAAAAAAAAAAAAAAAAA" }], timeoutMs: 1000 },
    refused: (r) =>
      r.responses.map((t: any) =>
        checked(() => assert.equal(t.topicId, "AAAAAAAAAAAAAAAAAAAAAA"), t.errorCode),
      ),
  },
  {
    api: ApiKey.CreatePartitions,
    version: 3,
    body: { topics: [{ name: "t", count: 2, assignments: null }], timeoutMs: 1000, validateOnly: false },
    refused: (r) => r.results.map((t: any) => t.errorCode),
  },
  {
    api: ApiKey.DescribeCluster,
    version: 1,
    body: { includeClusterAuthorizedOperations: true, endpointType: 1 },
    // Kafka's brokers describe the cluster to anyone; only the operations say what the client may do.
    refused: (r) => checked(() => assert.equal(r.clusterAuthorizedOperations, 0), []),
  },
  {
    api: ApiKey.DescribeConfigs,
    version: 4,
    body: {
      resources: [
        { resourceType: 2, resourceName: "t", configurationKeys: null },
        { resourceType: 4, resourceName: "1", configurationKeys: null },
      ],
      includeSynonyms: false,
      includeDocumentation: false,
    },
    refused: (r) => r.results.map((x: any) => checked(() => assert.deepEqual(x.configs, []), x.errorCode)),
  },
  {
    api: ApiKey.AlterConfigs,
    version: 2,
    body: {
      resources: [{ resourceType: 2, resourceName: "t", configs: [{ name: "retention.ms", value: "1" }] }],
      validateOnly: false,
    },
    refused: (r) => r.responses.map((x: any) => x.errorCode),
  },
  {
    api: ApiKey.IncrementalAlterConfigs,
    version: 1,
    body: {
      resources: [
        {
          resourceType: 4,
          resourceName: "1",
          configs: [{ name: "log.cleaner.threads", configOperation: 0, value: "2" }],
        },
      ],
      validateOnly: true,
    },
    refused: (r) => r.responses.map((x: any) => x.errorCode),
  },
  {
    api: ApiKey.DeleteRecords,
    version: 2,
    body: { topics: [{ name: "t", partitions: [{ partitionIndex: 0, offset: 1n }] }], timeoutMs: 1000 },
    refused: (r) => r.topics.flatMap((t: any) => t.partitions.map((p: any) => p.errorCode)),
  },
  {
    api: ApiKey.DescribeLogDirs,
    version: 4,
    body: { topics: null },
    refused: (r) => checked(() => assert.deepEqual(r.results, []), [r.errorCode]),
  },
  {
    api: ApiKey.DescribeTopicPartitions,
    version: 0,
    body: { topics: [{ name: "t" }], responsePartitionLimit: 100, cursor: null },
    refused: (r) => r.topics.map((t: any) => checked(() => assert.deepEqual(t.partitions, []), t.errorCode)),
  },
  {
    api: ApiKey.InitProducerId,
    version: 5,
    body: { transactionalId: null, transactionTimeoutMs: 60_000, producerId: -1n, producerEpoch: -1 },
    refused: (r) => checked(() => assert.equal(r.producerId, -1n), [r.errorCode]),
  },
  {
    api: ApiKey.InitProducerId,
    version: 5,
    body: { transactionalId: "tx", transactionTimeoutMs: 60_000, producerId: -1n, producerEpoch: -1 },
    refused: (r) => [r.errorCode],
  },
  {
    api: ApiKey.AllocateProducerIds,
    version: 0,
    body: { brokerId: 1, brokerEpoch: 0n },
    refused: (r) => [r.errorCode],
  },
  {
    api: ApiKey.AlterPartition,
    version: 3,
    body: { brokerId: 1, brokerEpoch: 0n, topics: [] },
    refused: (r) => [r.errorCode],
  },
  {
    api: ApiKey.ElectLeaders,
    version: 2,
    body: { electionType: 0, topicPartitions: [{ topic: "t", partitions: [0] }], timeoutMs: 1000 },
    refused: (r) => [r.errorCode],
  },
  {
    api: ApiKey.AlterPartitionReassignments,
    version: 0,
    body: { timeoutMs: 1000, topics: [{ name: "t", partitions: [{ partitionIndex: 0, replicas: [1] }] }] },
    refused: (r) => [r.errorCode],
  },
  {
    api: ApiKey.ListPartitionReassignments,
    version: 0,
    body: { timeoutMs: 1000, topics: null },
    refused: (r) => [r.errorCode],
  },
  {
    api: ApiKey.DescribeProducers,
    version: 0,
    body: { topics: [{ name: "t", partitionIndexes: [0] }] },
    refused: (r) =>
      r.topics.flatMap((t: any) =>
        t.partitions.map((p: any) => checked(() => assert.deepEqual(p.activeProducers, []), p.errorCode)),
      ),
  },
  {
    api: ApiKey.DescribeClientQuotas,
    version: 1,
    body: { components: [], strict: false },
    refused: (r) => [r.errorCode],
  },
  {
    api: ApiKey.AlterClientQuotas,
    version: 1,
    body: {
      entries: [
        {
          entity: [{ entityType: "user", entityName: "x" }],
          ops: [{ key: "producer_byte_rate", value: 1, remove: false }],
        },
      ],
      validateOnly: true,
    },
    refused: (r) => r.entries.map((e: any) => e.errorCode),
  },
  {
    api: ApiKey.DescribeUserScramCredentials,
    version: 0,
    body: { users: null },
    refused: (r) => [r.errorCode],
  },
  {
    api: ApiKey.AlterUserScramCredentials,
    version: 0,
    body: { deletions: [{ name: "x", mechanism: 1 }], upsertions: [] },
    refused: (r) => r.results.map((x: any) => x.errorCode),
  },
  {
    api: ApiKey.DescribeAcls,
    version: 3,
    body: {
      resourceTypeFilter: 1,
      resourceNameFilter: null,
      patternTypeFilter: 1,
      principalFilter: null,
      hostFilter: null,
      operation: 1,
      permissionType: 1,
    },
    refused: (r) => [r.errorCode],
  },
  {
    api: ApiKey.CreateAcls,
    version: 3,
    body: {
      creations: [
        {
          resourceType: 2,
          resourceName: "t",
          resourcePatternType: 3,
          principal: "User:ANONYMOUS",
          host: "*",
          operation: 2,
          permissionType: 3,
        },
      ],
    },
    refused: (r) => r.results.map((x: any) => x.errorCode),
  },
  {
    api: ApiKey.DeleteAcls,
    version: 3,
    body: {
      filters: [
        {
          resourceTypeFilter: 1,
          resourceNameFilter: null,
          patternTypeFilter: 1,
          principalFilter: null,
          hostFilter: null,
          operation: 1,
          permissionType: 1,
        },
      ],
    },
    refused: (r) => r.filterResults.map((x: any) => x.errorCode),
  },
  {
    api: ApiKey.FindCoordinator,
    version: 4,
    body: { keyType: 0, coordinatorKeys: ["g"] },
    refused: (r) => r.coordinators.map((c: any) => checked(() => assert.equal(c.nodeId, -1), c.errorCode)),
  },
  {
    api: ApiKey.FindCoordinator,
    version: 3,
    body: { keyType: 1, key: "tx" },
    refused: (r) =>
      checked(() => assert.equal(r.errorMessage, "Transactional Id authorization failed."), [r.errorCode]),
  },
  {
    api: ApiKey.JoinGroup,
    version: 9,
    body: {
      groupId: "g",
      sessionTimeoutMs: 10_000,
      rebalanceTimeoutMs: 10_000,
      memberId: "m-1",
      protocolType: "consumer",
      protocols: [],
    },
    // Kafka's JoinGroupRequest.getErrorResponse names no member.
    refused: (r) => checked(() => assert.equal(r.memberId, ""), [r.errorCode]),
  },
  {
    api: ApiKey.SyncGroup,
    version: 5,
    body: { groupId: "g", generationId: 1, memberId: "m", protocolType: "consumer", protocolName: "range" },
    refused: (r) => [r.errorCode],
  },
  {
    api: ApiKey.Heartbeat,
    version: 4,
    body: { groupId: "g", generationId: 1, memberId: "m" },
    refused: (r) => [r.errorCode],
  },
  {
    api: ApiKey.LeaveGroup,
    version: 5,
    body: { groupId: "g", members: [{ memberId: "m" }] },
    refused: (r) => [r.errorCode],
  },
  {
    api: ApiKey.OffsetCommit,
    version: 8,
    body: {
      groupId: "g",
      generationIdOrMemberEpoch: -1,
      memberId: "",
      topics: [{ name: "t", partitions: [{ partitionIndex: 0, committedOffset: 0n }] }],
    },
    refused: (r) => r.topics.flatMap((t: any) => t.partitions.map((p: any) => p.errorCode)),
  },
  {
    api: ApiKey.OffsetFetch,
    version: 8,
    body: { groups: [{ groupId: "g", topics: null }], requireStable: false },
    refused: (r) => r.groups.map((g: any) => checked(() => assert.deepEqual(g.topics, []), g.errorCode)),
  },
  {
    api: ApiKey.ListGroups,
    version: 5,
    body: {},
    refused: (r) => checked(() => assert.deepEqual(r.groups, []), []),
  },
  {
    api: ApiKey.DescribeGroups,
    version: 5,
    body: { groups: ["g"], includeAuthorizedOperations: true },
    refused: (r) => r.groups.map((g: any) => checked(() => assert.deepEqual(g.members, []), g.errorCode)),
  },
  {
    api: ApiKey.DeleteGroups,
    version: 2,
    body: { groupsNames: ["g"] },
    refused: (r) => r.results.map((x: any) => x.errorCode),
  },
  {
    api: ApiKey.OffsetDelete,
    version: 0,
    body: { groupId: "g", topics: tp() },
    refused: (r) => [r.errorCode],
  },
  {
    api: ApiKey.ConsumerGroupHeartbeat,
    version: 1,
    body: {
      groupId: "g2",
      memberId: "m",
      memberEpoch: 0,
      rebalanceTimeoutMs: 10_000,
      subscribedTopicNames: ["t"],
      topicPartitions: [],
    },
    refused: (r) => [r.errorCode],
  },
  {
    api: ApiKey.ConsumerGroupDescribe,
    version: 0,
    body: { groupIds: ["g"], includeAuthorizedOperations: true },
    refused: (r) => r.groups.map((g: any) => g.errorCode),
  },
  {
    api: ApiKey.AddPartitionsToTxn,
    version: 3,
    body: {
      v3AndBelowTransactionalId: "tx",
      v3AndBelowProducerId: 0n,
      v3AndBelowProducerEpoch: 0,
      v3AndBelowTopics: [{ name: "t", partitions: [0] }],
    },
    refused: (r) =>
      r.resultsByTopicV3AndBelow.flatMap((t: any) =>
        t.resultsByPartition.map((p: any) => p.partitionErrorCode),
      ),
  },
  {
    api: ApiKey.AddPartitionsToTxn,
    version: 4,
    body: {
      transactions: [
        {
          transactionalId: "tx",
          producerId: 0n,
          producerEpoch: 0,
          verifyOnly: true,
          topics: [{ name: "t", partitions: [0] }],
        },
      ],
    },
    refused: (r) => [r.errorCode],
  },
  {
    api: ApiKey.AddOffsetsToTxn,
    version: 4,
    body: { transactionalId: "tx", producerId: 0n, producerEpoch: 0, groupId: "g" },
    refused: (r) => [r.errorCode],
  },
  {
    api: ApiKey.EndTxn,
    version: 4,
    body: { transactionalId: "tx", producerId: 0n, producerEpoch: 0, committed: false },
    refused: (r) => [r.errorCode],
  },
  {
    api: ApiKey.TxnOffsetCommit,
    version: 4,
    body: {
      transactionalId: "tx",
      groupId: "g",
      producerId: 0n,
      producerEpoch: 0,
      topics: [{ name: "t", partitions: [{ partitionIndex: 0, committedOffset: 0n }] }],
    },
    refused: (r) => r.topics.flatMap((t: any) => t.partitions.map((p: any) => p.errorCode)),
  },
  {
    api: ApiKey.WriteTxnMarkers,
    version: 1,
    body: {
      markers: [
        {
          producerId: 0n,
          producerEpoch: 0,
          transactionResult: false,
          topics: [{ name: "t", partitionIndexes: [0] }],
          coordinatorEpoch: 0,
        },
      ],
    },
    refused: (r) =>
      r.markers.flatMap((m: any) => m.topics.flatMap((t: any) => t.partitions.map((p: any) => p.errorCode))),
  },
  {
    api: ApiKey.DescribeTransactions,
    version: 0,
    body: { transactionalIds: ["tx"] },
    refused: (r) =>
      r.transactionStates.map((s: any) => checked(() => assert.equal(s.producerId, -1n), s.errorCode)),
  },
  {
    api: ApiKey.ListTransactions,
    version: 1,
    body: {},
    refused: (r) => checked(() => assert.deepEqual(r.transactionStates, []), []),
  },
];

/** What each case must answer: Kafka's error codes, in the answer's order. */
const EXPECTED: Record<number, number[][]> = {
  [ApiKey.Metadata]: [[], [TOPIC, TOPIC]],
  [ApiKey.Produce]: [[TOPIC]],
  [ApiKey.Fetch]: [[TOPIC]],
  [ApiKey.ListOffsets]: [[TOPIC]],
  [ApiKey.OffsetForLeaderEpoch]: [[TOPIC]],
  [ApiKey.CreateTopics]: [[TOPIC]],
  [ApiKey.DeleteTopics]: [[TOPIC]],
  [ApiKey.CreatePartitions]: [[TOPIC]],
  [ApiKey.DescribeCluster]: [[]],
  [ApiKey.DescribeConfigs]: [[TOPIC, CLUSTER]],
  [ApiKey.AlterConfigs]: [[TOPIC]],
  [ApiKey.IncrementalAlterConfigs]: [[CLUSTER]],
  [ApiKey.DeleteRecords]: [[TOPIC]],
  [ApiKey.DescribeLogDirs]: [[CLUSTER]],
  [ApiKey.DescribeTopicPartitions]: [[TOPIC]],
  [ApiKey.InitProducerId]: [[CLUSTER], [TXN]],
  [ApiKey.AllocateProducerIds]: [[CLUSTER]],
  [ApiKey.AlterPartition]: [[CLUSTER]],
  [ApiKey.ElectLeaders]: [[CLUSTER]],
  [ApiKey.AlterPartitionReassignments]: [[CLUSTER]],
  [ApiKey.ListPartitionReassignments]: [[CLUSTER]],
  [ApiKey.DescribeProducers]: [[TOPIC]],
  [ApiKey.DescribeClientQuotas]: [[CLUSTER]],
  [ApiKey.AlterClientQuotas]: [[CLUSTER]],
  [ApiKey.DescribeUserScramCredentials]: [[CLUSTER]],
  [ApiKey.AlterUserScramCredentials]: [[CLUSTER]],
  [ApiKey.DescribeAcls]: [[CLUSTER]],
  [ApiKey.CreateAcls]: [[CLUSTER]],
  [ApiKey.DeleteAcls]: [[CLUSTER]],
  [ApiKey.FindCoordinator]: [[GROUP], [TXN]],
  [ApiKey.JoinGroup]: [[GROUP]],
  [ApiKey.SyncGroup]: [[GROUP]],
  [ApiKey.Heartbeat]: [[GROUP]],
  [ApiKey.LeaveGroup]: [[GROUP]],
  [ApiKey.OffsetCommit]: [[GROUP]],
  [ApiKey.OffsetFetch]: [[GROUP]],
  [ApiKey.ListGroups]: [[]],
  [ApiKey.DescribeGroups]: [[GROUP]],
  [ApiKey.DeleteGroups]: [[GROUP]],
  [ApiKey.OffsetDelete]: [[GROUP]],
  [ApiKey.ConsumerGroupHeartbeat]: [[GROUP]],
  [ApiKey.ConsumerGroupDescribe]: [[GROUP]],
  [ApiKey.AddPartitionsToTxn]: [[TXN], [CLUSTER]],
  [ApiKey.AddOffsetsToTxn]: [[TXN]],
  [ApiKey.EndTxn]: [[TXN]],
  [ApiKey.TxnOffsetCommit]: [[TXN]],
  [ApiKey.WriteTxnMarkers]: [[CLUSTER]],
  [ApiKey.DescribeTransactions]: [[TXN]],
  [ApiKey.ListTransactions]: [[]],
};

test("a client allowed nothing gets Kafka's authorization error from every API, and sees nothing", async () => {
  const seen = new Map<number, number[][]>();
  for (const c of CASES) {
    const name = apiSpec(c.api)?.name;
    const response = await anonymous.request<any>(c.api, c.version, c.body);
    let codes: number[];
    try {
      codes = c.refused(response);
    } catch (error) {
      throw new Error(`${name} v${c.version}: ${(error as Error).message}`);
    }
    seen.set(c.api, [...(seen.get(c.api) ?? []), codes]);
  }
  for (const [api, expected] of Object.entries(EXPECTED)) {
    assert.deepEqual(seen.get(Number(api)), expected, apiSpec(Number(api))?.name);
  }
});

test("the super user's same requests are not refused: the checks are what refuses", async () => {
  const authorizationErrors = new Set<number>([TOPIC, GROUP, CLUSTER, TXN]);
  for (const c of CASES) {
    // Requests that change what the other cases read are left out.
    if (
      (
        [ApiKey.DeleteTopics, ApiKey.DeleteGroups, ApiKey.DeleteRecords, ApiKey.DeleteAcls] as number[]
      ).includes(c.api)
    )
      continue;
    const response = await admin.request<any>(c.api, c.version, c.body);
    let codes: number[] = [];
    try {
      codes = c.refused(response);
    } catch {
      // The assertions of a refusal (nothing shown) need not hold for the super user.
      continue;
    }
    assert.ok(
      !codes.some((code) => authorizationErrors.has(code)),
      `${apiSpec(c.api)?.name} v${c.version} refused the super user: ${codes}`,
    );
  }
  assert.ok(producerId >= 0n);
});

test("every API the broker serves is in the table, except the handshake ones", () => {
  const served = b.server.broker.dispatcher.advertisedVersions().map((v) => v.apiKey);
  const unchecked = new Set([ApiKey.ApiVersions, ApiKey.SaslHandshake, ApiKey.SaslAuthenticate]);
  const missing = [...served, ApiKey.AllocateProducerIds, ApiKey.AlterPartition].filter(
    (api) => !(unchecked as Set<number>).has(api) && EXPECTED[api] === undefined,
  );
  assert.deepEqual(
    missing.map((api) => apiSpec(api)?.name),
    [],
  );
});
