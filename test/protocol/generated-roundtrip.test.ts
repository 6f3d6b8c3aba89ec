import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import * as generated from "../../src/protocol/generated/index.js";
import { Reader, Writer } from "../../src/protocol/index.js";
import { codecNames, loadOracleSpecs, messageArb, validVersions } from "./spec-oracle.js";

type Encode = (w: Writer, m: unknown, version: number) => void;
type Decode = (r: Reader, version: number) => unknown;

const codecs = generated as unknown as Record<string, Encode | Decode | undefined>;
const specs = loadOracleSpecs();
const runsPerVersion = Number(process.env.BROOK_CODEC_RUNS ?? 8);

function encodeToBuffer(encode: Encode, m: unknown, version: number): Buffer {
  const w = new Writer(64);
  encode(w, m, version);
  return w.toBuffer();
}

test("every spec file has generated codecs", () => {
  assert.ok(specs.length >= 240, `only ${specs.length} spec files found`);
  const missing = specs
    .map((s) => codecNames(s))
    .filter((n) => typeof codecs[n.encode] !== "function" || typeof codecs[n.decode] !== "function");
  assert.deepEqual(missing, []);
});

for (const folder of ["message", "group-coordinator", "transaction-coordinator", "metadata", "raft"]) {
  test(`values round-trip at every valid version: ${folder}/`, () => {
    for (const spec of specs.filter((s) => s.path.startsWith(`${folder}/`))) {
      const names = codecNames(spec);
      const encode = codecs[names.encode] as Encode;
      const decode = codecs[names.decode] as Decode;
      for (const version of validVersions(spec)) {
        fc.assert(
          fc.property(messageArb(spec, version), ({ input, expected }) => {
            const bytes = encodeToBuffer(encode, input, version);
            const r = new Reader(bytes);
            const decoded = decode(r, version);
            assert.equal(r.remaining, 0, `${spec.name} v${version} left bytes unread`);
            assert.deepStrictEqual(decoded, expected, `${spec.name} v${version}`);
            assert.ok(
              encodeToBuffer(encode, decoded, version).equals(bytes),
              `${spec.name} v${version} re-encodes`,
            );
          }),
          { numRuns: runsPerVersion },
        );
      }
    }
  });
}
