import assert from "node:assert/strict";
import { test } from "node:test";
import {
  ConfigArgumentError,
  ConfigsOptions,
  parseConfigsCommandLine,
} from "../../src/cli/configs/arguments.js";
import { javaDouble, parseConfigsToAdd } from "../../src/cli/configs/commands.js";
import { SPECS_BY_NAME } from "../../src/cli/configs/option-specs.js";
import { readTokens } from "../../src/cli/options/index.js";

/**
 * `brook configs` without a broker: how --add-config is split (Kafka's bracket rule), how quota
 * values print (Java's Double.toString), and how entity types and names line up.
 */

const options = (...argv: string[]) => {
  const order: { name: string; value: string | null }[] = [];
  return new ConfigsOptions(readTokens(argv, SPECS_BY_NAME, order), order);
};

test("--add-config splits at commas and '=' outside square brackets and drops the brackets", () => {
  const added = parseConfigsToAdd(options("--add-config", "a=1, b = x ,c=[p,q=r],d="));
  assert.deepEqual(
    [...added],
    [
      ["a", "1"],
      ["b", "x"],
      ["c", "p,q=r"],
      ["d", ""],
    ],
  );
  assert.throws(() => parseConfigsToAdd(options("--add-config", "a")), ConfigArgumentError);
  assert.throws(() => parseConfigsToAdd(options("--add-config", "a=b=c")), ConfigArgumentError);
  assert.throws(
    () => parseConfigsToAdd(options("--add-config", "a b=1")),
    /Invalid character found for config key: a b/,
  );
});

test("quota values print as Java's Double.toString prints them", () => {
  assert.equal(javaDouble(500), "500.0");
  assert.equal(javaDouble(1048576), "1048576.0");
  assert.equal(javaDouble(9999999), "9999999.0");
  assert.equal(javaDouble(1e7), "1.0E7");
  assert.equal(javaDouble(20_000_000), "2.0E7");
  assert.equal(javaDouble(123456789), "1.23456789E8");
  assert.equal(javaDouble(50.5), "50.5");
  assert.equal(javaDouble(0.001), "0.001");
  assert.equal(javaDouble(0.0005), "5.0E-4");
});

test("entity types and names line up as Kafka's: generic options in command-line order, then flags", () => {
  const both = options(
    "--entity-type",
    "users",
    "--entity-default",
    "--entity-type",
    "clients",
    "--entity-name",
    "c1",
  );
  assert.deepEqual(both.entityTypes, ["users", "clients"]);
  assert.deepEqual(both.entityNames, ["", "c1"]);
  const flags = options("--client", "c1", "--user-defaults");
  assert.deepEqual(flags.entityTypes, ["clients", "users"]);
  assert.deepEqual(flags.entityNames, ["c1", ""]);
  const alter = (...rest: string[]) =>
    parseConfigsCommandLine([
      "--bootstrap-server",
      "h:1",
      "--alter",
      "--add-config",
      "producer_byte_rate=1",
      ...rest,
    ]);
  assert.equal(
    alter("--entity-type", "users", "--entity-name", "u", "--entity-type", "clients", "--entity-default")
      .kind,
    "run",
  );
  assert.throws(
    () => alter("--entity-type", "users", "--entity-type", "clients", "--entity-name", "u"),
    /An entity name must be specified for every entity type/,
  );
});
