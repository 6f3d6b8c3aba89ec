import assert from "node:assert/strict";
import { test } from "node:test";
import { ManualClock } from "../../src/base/index.js";
import type { RequestContext } from "../../src/broker/api-handler.js";
import { ClientQuotaCallback, type EntityPart } from "../../src/broker/client-quota-callback.js";
import { ClientQuotaManager, QuotaType } from "../../src/broker/client-quota-manager.js";
import { ClientQuotas } from "../../src/broker/client-quotas.js";

/**
 * Kafka's ClientQuotaManager precedence (its scaladoc and DefaultQuotaCallback), level by level,
 * and the rates and throttle times of ClientQuotaManager on a simulated clock.
 */

const USER = "ANONYMOUS";
const CLIENT = "c1";

/** The eight levels, most specific first: [user part, client-id part, Kafka's path]. */
const LEVELS: [EntityPart, EntityPart, string][] = [
  [USER, CLIENT, "/config/users/<user>/clients/<client-id>"],
  [USER, null, "/config/users/<user>/clients/<default>"],
  [USER, undefined, "/config/users/<user>"],
  [null, CLIENT, "/config/users/<default>/clients/<client-id>"],
  [null, null, "/config/users/<default>/clients/<default>"],
  [null, undefined, "/config/users/<default>"],
  [undefined, CLIENT, "/config/clients/<client-id>"],
  [undefined, null, "/config/clients/<default>"],
];

test("each of the eight levels alone applies to a client it matches", () => {
  for (const [i, [user, clientId, path]] of LEVELS.entries()) {
    const callback = new ClientQuotaCallback();
    callback.update(user, clientId, 1000 + i);
    assert.equal(callback.quotaFor(USER, CLIENT), 1000 + i, path);
    // Another client id matches only the levels that do not name the client id.
    const other = callback.quotaFor(USER, "other");
    assert.equal(other, clientId === CLIENT ? null : 1000 + i, `${path}, another client id`);
    // Another user matches only the levels that do not name the user.
    assert.equal(
      callback.quotaFor("alice", CLIENT),
      user === USER ? null : 1000 + i,
      `${path}, another user`,
    );
  }
});

test("with every level set, the most specific applies; removing it uncovers the next, down to clients/<default>", () => {
  const callback = new ClientQuotaCallback();
  for (const [i, [user, clientId]] of LEVELS.entries()) callback.update(user, clientId, 1000 + i);
  for (const [i, [user, clientId, path]] of LEVELS.entries()) {
    assert.equal(callback.quotaFor(USER, CLIENT), 1000 + i, `level ${i + 1}: ${path}`);
    callback.update(user, clientId, null);
  }
  assert.equal(callback.quotaFor(USER, CLIENT), null, "no quota left");
  // Kafka never forgets that quotas were enabled (until a restart).
  assert.ok(callback.quotasEnabled);
});

test("every pair of levels: the more specific one wins, whatever order they were set in", () => {
  for (let a = 0; a < LEVELS.length; a++) {
    for (let b = a + 1; b < LEVELS.length; b++) {
      for (const order of [
        [b, a],
        [a, b],
      ]) {
        const callback = new ClientQuotaCallback();
        for (const level of order) {
          const [user, clientId] = LEVELS[level] as [EntityPart, EntityPart, string];
          callback.update(user, clientId, 1000 + level);
        }
        assert.equal(callback.quotaFor(USER, CLIENT), 1000 + a, `${LEVELS[a]?.[2]} over ${LEVELS[b]?.[2]}`);
      }
    }
  }
});

test("metric tags: a user quota is shared by the user's client ids, a client-id quota is per client id", () => {
  const byUser = new ClientQuotaCallback();
  byUser.update(USER, undefined, 100);
  assert.deepEqual(byUser.metricTags(USER, "a"), { user: USER, clientId: "" });
  assert.deepEqual(byUser.metricTags(USER, "b"), { user: USER, clientId: "" });
  const byClient = new ClientQuotaCallback();
  byClient.update(undefined, null, 100);
  assert.deepEqual(byClient.metricTags(USER, "a"), { user: "", clientId: "a" });
  const both = new ClientQuotaCallback();
  both.update(USER, "a", 100);
  assert.deepEqual(both.metricTags(USER, "a"), { user: USER, clientId: "a" });
  // Several kinds: the tags of the level that applies.
  both.update(undefined, "b", 50);
  assert.deepEqual(both.metricTags(USER, "a"), { user: USER, clientId: "a" });
  assert.deepEqual(both.metricTags(USER, "b"), { user: "", clientId: "b" });
  both.update(null, undefined, 10);
  assert.deepEqual(both.metricTags(USER, "c"), { user: USER, clientId: "" });
  assert.equal(both.quotaFor(USER, "c"), 10);
  assert.equal(both.quotaFor(USER, "b"), 10, "users/<default> is more specific than clients/<client-id>");
});

const WINDOW = { samples: 11, windowMs: 1000 };

