import assert from "node:assert/strict";
import { test } from "node:test";
import { ConnectionQuotas, ConnectionRefusalReason } from "../../src/network/index.js";

/** Who may connect, decided on a simulated clock (Kafka's ConnectionQuotas for the limits Brook has). */

const WINDOW = { samples: 11, windowMs: 1000 };
const UNLIMITED = 2 ** 31 - 1;

function quotas(
  overrides: Partial<ConstructorParameters<typeof ConnectionQuotas>[0]> = {},
): ConnectionQuotas {
  return new ConnectionQuotas({
    connectionsMax: UNLIMITED,
    connectionsPerIpMax: UNLIMITED,
    connectionsPerIpOverrides: new Map(),
    quotaWindow: WINDOW,
    ...overrides,
  });
}

test("max.connections.per.ip: past it an address's new connections are refused; released ones free a slot", () => {
  const q = quotas({ connectionsPerIpMax: 2 });
  assert.equal(q.admit("10.0.0.1", 0).kind, "accepted");
  assert.equal(q.admit("::ffff:10.0.0.1", 0).kind, "accepted", "an IPv4-mapped address is the same address");
  const third = q.admit("10.0.0.1", 0);
  assert.equal(third.kind, "refused");
  assert.equal(third.kind === "refused" ? third.reason : "", ConnectionRefusalReason.maxConnectionsPerIp);
  assert.equal(q.admit("10.0.0.2", 0).kind, "accepted", "other addresses are not affected");
  q.release("10.0.0.1");
  assert.equal(q.admit("10.0.0.1", 0).kind, "accepted");
  assert.equal(q.countOf("10.0.0.1"), 2);
  assert.equal(q.connectionCount, 3);
  assert.equal(q.refusedTotals.get(ConnectionRefusalReason.maxConnectionsPerIp), 1);
});

test("max.connections.per.ip.overrides: an address's own limit, 0 included", () => {
  const q = quotas({ connectionsPerIpMax: 0, connectionsPerIpOverrides: new Map([["127.0.0.1", 3]]) });
  for (let i = 0; i < 3; i++) assert.equal(q.admit("127.0.0.1", 0).kind, "accepted");
  assert.equal(q.admit("127.0.0.1", 0).kind, "refused");
  assert.equal(q.admit("10.0.0.9", 0).kind, "refused");
});

test("max.connections counts all addresses together", () => {
  const q = quotas({ connectionsMax: 2 });
  assert.equal(q.admit("10.0.0.1", 0).kind, "accepted");
  assert.equal(q.admit("10.0.0.2", 0).kind, "accepted");
  const refused = q.admit("10.0.0.3", 0);
  assert.equal(refused.kind === "refused" ? refused.reason : "", ConnectionRefusalReason.maxConnections);
});

test("connection_creation_rate: over its address's rate a connection is closed after Kafka's throttle time", () => {
  const q = quotas();
  q.updateIpConnectionRate("10.0.0.1", 5);
  // 5/s over the assumed 10 s window: 50 connections at once fit, the 51st does not.
  for (let i = 0; i < 50; i++) assert.equal(q.admit("10.0.0.1", 0).kind, "accepted", `connection ${i}`);
  const over = q.admit("10.0.0.1", 0);
  assert.equal(over.kind, "throttled");
  // 51 per 10 s = 5.1/s: (5.1 - 5) / 5 * 10 000 ms = 200 ms.
  assert.equal(over.kind === "throttled" ? over.delayMs : 0, 200);
  assert.equal(q.admit("10.0.0.2", 0).kind, "accepted", "no default rate: other addresses are free");
  // The refused connection was taken back from the rate: one more fits after 200 ms.
  assert.equal(q.admit("10.0.0.1", 200).kind, "accepted");
  // The default applies to addresses without their own quota; removing it frees them.
  q.updateIpConnectionRate(null, 1);
  for (let i = 0; i < 10; i++) q.admit("10.0.0.3", 1000);
  assert.equal(q.admit("10.0.0.3", 1000).kind, "throttled");
  q.updateIpConnectionRate(null, null);
  assert.equal(q.admit("10.0.0.3", 1000).kind, "accepted");
  assert.equal(q.refusedTotals.get(ConnectionRefusalReason.connectionCreationRate), 2);
});
