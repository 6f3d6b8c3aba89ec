import assert from "node:assert/strict";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { filterAcls } from "../../src/cli/acls/acl-selection.js";
import { runAclsCommand } from "../../src/cli/acls/acls-command.js";
import { parseAclsCommandLine } from "../../src/cli/acls/arguments.js";
import { HELP_MESSAGE, OPTION_SPECS } from "../../src/cli/acls/option-specs.js";
import { helpText, type ParsedOptions, UsageError } from "../../src/cli/options/index.js";
import { startBroker } from "../../src/server/index.js";
import { type AclBroker, startAclBroker, USERS } from "../broker/acls/acl-broker.js";
import { cliFixture } from "./cli-fixtures.js";

/**
 * `brook acls`: kafka-acls.sh's help byte for byte, its command-line rules and messages, the ACLs
 * --producer/--consumer/--operation select, and add/list/remove against a broker with an
 * authorizer (and one without), with Kafka's output.
 */

const B = ["--bootstrap-server", "localhost:9092"];

function parse(argv: string[]): ParsedOptions {
  const parsed = parseAclsCommandLine(argv);
  assert.equal(parsed.kind, "run");
  return (parsed as { options: ParsedOptions }).options;
}

/** Runs the tool; `answers` are the lines standard input gives --remove's questions. */
async function run(argv: string[], answers: string[] = []) {
  let out = "";
  let err = "";
  const code = await runAclsCommand(
    argv,
    {
      out: (t) => {
        out += t;
      },
      err: (t) => {
        err += t;
      },
      readLine: async () => answers.shift() ?? null,
    },
    () => "9.9.9",
  );
  return { code, out, err };
}

test("the help is jopt-simple's layout of Kafka's AclCommand options", async () => {
  assert.equal(helpText(HELP_MESSAGE, OPTION_SPECS), `${HELP_MESSAGE}\n${cliFixture("acls-help.txt")}`);
  const help = await run(["--help"]);
  assert.deepEqual(help, { code: 0, out: `${HELP_MESSAGE}\n${cliFixture("acls-help.txt")}`, err: "" });
  const none = await run([]);
  assert.equal(none.code, 1);
  assert.equal(none.err, `${HELP_MESSAGE}\n${cliFixture("acls-help.txt")}`);
  assert.deepEqual(await run(["--version"]), { code: 0, out: "9.9.9\n", err: "" });
});

test("the command line is checked in Kafka's order, with its messages and the help", async () => {
  const refused: [string[], string][] = [
    [["--list"], "One of --bootstrap-server or --bootstrap-controller must be specified"],
    [
      [...B, "--bootstrap-controller", "c:9093", "--list"],
      "Only one of --bootstrap-server or --bootstrap-controller must be specified",
    ],
    [[...B, "--topic", "t"], "Command must include exactly one action: --list, --add, --remove. "],
    [[...B, "--add", "--list"], "Command must include exactly one action: --list, --add, --remove. "],
    [
      [...B, "--list", "--allow-principal", "User:a"],
      'Option "[list]" can\'t be used with option "[allow-principal]"',
    ],
    [
      [...B, "--add", "--producer", "--topic", "t", "--operation", "Read"],
      'Option "[producer]" can\'t be used with option "[operation]"',
    ],
    [
      [...B, "--add", "--consumer", "--deny-principal", "User:a"],
      'Option "[consumer]" can\'t be used with option "[deny-principal]"',
    ],
    [[...B, "--add", "--principal", "User:a"], "The --principal option is only available if --list is set"],
    [[...B, "--add", "--producer", "--group", "g"], "With --producer you must specify a --topic"],
    [
      [...B, "--add", "--topic", "t", "--idempotent"],
      "The --idempotent option is only available if --producer is set",
    ],
    [
      [...B, "--add", "--consumer", "--topic", "t"],
      "With --consumer you must specify a --topic and a --group and no --cluster or --transactional-id option should be specified.",
    ],
    [
      [...B, "--add", "--consumer", "--topic", "t", "--group", "g", "--cluster"],
      "With --consumer you must specify a --topic and a --group and no --cluster or --transactional-id option should be specified.",
    ],
  ];
  for (const [argv, message] of refused) {
    const result = await run(argv);
    assert.equal(result.code, 1, argv.join(" "));
    assert.equal(result.out, "");
    assert.equal(result.err, `${message}\n${cliFixture("acls-help.txt")}`, argv.join(" "));
  }
  // jopt-simple's exceptions escape AclCommand's main: the JVM's line for them, no help.
  assert.deepEqual(await run([...B, "--list", "--nothing"]), {
    code: 1,
    out: "",
    err: 'Exception in thread "main" joptsimple.UnrecognizedOptionException: nothing is not a recognized option\n',
  });
  assert.deepEqual(await run([...B, "--list", "--topic"]), {
    code: 1,
    out: "",
    err: 'Exception in thread "main" joptsimple.OptionMissingRequiredArgumentException: Option topic requires an argument\n',
  });
});