test("a producer over its quota is throttled by Kafka's formula; another client id is not; removal lifts it", () => {
  const clock = new ManualClock();
  const produce = new ClientQuotaManager(QuotaType.produce, WINDOW);
  assert.equal(produce.recordAndGetThrottleTimeMs(USER, CLIENT, 1e9, clock.monotonicMs()), 0, "no quota yet");
  produce.updateQuota(undefined, CLIENT, 1000);
  // 20 000 bytes: 2000 B/s over the assumed 10 s window -> 10 s to come back to 1000 B/s.
  clock.advance(100_000);
  assert.equal(produce.recordAndGetThrottleTimeMs(USER, CLIENT, 20_000, clock.monotonicMs()), 10_000);
  assert.equal(produce.recordAndGetThrottleTimeMs(USER, "other", 1e9, clock.monotonicMs()), 0);
  produce.throttled(USER, CLIENT, 10_000, clock.monotonicMs());
  assert.equal(produce.throttledTotal, 1);
  const tracked = [...produce.clients(clock.monotonicMs())].find((c) => c.tags.clientId === CLIENT);
  assert.equal(tracked?.quota, 1000);
  assert.equal(tracked?.throttleTimeMs, 10_000);
  assert.equal(tracked?.rate, 2000);
  // Removed: the next request is not throttled, whatever the rate.
  produce.updateQuota(undefined, CLIENT, null);
  assert.equal(produce.recordAndGetThrottleTimeMs(USER, CLIENT, 20_000, clock.monotonicMs()), 0);
});

test("a fetch bigger than the quota allows in the window is refused and taken back (unrecord)", () => {
  const clock = new ManualClock();
  const fetch = new ClientQuotaManager(QuotaType.fetch, WINDOW);
  fetch.updateQuota(undefined, null, 1000);
  assert.equal(fetch.maxValueInQuotaWindow(USER, CLIENT), 10_000, "quota * (samples - 1) windows");
  const now = clock.monotonicMs();
  assert.ok(fetch.recordAndGetThrottleTimeMs(USER, CLIENT, 15_000, now) > 0);
  fetch.unrecord(USER, CLIENT, 15_000, now);
  assert.equal(
    fetch.recordAndGetThrottleTimeMs(USER, CLIENT, 10_000, now),
    0,
    "the taken-back bytes do not count",
  );
});

test("the request quota's throttle is capped at one window; its unit is percent of the event loop", () => {
  const clock = new ManualClock();
  const request = new ClientQuotaManager(QuotaType.request, WINDOW, { throttleMsMax: 1000 });
  request.updateQuota(USER, undefined, 10); // 10 % of one thread
  // 5 s of handler time (500 percent-seconds) against 10 %/s over 10 s.
  assert.equal(request.recordAndGetThrottleTimeMs(USER, CLIENT, 500, clock.monotonicMs()), 1000);
  assert.equal(request.throttleTimeNowMs(USER, CLIENT, clock.monotonicMs()), 1000);
});

test("clients idle for an hour are forgotten", () => {
  const clock = new ManualClock();
  const produce = new ClientQuotaManager(QuotaType.produce, WINDOW);
  produce.updateQuota(undefined, null, 1000);
  produce.recordAndGetThrottleTimeMs(USER, "a", 1, clock.monotonicMs());
  assert.equal(produce.clientCount, 1);
  clock.advance(3_600_000);
  produce.recordAndGetThrottleTimeMs(USER, "b", 1, clock.monotonicMs());
  assert.equal(produce.clientCount, 1);
});

test("ClientQuotas follows the image: each key to its manager, IP rates to the socket server, removals included", () => {
  const ipQuotas: [string | null, number | null][] = [];
  const quotas = new ClientQuotas({
    window: WINDOW,
    clock: new ManualClock(),
    onIpQuota: (ip, rate) => ipQuotas.push([ip, rate]),
  });
  const entry = (parts: [string, string | null][], values: [string, number][]) => ({
    entity: new Map(parts),
    values: new Map(values),
  });
  const first = new Map([
    [
      "a",
      entry(
        [
          ["user", USER],
          ["client-id", null],
        ],
        [
          ["producer_byte_rate", 100],
          ["controller_mutation_rate", 5],
        ],
      ),
    ],
    ["b", entry([["client-id", CLIENT]], [["consumer_byte_rate", 200]])],
    ["c", entry([["ip", null]], [["connection_creation_rate", 7]])],
  ]);
  quotas.apply(first);
  assert.equal(quotas.produce.quota(USER, CLIENT), 100);
  assert.equal(quotas.fetch.quota(USER, CLIENT), 200);
  assert.equal(quotas.request.quotasEnabled, false, "controller_mutation_rate is not a request quota");
  assert.deepEqual(ipQuotas, [[null, 7]]);
  const second = new Map([
    [
      "a",
      entry(
        [
          ["user", USER],
          ["client-id", null],
        ],
        [["producer_byte_rate", 300]],
      ),
    ],
  ]);
  quotas.apply(second);
  assert.equal(quotas.produce.quota(USER, CLIENT), 300);
  assert.equal(quotas.fetch.quota(USER, CLIENT), null);
  assert.deepEqual(ipQuotas, [
    [null, 7],
    [null, null],
  ]);
});

test("an inter-broker client id exempts a request from quotas only when an authorizer, if any, says it is a broker's", () => {
  const context = (clientId: string, broker: boolean) =>
    ({ clientId, connection: { principal: broker ? "broker" : "mallory" } }) as unknown as RequestContext;
  const open = new ClientQuotas({ window: WINDOW, clock: new ManualClock() });
  assert.equal(
    open.exempt(context("brook-replica-fetcher-2", false)),
    true,
    "without an authorizer, as Kafka",
  );
  assert.equal(open.exempt(context("app", false)), false);
  const guarded = new ClientQuotas({
    window: WINDOW,
    clock: new ManualClock(),
    fromBroker: (c) => c.connection.principal === "broker",
  });
  assert.equal(guarded.exempt(context("brook-replica-fetcher-2", true)), true);
  assert.equal(
    guarded.exempt(context("brook-replica-fetcher-2", false)),
    false,
    "a client naming itself a broker",
  );
  assert.equal(guarded.exempt(context("app", true)), false);
});
