import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import {
  ApiKey,
  type DescribeGroupsResponse,
  ErrorCode,
  type ListGroupsResponse,
} from "../../../src/protocol/index.js";
import {
  commit,
  coordinatorReady,
  createTopic,
  type GroupTestBroker,
  stableGroup,
  startGroupBroker,
  subscription,
} from "./group-wire.js";

/** Kafka's AclOperation bits of a group: READ, DELETE, DESCRIBE. */
const GROUP_OPERATIONS = (1 << 3) | (1 << 6) | (1 << 8) | (1 << 10) | (1 << 11);
const OPERATIONS_OMITTED = -2147483648;

let b: GroupTestBroker;
before(async () => {
  b = await startGroupBroker();
  await createTopic(b.client, "orders", 2);
  for (const id of ["stable-group", "offsets-only"]) await coordinatorReady(b, id);
  await stableGroup(b.client, "stable-group", Buffer.from("the-assignment"));
  await commit(b.client, 8, "offsets-only", { orders: { 0: 1n } });
});
after(async () => {
  await b.stop();
});

async function listGroups(version: number, statesFilter: string[] = [], typesFilter: string[] = []) {
  const response = await b.client.request<ListGroupsResponse>(ApiKey.ListGroups, version, {
    statesFilter,
    typesFilter,
  });
  assert.equal(response.errorCode, ErrorCode.NONE);
  return response.groups.map((g) => [g.groupId, g.protocolType, g.groupState, g.groupType]).sort();
}

test("DescribeGroups of an unknown group: no error, state Dead, protocol type empty", async () => {
  for (const version of [0, 5]) {
    const response = await b.client.request<DescribeGroupsResponse>(ApiKey.DescribeGroups, version, {
      groups: ["no-such-group"],
      includeAuthorizedOperations: false,
    });
    assert.deepEqual(
      response.groups.map((g) => [
        g.groupId,
        g.errorCode,
        g.groupState,
        g.protocolType,
        g.protocolData,
        g.members,
      ]),
      [["no-such-group", ErrorCode.NONE, "Dead", "", "", []]],
    );
  }
});

test("DescribeGroups of a Stable group shows the protocol and each member's client, host and assignment", async () => {
  const response = await b.client.request<DescribeGroupsResponse>(ApiKey.DescribeGroups, 4, {
    groups: ["stable-group", "offsets-only"],
    includeAuthorizedOperations: true,
  });
  const [stable, offsetsOnly] = response.groups;
  assert.equal(stable?.groupState, "Stable");
  assert.equal(stable?.protocolType, "consumer");
  assert.equal(stable?.protocolData, "range");
  assert.equal(stable?.authorizedOperations, GROUP_OPERATIONS);
  assert.equal(stable?.members.length, 1);
  const member = stable?.members[0];
  assert.equal(member?.clientId, "wire-test");
  assert.equal(member?.clientHost, "/127.0.0.1");
  assert.equal(member?.groupInstanceId, null);
  assert.deepEqual(member?.memberMetadata, subscription(["orders"]));
  assert.deepEqual(member?.memberAssignment, Buffer.from("the-assignment"));
  assert.deepEqual(
    [offsetsOnly?.groupState, offsetsOnly?.protocolType, offsetsOnly?.members.length],
    ["Empty", "", 0],
  );
});

test("DescribeGroups without includeAuthorizedOperations leaves them out", async () => {
  const response = await b.client.request<DescribeGroupsResponse>(ApiKey.DescribeGroups, 3, {
    groups: ["stable-group"],
    includeAuthorizedOperations: false,
  });
  assert.equal(response.groups[0]?.authorizedOperations, OPERATIONS_OMITTED);
});

test("ListGroups lists every group, offsets-only groups with an empty protocol type", async () => {
  for (const version of [0, 3]) {
    const groups = (await listGroups(version)).map(([id, type]) => [id, type]);
    assert.deepEqual(groups, [
      ["offsets-only", ""],
      ["stable-group", "consumer"],
    ]);
  }
});

test("ListGroups v4+ filters by state (case-insensitively), v5+ by type", async () => {
  assert.deepEqual(await listGroups(4, ["Stable"]), [["stable-group", "consumer", "Stable", ""]]);
  assert.deepEqual(await listGroups(4, ["empty"]), [["offsets-only", "", "Empty", ""]]);
  assert.deepEqual(await listGroups(4, ["PreparingRebalance"]), []);
  assert.deepEqual(await listGroups(5, [], ["classic"]), [
    ["offsets-only", "", "Empty", "classic"],
    ["stable-group", "consumer", "Stable", "classic"],
  ]);
  assert.deepEqual(await listGroups(5, [], ["consumer"]), []);
});
