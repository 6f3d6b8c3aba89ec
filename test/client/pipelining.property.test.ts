import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import fc from "fast-check";
import { KafkaConnection } from "../../src/client/index.js";
import { type BrookServer, startBroker } from "../../src/index.js";
import {
  ApiKey,
  type ApiVersionsResponse,
  type CreateTopicsResponse,
  type DeleteTopicsResponse,
  type DescribeClusterResponse,
  type DescribeConfigsResponse,
  type MetadataResponse,
  ZERO_UUID,
} from "../../src/protocol/index.js";

/**
 * Random sequences of requests of several APIs and versions (flexible and not, so both header
 * versions), some pipelined and some sent after the previous answer, on one connection to a real
 * broker. Each request names something the answer echoes (a topic or resource name), so a response
 * delivered to the wrong request shows.
 */

let server: BrookServer;
let connection: KafkaConnection;
let clusterId = "";

before(async () => {
  server = await startBroker();
  connection = await KafkaConnection.connect({
    host: "127.0.0.1",
    port: server.port,
    clientId: "pipelining-property",
    connectTimeoutMs: 5000,
  });
  const cluster = await connection.request<DescribeClusterResponse>(ApiKey.DescribeCluster, 0, {
    includeClusterAuthorizedOperations: false,
  });
  clusterId = cluster.clusterId;
});
after(async () => {
  connection.close();
  await server.stop();
});

type Op = { api: keyof typeof exchanges; version: number; name: string; afterPrevious: boolean };

/** Per API: its versions here, the request for a name, and the name its answer echoes. */
const exchanges = {
  metadata: {
    apiKey: ApiKey.Metadata,
    versions: [4, 12],
    body: (name: string) => ({ topics: [{ name }], allowAutoTopicCreation: false }),
    echo: (r: unknown, _name: string) => (r as MetadataResponse).topics[0]?.name,
  },
  describeConfigs: {
    apiKey: ApiKey.DescribeConfigs,
    versions: [1, 4],
    body: (name: string) => ({
      resources: [{ resourceType: 2, resourceName: name, configurationKeys: null }],
    }),
    echo: (r: unknown, _name: string) => (r as DescribeConfigsResponse).results[0]?.resourceName,
  },
  createTopicsValidateOnly: {
    apiKey: ApiKey.CreateTopics,
    versions: [2, 7],
    body: (name: string) => ({
      topics: [{ name, numPartitions: 1, replicationFactor: 1 }],
      timeoutMs: 5000,
      validateOnly: true,
    }),
    echo: (r: unknown, _name: string) => (r as CreateTopicsResponse).topics[0]?.name,
  },
  deleteTopics: {
    apiKey: ApiKey.DeleteTopics,
    versions: [1, 6],
    body: (name: string) => ({ topics: [{ name, topicId: ZERO_UUID }], topicNames: [name], timeoutMs: 5000 }),
    echo: (r: unknown, _name: string) => (r as DeleteTopicsResponse).responses[0]?.name,
  },
  apiVersions: {
    apiKey: ApiKey.ApiVersions,
    versions: [0, 4],
    body: (_name: string) => ({}),
    echo: (r: unknown, name: string) => ((r as ApiVersionsResponse).apiKeys.length > 20 ? name : "?"),
  },
  describeCluster: {
    apiKey: ApiKey.DescribeCluster,
    versions: [0, 1],
    body: (_name: string) => ({ includeClusterAuthorizedOperations: false }),
    echo: (r: unknown, name: string) => ((r as DescribeClusterResponse).clusterId === clusterId ? name : "?"),
  },
} as const;

/** A field the version lacks must be left out (strict encoding). */
function bodyFor(op: Op): object {
  const body: Record<string, unknown> = { ...exchanges[op.api].body(op.name) };
  if (op.api === "deleteTopics") delete body[op.version >= 6 ? "topicNames" : "topics"];
  return body;
}

// A record of flat arbitraries: chaining the version to the API rebuilt a string arbitrary per op,
// which cost seconds per property run.
const opArbitrary: fc.Arbitrary<Op> = fc
  .record({
    api: fc.constantFrom(...(Object.keys(exchanges) as (keyof typeof exchanges)[])),
    versionPick: fc.nat(),
    name: fc.string({
      unit: fc.constantFrom(..."abcdefghijklmnopqrstuvwxyz0123456789_-"),
      minLength: 1,
      maxLength: 30,
    }),
    afterPrevious: fc.boolean(),
  })
  .map(({ api, versionPick, name, afterPrevious }) => {
    const [min, max] = exchanges[api].versions;
    return { api, version: min + (versionPick % (max - min + 1)), name, afterPrevious };
  });

test("responses to random pipelined sequences reach the requests they answer", async () => {
  await fc.assert(
    fc.asyncProperty(fc.array(opArbitrary, { minLength: 1, maxLength: 25 }), async (ops) => {
      const answers: Promise<void>[] = [];
      for (const [i, op] of ops.entries()) {
        const name = `${op.name}-${i}`;
        if (op.afterPrevious) await answers[answers.length - 1];
        const exchange = exchanges[op.api];
        answers.push(
          connection
            .request(exchange.apiKey, op.version, bodyFor({ ...op, name }))
            .then((response) =>
              assert.equal(exchange.echo(response, name), name, `${op.api} v${op.version}`),
            ),
        );
      }
      await Promise.all(answers);
      assert.equal(connection.inFlightCount, 0);
      assert.ok(!connection.isClosed);
    }),
    { numRuns: 100 },
  );
});
