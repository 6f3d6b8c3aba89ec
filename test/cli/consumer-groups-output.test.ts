import assert from "node:assert/strict";
import { test } from "node:test";
import {
  assignmentString,
  listTable,
  membersTable,
  offsetsTable,
  resetTable,
} from "../../src/cli/consumer-groups/group-output.js";
import { parseDateTime, parseDuration, parseResetPlan } from "../../src/cli/consumer-groups/reset-offsets.js";
import { CommandError, UsageError } from "../../src/cli/options/index.js";

/**
 * The layout of `brook consumer-groups` tables where the interop test's values do not reach:
 * columns that grow past their least width, the group-instance column, missing values, and the
 * datetime and duration arguments of --reset-offsets.
 */

test("the offsets table widens its columns to the longest value and prints '-' for what is missing", () => {
  const out = offsetsTable(
    [
      {
        group: "a-group-with-a-long-name",
        topic: "t",
        partition: 0,
        leaderEpoch: 3,
        offset: 5n,
        logEndOffset: 9n,
        consumerId: "c",
        host: "/10.0.0.1",
        clientId: "app",
      },
      {
        group: "a-group-with-a-long-name",
        topic: "t",
        partition: 1,
        leaderEpoch: null,
        offset: null,
        logEndOffset: 7n,
        consumerId: "-",
        host: "-",
        clientId: "-",
      },
    ],
    true,
  );
  const g = "a-group-with-a-long-name";
  assert.equal(
    out,
    `\n${"GROUP".padEnd(24)} ${"TOPIC".padEnd(15)} ${"PARTITION".padEnd(10)} ${"LEADER-EPOCH".padEnd(15)} ${"CURRENT-OFFSET".padEnd(15)} ${"LOG-END-OFFSET".padEnd(15)} ${"LAG".padEnd(15)} ${"CONSUMER-ID".padEnd(15)} ${"HOST".padEnd(15)} CLIENT-ID` +
      `\n${g} ${"t".padEnd(15)} ${"0".padEnd(10)} ${"3".padEnd(15)} ${"5".padEnd(15)} ${"9".padEnd(15)} ${"4".padEnd(15)} ${"c".padEnd(15)} ${"/10.0.0.1".padEnd(15)} app` +
      `\n${g} ${"t".padEnd(15)} ${"1".padEnd(10)} ${"-".padEnd(15)} ${"-".padEnd(15)} ${"7".padEnd(15)} ${"-".padEnd(15)} ${"-".padEnd(15)} ${"-".padEnd(15)} -\n`,
  );
});

test("the members table shows GROUP-INSTANCE-ID only when a member has one", () => {
  const member = {
    group: "g",
    consumerId: "m-1",
    host: "/h",
    clientId: "c",
    assignment: [
      { topic: "b", partition: 2 },
      { topic: "a", partition: 1 },
      { topic: "b", partition: 0 },
    ],
  };
  const without = membersTable([{ ...member, groupInstanceId: "" }], false);
  assert.ok(!without.includes("GROUP-INSTANCE-ID"));
  const withId = membersTable([{ ...member, groupInstanceId: "static-1" }], false);
  assert.equal(
    withId,
    `\n${"GROUP".padEnd(15)} ${"CONSUMER-ID".padEnd(15)} ${"GROUP-INSTANCE-ID".padEnd(17)} ${"HOST".padEnd(15)} ${"CLIENT-ID".padEnd(15)} ${"#PARTITIONS".padEnd(15)} \n` +
      `${"g".padEnd(15)} ${"m-1".padEnd(15)} ${"static-1".padEnd(17)} ${"/h".padEnd(15)} ${"c".padEnd(15)} ${"3".padEnd(15)} \n`,
  );
  assert.equal(assignmentString(member.assignment), "a:1;b:0,2");
  assert.equal(assignmentString([]), "-");
});

test("--list with --state and --type: the group column is ten wider than the longest id", () => {
  assert.equal(
    listTable([{ groupId: "a-rather-long-group-id", type: "Classic", state: "Empty" }], true, true),
    `${"GROUP".padEnd(32)} ${"TYPE".padEnd(20)} ${"STATE".padEnd(20)}\n${"a-rather-long-group-id".padEnd(32)} ${"Classic".padEnd(20)} ${"Empty".padEnd(20)}\n`,
  );
  assert.equal(listTable([], false, true), `${"GROUP".padEnd(25)} ${"STATE".padEnd(20)}\n`);
});

test("the reset plan has a header only when a group was reset", () => {
  assert.equal(resetTable([], []), "\n");
  assert.equal(
    resetTable(["g"], []),
    `\n${"GROUP".padEnd(15)} ${"TOPIC".padEnd(15)} ${"PARTITION".padEnd(10)} NEW-OFFSET\n`,
  );
});

test("--to-datetime reads ISO-8601 with or without a zone (local time without)", () => {
  assert.equal(parseDateTime("2024-03-01T12:30:00.250Z"), BigInt(Date.UTC(2024, 2, 1, 12, 30, 0, 250)));
  assert.equal(parseDateTime("2024-03-01T12:30:00.000+02:00"), BigInt(Date.UTC(2024, 2, 1, 10, 30)));
  assert.equal(parseDateTime("2024-03-01T12:30:00-0130"), BigInt(Date.UTC(2024, 2, 1, 14, 0)));
  assert.equal(parseDateTime("2024-03-01T12:30:00.000"), BigInt(new Date(2024, 2, 1, 12, 30).getTime()));
  assert.throws(() => parseDateTime("2024-03-01 12:30:00"), UsageError);
  assert.throws(() => parseDateTime("2024-03-01Tnoon"), UsageError);
});

test("--by-duration reads Java's Duration format", () => {
  assert.equal(parseDuration("PT1H"), 3_600_000n);
  assert.equal(parseDuration("P1DT2H3M4.5S"), ((24n + 2n) * 60n + 3n) * 60_000n + 4_500n);
  assert.equal(parseDuration("PT-30S"), -30_000n);
  assert.equal(parseDuration("-PT1M"), -60_000n);
  for (const bad of ["1H", "P", "PT", "P1H", "PT1.5H"])
    assert.throws(() => parseDuration(bad), UsageError, bad);
});

test("--from-file reads the plans --export writes: without the group for one --group, with it otherwise", () => {
  const one = parseResetPlan("orders,0,5\norders,2,7\n\n", ["billing"]);
  assert.deepEqual(
    [...one],
    [
      [
        "billing",
        [
          { topic: "orders", partition: 0, offset: 5n },
          { topic: "orders", partition: 2, offset: 7n },
        ],
      ],
    ],
  );
  const several = parseResetPlan("a,orders,0,1\nb,orders,1,2\n", []);
  assert.deepEqual([...several.keys()], ["a", "b"]);
  assert.deepEqual(several.get("b"), [{ topic: "orders", partition: 1, offset: 2n }]);
  // A plan with the group column read for one --group: the group column is kept.
  assert.deepEqual([...parseResetPlan("a,orders,0,1\n", ["a"]).keys()], ["a"]);
  assert.throws(() => parseResetPlan("orders,zero,5\n", ["g"]), CommandError);
  assert.throws(() => parseResetPlan("orders,0,5\nbroken\n", ["g"]), CommandError);
});
