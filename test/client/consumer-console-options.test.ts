import assert from "node:assert/strict";
import { test } from "node:test";
import {
  parseConsoleConsumerArgs,
  runConsoleConsumerCommand,
} from "../../src/cli/console-consumer/console-consumer-command.js";

async function run(...args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = "";
  let err = "";
  const code = await runConsoleConsumerCommand(
    args,
    {
      out: (t) => {
        out += t;
      },
      err: (t) => {
        err += t;
      },
    },
    () => "9.9.9",
  );
  return { code, out, err };
}

const B = ["--bootstrap-server", "127.0.0.1:1"];

test("usage errors: Kafka's message, then the help, on stderr, exit 1", async () => {
  const cases: [string[], string][] = [
    [[...B], "Exactly one of --include/--topic is required. "],
    [[...B, "--topic", "t", "--include", "x"], "Exactly one of --include/--topic is required. "],
    [["--topic", "t"], 'Missing required argument "[bootstrap-server]"'],
    [[...B, "--include", "t.*", "--partition", "0"], "The topic is required when partition is specified."],
    [
      [...B, "--topic", "t", "--partition", "0", "--offset", "1", "--from-beginning"],
      "Options from-beginning and offset cannot be specified together.",
    ],
    [[...B, "--topic", "t", "--offset", "1"], "The partition is required when offset is specified."],
    [
      [...B, "--topic", "t", "--partition", "0", "--group", "g"],
      "Options group and partition cannot be specified together.",
    ],
    [
      [...B, "--topic", "t", "--group", "a", "--consumer-property", "group.id=b"],
      "The group ids provided in different places (directly using '--group', via '--consumer-property', or via '--consumer.config') do not match. Detected group ids: 'a', 'b'",
    ],
    [
      [...B, "--topic", "t", "--partition", "0", "--offset", "-3"],
      "The provided offset value '-3' is incorrect. Valid values are 'earliest', 'latest', or a non-negative long.",
    ],
    [[...B, "--topic", "t", "--max-messages", "ten"], "Cannot parse argument 'ten' of option max-messages"],
    [[...B, "--topic", "t", "--wat"], "wat is not a recognized option"],
    [[...B, "--topic"], "Option topic requires an argument"],
  ];
  for (const [args, message] of cases) {
    const r = await run(...args);
    assert.equal(r.code, 1, args.join(" "));
    assert.equal(r.out, "");
    assert.ok(r.err.startsWith(`${message}\nOption `), `${args.join(" ")}:\n${r.err}`);
    assert.match(r.err, /--bootstrap-server <String: server to/);
  }
});

test("--help and no arguments print the help on stderr with exit 1, as Kafka's tool; --version", async () => {
  for (const args of [["--help"], []]) {
    const r = await run(...args);
    assert.equal(r.code, 1);
    assert.ok(
      r.err.startsWith("This tool helps to read data from Kafka topics and outputs it to standard output.\n"),
    );
  }
  assert.deepEqual(await run("--version"), { code: 0, out: "9.9.9\n", err: "" });
});

test("--from-beginning against auto.offset.reset=latest: the message alone", async () => {
  const r = await run(
    ...B,
    "--topic",
    "t",
    "--from-beginning",
    "--consumer-property",
    "auto.offset.reset=latest",
  );
  assert.equal(r.code, 1);
  assert.equal(
    r.err,
    "Can't simultaneously specify --from-beginning and 'auto.offset.reset=latest', please remove one option\n",
  );
});

test("settings: a generated group without auto-commit, a given group with it, offsets, properties", () => {
  const parse = (...args: string[]) => {
    const p = parseConsoleConsumerArgs([...B, ...args]);
    assert.equal(p.kind, "run");
    return (p as Extract<typeof p, { kind: "run" }>).settings;
  };
  const generated = parse("--topic", "t");
  assert.match(generated.consumer.groupId ?? "", /^console-consumer-\d+$/);
  assert.equal(generated.consumer.enableAutoCommit, false);
  assert.equal(generated.consumer.autoOffsetReset, "latest");
  assert.equal(generated.consumer.clientId, "console-consumer");
  assert.equal(generated.timeoutMs, null);
  assert.equal(generated.maxMessages, -1);
  const named = parse(
    "--topic",
    "t",
    "--group",
    "g",
    "--from-beginning",
    "--timeout-ms",
    "500",
    "--max-messages",
    "4",
  );
  assert.equal(named.consumer.groupId, "g");
  assert.equal(named.consumer.enableAutoCommit, undefined);
  assert.equal(named.consumer.autoOffsetReset, "earliest");
  assert.equal(named.timeoutMs, 500);
  assert.equal(named.maxMessages, 4);
  assert.equal(parse("--topic", "t", "--partition", "2", "--offset", "7").offset, 7n);
  assert.equal(parse("--topic", "t", "--partition", "2", "--offset", "EARLIEST").offset, "earliest");
  assert.equal(parse("--topic", "t", "--partition", "2").offset, "latest");
  assert.equal(
    parse("--topic", "t", "--isolation-level", "read_committed").consumer.isolationLevel,
    "read_committed",
  );
  const props = parse(
    "--topic",
    "t",
    "--property",
    "print.key=true",
    "--property",
    "key.separator=",
  ).formatter;
  assert.deepEqual(
    [...props],
    [
      ["print.key", "true"],
      ["key.separator", ""],
    ],
  );
  assert.deepEqual(parse("--include", "a|b").include?.source, "a|b");
});