test("--producer, --consumer and --operation select Kafka's ACLs on each resource", () => {
  const show = (argv: string[]) =>
    filterAcls(parse(argv)).map(({ filter, entries }) => [
      `${filter.resourceType}/${filter.patternType}/${filter.name}`,
      entries.map((e) => `${e.principal}@${e.host} ${e.operation}${e.permissionType === 3 ? "+" : "-"}`),
    ]);
  // TOPIC=2, GROUP=3, CLUSTER=4, TRANSACTIONAL_ID=5; READ=3 WRITE=4 CREATE=5 DESCRIBE=8 IDEMPOTENT_WRITE=12.
  assert.deepEqual(
    show([
      ...B,
      "--add",
      "--producer",
      "--idempotent",
      "--topic",
      "t",
      "--transactional-id",
      "tx",
      "--allow-principal",
      "User:a",
    ]),
    [
      ["2/3/t", ["User:a@* 4+", "User:a@* 8+", "User:a@* 5+"]],
      ["5/3/tx", ["User:a@* 4+", "User:a@* 8+"]],
      ["4/3/kafka-cluster", ["User:a@* 12+"]],
    ],
  );
  assert.deepEqual(
    show([
      ...B,
      "--add",
      "--producer",
      "--consumer",
      "--topic",
      "t",
      "--group",
      "g",
      "--allow-principal",
      "User:a",
      "--allow-host",
      "h",
    ]),
    [
      ["2/3/t", ["User:a@h 4+", "User:a@h 8+", "User:a@h 5+", "User:a@h 3+"]],
      ["3/3/g", ["User:a@h 3+"]],
    ],
  );
  assert.deepEqual(
    show([
      ...B,
      "--add",
      "--topic",
      "t",
      "--resource-pattern-type",
      "prefixed",
      "--operation",
      "read",
      "--operation",
      "Write",
      "--deny-principal",
      "User:b",
    ]),
    [["2/4/t", ["User:b@* 3-", "User:b@* 4-"]]],
  );
  // No --operation: All.
  assert.deepEqual(show([...B, "--add", "--cluster", "--allow-principal", "User:a"]), [
    ["4/3/kafka-cluster", ["User:a@* 2+"]],
  ]);
  assert.throws(
    () =>
      filterAcls(
        parse([...B, "--add", "--group", "g", "--operation", "Write", "--allow-principal", "User:a"]),
      ),
    (e: unknown) =>
      e instanceof UsageError &&
      e.message ===
        "ResourceType GROUP only supports operations All, Read, Delete, Describe, DescribeConfigs, AlterConfigs",
  );
  assert.throws(
    () => filterAcls(parse([...B, "--add", "--allow-principal", "User:a"])),
    (e: unknown) =>
      e instanceof UsageError &&
      e.message ===
        "You must provide at least one resource: --topic <topic> or --cluster or --group <group> or --delegation-token <Delegation Token ID>",
  );
});

