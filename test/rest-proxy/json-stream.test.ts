import assert from "node:assert/strict";
import { test } from "node:test";
import { JsonValueSplitter } from "../../src/rest-proxy/json-stream.js";

/** The v3 produce stream's cutting of concatenated JSON objects, whatever the chunking. */

test("objects, one per line or back to back, come out whole whatever the chunk edges", () => {
  const text = '{"a":1}\n{"b":"}{\\"x"}[{"c":[1,2]}]  {"d":{"e":{}}}';
  const expected = ['{"a":1}', '{"b":"}{\\"x"}', '[{"c":[1,2]}]', '{"d":{"e":{}}}'];
  for (let size = 1; size <= text.length; size++) {
    const splitter = new JsonValueSplitter(1000);
    const out: string[] = [];
    for (let i = 0; i < text.length; i += size)
      out.push(...splitter.push(Buffer.from(text.slice(i, i + size))));
    splitter.end();
    assert.deepEqual(out, expected, `chunks of ${size}`);
    assert.equal(splitter.failure, null);
  }
});

test("a top-level scalar, an unfinished object and an oversized one end the stream", () => {
  const scalar = new JsonValueSplitter(1000);
  assert.deepEqual(scalar.push(Buffer.from('{"a":1} 42 {"b":2}')), ['{"a":1}']);
  assert.match(scalar.failure ?? "", /Unexpected character \('4'/);
  const unfinished = new JsonValueSplitter(1000);
  unfinished.push(Buffer.from('{"a":'));
  unfinished.end();
  assert.match(unfinished.failure ?? "", /Unexpected end-of-input/);
  const big = new JsonValueSplitter(10);
  big.push(Buffer.from('{"a":"0123'));
  big.push(Buffer.from('456789"'));
  assert.match(big.failure ?? "", /larger than allowed/);
});
