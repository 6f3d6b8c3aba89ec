import assert from "node:assert/strict";
import test from "node:test";
import { consumerOptionsFrom, unusedConsumerProperties } from "../../src/cli/options/consumer-config.js";

const fail = (message: string) => new Error(message);
const options = (entries: Record<string, string>) =>
  consumerOptionsFrom(new Map(Object.entries({ "bootstrap.servers": "localhost:9092", ...entries })), fail);

test("group.protocol and group.remote.assignor choose KIP-848's protocol, as Kafka's consumer properties", () => {
  assert.equal(options({}).groupProtocol, undefined, "classic unless asked");
  assert.equal(options({ "group.protocol": "consumer" }).groupProtocol, "consumer");
  assert.equal(options({ "group.protocol": "CLASSIC" }).groupProtocol, "classic");
  assert.equal(options({ "group.remote.assignor": "range" }).groupRemoteAssignor, "range");
  assert.throws(
    () => options({ "group.protocol": "cooperative" }),
    /Invalid value cooperative for configuration group.protocol: String must be one of: classic, consumer/,
  );
  assert.deepEqual(
    unusedConsumerProperties(
      new Map([
        ["group.protocol", "consumer"],
        ["group.remote.assignor", "uniform"],
      ]),
    ),
    [],
  );
});