describe("against a broker with an authorizer", () => {
  let broker: AclBroker;
  let command: string[];
  before(async () => {
    broker = await startAclBroker();
    const dir = mkdtempSync(join(tmpdir(), "brook-acls-"));
    const config = join(dir, "admin.properties");
    writeFileSync(
      config,
      [
        "security.protocol=SASL_PLAINTEXT",
        "sasl.mechanism=PLAIN",
        `sasl.jaas.config=org.apache.kafka.common.security.plain.PlainLoginModule required username="admin" password="${USERS.admin}";`,
      ].join("\n"),
    );
    command = ["--bootstrap-server", `127.0.0.1:${broker.saslPort}`, "--command-config", config];
  });
  after(() => broker.stop());

  const topicT = "ResourcePattern(resourceType=TOPIC, name=t, patternType=LITERAL)";
  const groupG = "ResourcePattern(resourceType=GROUP, name=g, patternType=LITERAL)";
  const entry = (principal: string, operation: string) =>
    `(principal=${principal}, host=*, operation=${operation}, permissionType=ALLOW)`;

  test("--add prints each resource's ACLs, --list shows them, --remove asks and deletes", async () => {
    const added = await run([
      ...command,
      "--add",
      "--allow-principal",
      "User:alice",
      "--operation",
      "Write",
      "--operation",
      "Describe",
      "--topic",
      "t",
    ]);
    assert.deepEqual(added, {
      code: 0,
      out: `Adding ACLs for resource \`${topicT}\`: \n \t${entry("User:alice", "WRITE")}\n\t${entry("User:alice", "DESCRIBE")} \n\n`,
      err: "",
    });
    const consumer = await run([
      ...command,
      "--add",
      "--consumer",
      "--topic",
      "t",
      "--group",
      "g",
      "--allow-principal",
      "User:bob",
    ]);
    assert.equal(
      consumer.out,
      `Adding ACLs for resource \`${topicT}\`: \n \t${entry("User:bob", "READ")}\n\t${entry("User:bob", "DESCRIBE")} \n\n` +
        `Adding ACLs for resource \`${groupG}\`: \n \t${entry("User:bob", "READ")} \n\n`,
    );
    const listed = await run([...command, "--list"]);
    assert.deepEqual(listed, {
      code: 0,
      out:
        `Current ACLs for resource \`${topicT}\`: \n \t${entry("User:alice", "WRITE")}\n\t${entry("User:alice", "DESCRIBE")}\n` +
        `\t${entry("User:bob", "READ")}\n\t${entry("User:bob", "DESCRIBE")} \n\n` +
        `Current ACLs for resource \`${groupG}\`: \n \t${entry("User:bob", "READ")} \n\n`,
      err: "",
    });
    const bobs = await run([...command, "--list", "--principal", "User:bob", "--group", "g"]);
    assert.equal(
      bobs.out,
      `ACLs for principal \`User:bob\`\nCurrent ACLs for resource \`${groupG}\`: \n \t${entry("User:bob", "READ")} \n\n`,
    );

    const removeAlicesWrite = [
      ...command,
      "--remove",
      "--allow-principal",
      "User:alice",
      "--operation",
      "Write",
      "--topic",
      "t",
    ];
    const question = `Are you sure you want to remove ACLs: \n \t${entry("User:alice", "WRITE")} \n from resource filter \`${topicT}\`? (y/n)\n`;
    assert.deepEqual(await run(removeAlicesWrite, ["n"]), { code: 0, out: question, err: "" });
    assert.match(
      (await run([...command, "--list", "--topic", "t"])).out,
      /User:alice, host=\*, operation=WRITE/,
    );
    assert.deepEqual(await run(removeAlicesWrite, ["Y"]), { code: 0, out: question, err: "" });
    assert.doesNotMatch((await run([...command, "--list", "--topic", "t"])).out, /operation=WRITE/);
    // No entries: every ACL of the resource, after its own question.
    assert.deepEqual(await run([...command, "--remove", "--group", "g"], ["y"]), {
      code: 0,
      out: `Are you sure you want to delete all ACLs for resource filter \`${groupG}\`? (y/n)\n`,
      err: "",
    });
    assert.deepEqual(await run([...command, "--remove", "--topic", "t", "--force"]), {
      code: 0,
      out: "",
      err: "",
    });
    assert.deepEqual(await run([...command, "--list"]), { code: 0, out: "", err: "" });
  });

  test("failures: Kafka's exception and the first line of its trace on stdout, exit code 1", async () => {
    const addAny = await run([
      ...command,
      "--add",
      "--resource-pattern-type",
      "any",
      "--topic",
      "t",
      "--allow-principal",
      "User:a",
    ]);
    assert.equal(addAny.code, 1);
    assert.equal(
      addAny.err,
      `A '--resource-pattern-type' value of 'ANY' is not valid when adding acls.\n${cliFixture("acls-help.txt")}`,
    );
    assert.equal(
      (await run([...command, "--add", "--topic", "t"])).err,
      `You must specify one of: --allow-principal, --deny-principal when trying to add ACLs.\n${cliFixture("acls-help.txt")}`,
    );
    assert.deepEqual(await run([...command, "--list", "--resource-pattern-type", "unknown"]), {
      code: 1,
      out:
        "Error while executing ACL command: Cannot parse argument 'unknown' of option resource-pattern-type\n" +
        "joptsimple.OptionArgumentConversionException: Cannot parse argument 'unknown' of option resource-pattern-type\n",
      err: "",
    });
    assert.deepEqual(await run([...command, "--add", "--topic", "t", "--allow-principal", "alice"]), {
      code: 1,
      out:
        "Error while executing ACL command: expected a string in format principalType:principalName but got alice\n" +
        "java.lang.IllegalArgumentException: expected a string in format principalType:principalName but got alice\n",
      err: "",
    });
    assert.deepEqual(await run([...command, "--remove", "--topic", "t"]), {
      code: 1,
      out:
        `Are you sure you want to delete all ACLs for resource filter \`${topicT}\`? (y/n)\n` +
        'Error while executing ACL command: Cannot invoke "String.equalsIgnoreCase(String)" because the return value of "scala.io.StdIn$.readLine()" is null\n' +
        'java.lang.NullPointerException: Cannot invoke "String.equalsIgnoreCase(String)" because the return value of "scala.io.StdIn$.readLine()" is null\n',
      err: "",
    });
    // bob is no super user and has no ALTER on the cluster.
    const dir = mkdtempSync(join(tmpdir(), "brook-acls-"));
    const bobConfig = join(dir, "bob.properties");
    writeFileSync(
      bobConfig,
      `security.protocol=SASL_PLAINTEXT\nsasl.mechanism=PLAIN\nsasl.jaas.config=org.apache.kafka.common.security.plain.PlainLoginModule required username="bob" password="${USERS.bob}";\n`,
    );
    const denied = await run([
      "--bootstrap-server",
      `127.0.0.1:${broker.saslPort}`,
      "--command-config",
      bobConfig,
      "--add",
      "--cluster",
      "--allow-principal",
      "User:bob",
    ]);
    assert.equal(denied.code, 1);
    assert.match(
      denied.out,
      /^Adding ACLs for resource `ResourcePattern\(resourceType=CLUSTER, name=kafka-cluster, patternType=LITERAL\)`: \n \t\(principal=User:bob, host=\*, operation=ALL, permissionType=ALLOW\) \n\n/,
    );
    assert.match(
      denied.out,
      /\nError while executing ACL command: org\.apache\.kafka\.common\.errors\.ClusterAuthorizationException: Request Request\(processor=0, connectionId=.*session=Session\(User:bob,\/127\.0\.0\.1\).* is not authorized\.\njava\.util\.concurrent\.ExecutionException: org\.apache\.kafka\.common\.errors\.ClusterAuthorizationException: Request /,
    );
  });
});

test("a broker without an authorizer: Kafka's SecurityDisabledException, exit code 1", async () => {
  const server = await startBroker();
  try {
    const result = await run(["--bootstrap-server", server.bootstrap, "--list"]);
    assert.deepEqual(result, {
      code: 1,
      out:
        "Error while executing ACL command: org.apache.kafka.common.errors.SecurityDisabledException: No Authorizer is configured on the broker\n" +
        "java.util.concurrent.ExecutionException: org.apache.kafka.common.errors.SecurityDisabledException: No Authorizer is configured on the broker\n",
      err: "",
    });
  } finally {
    await server.stop();
  }
});
