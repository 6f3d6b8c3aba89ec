import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { silentLogger } from "../../src/base/index.js";
import { ConsoleServer } from "../../src/console/index.js";
import { type BrookServer, startBroker } from "../../src/server/index.js";
import { kafkajsClient } from "../interop/kafkajs-client.js";
import { getJson } from "./console-http.js";

interface Listed {
  transactionalId: string;
  producerId: number;
  producerEpoch: number;
  state: string;
  durationMs: number | null;
  partitions: { topic: string; partitions: number[] }[];
}

let server: BrookServer;
let consoleServer: ConsoleServer;
let url: string;

before(async () => {
  server = await startBroker({ properties: { "num.partitions": "2" } });
  consoleServer = await ConsoleServer.start({
    broker: server.broker,
    listeners: [{ host: "127.0.0.1", port: 0 }],
    log: silentLogger,
    groups: server.broker.groupCoordinator,
  });
  url = consoleServer.urls[0] as string;
});

after(async () => {
  await consoleServer?.stop();
  await server?.stop();
});

test("/api/transactions lists an open transaction with its partitions, then its completion", async () => {
  const kafka = kafkajsClient(`127.0.0.1:${server.port}`, "console-txn");
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({ topics: [{ topic: "payments", numPartitions: 2 }] });
  await admin.disconnect();
  const producer = kafka.producer({
    transactionalId: "payments-tx",
    maxInFlightRequests: 1,
    idempotent: true,
  });
  await producer.connect();
  try {
    const txn = await producer.transaction();
    await txn.send({
      topic: "payments",
      messages: [
        { partition: 1, value: "a" },
        { partition: 0, value: "b" },
      ],
    });
    const open = (await getJson<Listed[]>(url, "/api/transactions")).find(
      (t) => t.transactionalId === "payments-tx",
    );
    assert.equal(open?.state, "Ongoing");
    assert.deepEqual(open?.partitions, [{ topic: "payments", partitions: [0, 1] }]);
    assert.ok(open !== undefined && open.durationMs !== null && open.durationMs >= 0);
    await txn.commit();
    const done = (await getJson<Listed[]>(url, "/api/transactions")).find(
      (t) => t.transactionalId === "payments-tx",
    );
    assert.ok(done?.state === "CompleteCommit" || done?.state === "PrepareCommit", done?.state);
    assert.equal(done?.durationMs, done?.state === "CompleteCommit" ? null : done?.durationMs);
    assert.equal(done?.producerId, open?.producerId);
  } finally {
    await producer.disconnect();
  }
  const html = await (await fetch(`${url}/`)).text();
  assert.match(html, /href="#\/transactions"/, "the console's navigation links the view");
});
