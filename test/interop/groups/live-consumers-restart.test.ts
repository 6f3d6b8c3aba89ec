import assert from "node:assert/strict";
import { createServer } from "node:net";
import { after, before, test } from "node:test";
import type { Kafka } from "kafkajs";
import { BrokerProcess, TEST_TIMEOUT_MS, waitFor } from "../broker-process.js";
import { kafkajsClient } from "../kafkajs-client.js";
import {
  createTopic,
  diagnostics,
  GROUP_BROKER_OVERRIDES,
  HEARTBEAT_INTERVAL_MS,
  killMembers,
  MemberProcess,
  missing,
  type Produced,
  produceNumbered,
  SESSION_TIMEOUT_MS,
  SETTLE_TIMEOUT_MS,
} from "./group-harness.js";

/**
 * Consumers that stay up while the broker restarts under them, on the same address: they lose
 * their connections, find the coordinator again (which answers COORDINATOR_LOAD_IN_PROGRESS while
 * it reloads `__consumer_offsets`), rejoin or carry on with their generation, and go on from
 * their committed offsets. Two kafkajs members share one group, a confluent-kafka member has
 * another; through a SIGTERM restart and a SIGKILL restart neither group loses a record, and both
 * are Stable with all their members afterwards. (kafkajs gives up for good when FindCoordinator
 * finds the only broker refusing connections; its members then start a new consumer, as an
 * application would.)
 */

const TOPIC = "steady";
const PARTITIONS = 4;
const DELIVERY_TIMEOUT_MS = 40_000;

let broker: BrokerProcess;
let kafka: Kafka;
const kafkajsMembers: MemberProcess[] = [];
let pythonMember: MemberProcess;
const produced: Produced[] = [];

/** A port that was free a moment ago: the broker must come back on the same address. */
async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  assert.ok(address !== null && typeof address === "object");
  return address.port;
}

before(async () => {
  const port = await freePort();
  broker = await BrokerProcess.start({
    overrides: {
      ...GROUP_BROKER_OVERRIDES,
      "num.partitions": String(PARTITIONS),
      listeners: `PLAINTEXT://127.0.0.1:${port},CONTROLLER://127.0.0.1:0`,
      "advertised.listeners": `PLAINTEXT://127.0.0.1:${port}`,
    },
  });
  kafka = kafkajsClient(broker.bootstrap);
  await createTopic(kafka, TOPIC, PARTITIONS);
});

after(async () => {
  await killMembers([...kafkajsMembers, pythonMember].filter((m) => m !== undefined));
  await broker?.dispose();
});

const all = () => [...kafkajsMembers, pythonMember];
const why = () => diagnostics(broker, all());

async function waitForEveryGroup(): Promise<void> {
  const groups = [kafkajsMembers, [pythonMember]];
  await waitFor(
    "both groups receiving every record",
    async () =>
      groups.every(
        (members) =>
          missing(
            produced,
            members.flatMap((m) => m.deliveries()),
          ).length === 0,
      )
        ? true
        : undefined,
    DELIVERY_TIMEOUT_MS,
  ).catch((e: unknown) => {
    const gone = groups.map((members) =>
      missing(
        produced,
        members.flatMap((m) => m.deliveries()),
      ),
    );
    throw new Error(`${String(e)}; missing kafkajs ${gone[0]?.length}, python ${gone[1]?.length}\n${why()}`);
  });
  for (const m of all()) assert.ok(m.alive, `${m.name} still running\n${why()}`);
}

/** Both groups Stable with all their members (after a restart: rejoined). */
async function waitForMembers(): Promise<void> {
  await waitFor(
    "both groups Stable with every member",
    async () => {
      const admin = kafka.admin();
      await admin.connect();
      try {
        const { groups } = await admin.describeGroups(["steady-kafkajs", "steady-python"]);
        const sizes = groups.map((g) => (g.state === "Stable" ? g.members.length : -1));
        return sizes[0] === 2 && sizes[1] === 1 ? true : undefined;
      } finally {
        await admin.disconnect();
      }
    },
    SETTLE_TIMEOUT_MS,
  ).catch((e: unknown) => {
    throw new Error(`${String(e)}\n${why()}`);
  });
}

test("consumers keep their groups and lose nothing while the broker restarts under them", {
  timeout: TEST_TIMEOUT_MS * 2,
}, async () => {
  for (const name of ["kafkajs-1", "kafkajs-2"]) {
    kafkajsMembers.push(
      MemberProcess.kafkajs(name, {
        bootstrap: broker.bootstrap,
        groupId: "steady-kafkajs",
        topic: TOPIC,
        sessionTimeoutMs: SESSION_TIMEOUT_MS,
        heartbeatIntervalMs: HEARTBEAT_INTERVAL_MS,
        restartWhenGivenUp: true,
      }),
    );
  }
  pythonMember = MemberProcess.python("python-1", {
    topic: TOPIC,
    config: {
      "bootstrap.servers": broker.bootstrap,
      "group.id": "steady-python",
      "session.timeout.ms": SESSION_TIMEOUT_MS,
      "heartbeat.interval.ms": HEARTBEAT_INTERVAL_MS,
      "auto.offset.reset": "earliest",
      "auto.commit.interval.ms": 500,
      // librdkafka's reconnect backoff grows to 10 s by default; the broker is back within one.
      "reconnect.backoff.max.ms": 1000,
    },
  });
  await waitForMembers();
  produced.push(...(await produceNumbered(kafka, TOPIC, PARTITIONS, "up", 10)));
  await waitForEveryGroup();

  await broker.stop();
  await broker.restart();
  produced.push(...(await produceNumbered(kafka, TOPIC, PARTITIONS, "after-sigterm", 10)));
  await waitForEveryGroup();
  await waitForMembers();

  await broker.kill();
  await broker.restart();
  produced.push(...(await produceNumbered(kafka, TOPIC, PARTITIONS, "after-sigkill", 10)));
  await waitForEveryGroup();
  await waitForMembers();
  await Promise.all(all().map((m) => m.stop()));
});
