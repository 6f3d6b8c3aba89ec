import assert from "node:assert/strict";
import { test } from "node:test";
import { producerSettings } from "../../src/cli/console-producer/console-producer-command.js";
import {
  LineReaderError,
  lineReaderSettings,
  parseLine,
} from "../../src/cli/console-producer/line-reader.js";
import { ParsedOptions, readTokens } from "../../src/cli/options/index.js";

const settings = (props: Record<string, string>) => lineReaderSettings(new Map(Object.entries(props)));

test("a line is the value; with parse.key the key comes before the separator (Kafka's LineMessageReader)", () => {
  assert.deepEqual(parseLine("hello world", 1, settings({})), {
    key: null,
    value: "hello world",
    headers: [],
  });
  const keyed = settings({ "parse.key": "true", "key.separator": ":" });
  assert.deepEqual(parseLine("k1:v:1", 1, keyed), { key: "k1", value: "v:1", headers: [] });
  assert.throws(
    () => parseLine("novalue", 7, keyed),
    (e: unknown) =>
      e instanceof LineReaderError && e.message === "No key separator found on line number 7: 'novalue'",
  );
  const lenient = settings({ "parse.key": "true", "key.separator": ":", "ignore.error": "true" });
  assert.deepEqual(parseLine("novalue", 1, lenient), { key: null, value: "novalue", headers: [] });
});

test("headers before the key, with the null marker for null keys, values and header values", () => {
  const s = settings({
    "parse.headers": "true",
    "parse.key": "true",
    "key.separator": "|",
    "headers.delimiter": "#",
    "null.marker": "NULL",
  });
  assert.deepEqual(parseLine("h1:v1,h2:NULL#NULL|value", 1, s), {
    key: null,
    value: "value",
    headers: [
      { key: "h1", value: "v1" },
      { key: "h2", value: null },
    ],
  });
  assert.deepEqual(parseLine("NULL#k|NULL", 1, s), { key: "k", value: null, headers: [] });
  assert.throws(
    () => parseLine("h1#k|v", 3, s),
    /No header key separator found in pair 'h1' on line number 3/,
  );
  assert.throws(
    () => parseLine("NULL:x#k|v", 1, s),
    /Header keys should not be equal to the null marker 'NULL'/,
  );
});

test("separators that would be ambiguous are refused, as Kafka refuses them", () => {
  assert.throws(
    () => settings({ "headers.delimiter": "," }),
    /headers.delimiter and headers.separator may not be equal/,
  );
  assert.throws(() => settings({ "null.marker": "\t" }), /null.marker and key.separator may not be equal/);
});

function options(...argv: string[]): ParsedOptions {
  const specs = new Map(
    [
      "bootstrap-server",
      "topic",
      "producer-property",
      "request-required-acks",
      "timeout",
      "compression-codec",
      "batch-size",
      "request-timeout-ms",
    ].map(
      (name) =>
        [
          name,
          {
            name,
            description: "",
            arg: { type: "String", describedAs: "", optional: name === "compression-codec" },
          },
        ] as const,
    ),
  );
  return new ParsedOptions(readTokens(argv, specs));
}

test("producer settings: the tool's defaults, --producer-property below explicit options, Kafka's acks check", () => {
  const defaults = producerSettings(options("--bootstrap-server", "h:1", "--topic", "t")).options;
  assert.deepEqual(
    { ...defaults },
    {
      bootstrap: "h:1",
      clientId: "console-producer",
      acks: -1,
      compression: "none",
      lingerMs: 1000,
      requestTimeoutMs: 1500,
      retries: 3,
      retryBackoffMs: 100,
      // --max-memory-bytes, Kafka's console producer's buffer.memory.
      bufferMemory: 33554432,
      batchSize: 16384,
      metadataMaxAgeMs: 300000,
      maxBlockMs: 60000,
    },
  );
  const props = producerSettings(
    options(
      "--bootstrap-server",
      "h:1",
      "--producer-property",
      "linger.ms=7",
      "--producer-property",
      "acks=1",
      "--producer-property",
      "client.id=mine",
      "--request-required-acks",
      "0",
      "--compression-codec",
    ),
  );
  assert.equal(props.options.lingerMs, 7); // the property stands: --timeout was not given
  assert.equal(props.options.acks, 0); // the explicit option wins over the property
  assert.equal(props.options.clientId, "mine");
  assert.equal(props.options.compression, "gzip"); // --compression-codec without a value
  assert.deepEqual(props.warnings, []);
  assert.throws(
    () => producerSettings(options("--bootstrap-server", "h:1", "--request-required-acks", "2")),
    /Invalid value 2 for configuration acks: String must be one of: all, -1, 0, 1/,
  );
  const unknown = producerSettings(options("--bootstrap-server", "h:1", "--producer-property", "foo.bar=1"));
  assert.deepEqual(unknown.warnings, [
    "WARN The configuration 'foo.bar' was supplied but isn't used by Brook's producer.",
  ]);
});
