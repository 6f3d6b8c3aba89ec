import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import { SeededRandom } from "../../src/base/index.js";
import * as generated from "../../src/protocol/generated/index.js";
import { decodeMetadataRequest, ProtocolDecodeError, Reader, Writer } from "../../src/protocol/index.js";
import { codecNames, loadOracleSpecs, messageArb, validVersions } from "./spec-oracle.js";

type Encode = (w: Writer, m: unknown, version: number) => void;
type Decode = (r: Reader, version: number) => unknown;

const codecs = generated as unknown as Record<string, Encode | Decode>;
const specs = loadOracleSpecs();
const seed = Number(process.env.BROOK_FUZZ_SEED ?? 20241001);
/** Mutations tried per valid encoding; raise it for a longer soak. */
const mutationsPerSample = Number(process.env.BROOK_FUZZ_MUTATIONS ?? 12);

/** Decodes and accepts success or a ProtocolDecodeError; anything else fails the test. */
function decodeOnlyTypedErrors(decode: Decode, bytes: Buffer, version: number, what: string): void {
  try {
    decode(new Reader(bytes), version);
  } catch (e) {
    if (e instanceof ProtocolDecodeError) return;
    assert.fail(`${what}: ${(e as Error).name}: ${(e as Error).message} on ${bytes.toString("hex")}`);
  }
}

function mutate(bytes: Buffer, rnd: SeededRandom): Buffer {
  const out = Buffer.from(bytes);
  const at = out.length === 0 ? 0 : rnd.int(0, out.length - 1);
  switch (rnd.int(0, 5)) {
    case 0: // one bit flipped
      if (out.length > 0) out[at] = (out[at] as number) ^ (1 << rnd.int(0, 7));
      return out;
    case 1: // truncated
      return out.subarray(0, rnd.int(0, Math.max(0, out.length - 1)));
    case 2: // an int32 length claiming ~2^31 elements or bytes
      if (out.length >= 4) out.writeInt32BE(0x7fffffff, rnd.int(0, out.length - 4));
      return out;
    case 3: // an int16 string length near its maximum
      if (out.length >= 2) out.writeInt16BE(0x7fff, rnd.int(0, out.length - 2));
      return out;
    case 4: // a compact length (unsigned varint) near 2^32
      return Buffer.concat([
        out.subarray(0, at),
        Buffer.from([0xfe, 0xff, 0xff, 0xff, 0x0f]),
        out.subarray(at),
      ]);
    default: // a byte set to a random value
      if (out.length > 0) out[at] = rnd.int(0, 255);
      return out;
  }
}

test("decoders meet mutated valid encodings and random bytes with ProtocolDecodeError only", () => {
  const rnd = new SeededRandom(seed);
  for (const spec of specs) {
    const { encode, decode } = codecNames(spec);
    for (const version of validVersions(spec)) {
      const what = `${spec.name} v${version} (seed ${seed})`;
      const samples = fc.sample(messageArb(spec, version), { numRuns: 2, seed: rnd.int(0, 0x7fffffff) });
      for (const { input } of samples) {
        const w = new Writer();
        (codecs[encode] as Encode)(w, input, version);
        const valid = w.toBuffer();
        for (let i = 0; i < mutationsPerSample; i++) {
          decodeOnlyTypedErrors(codecs[decode] as Decode, mutate(valid, rnd), version, what);
        }
      }
      const noise = Buffer.alloc(rnd.int(0, 48));
      for (let i = 0; i < noise.length; i++) noise[i] = rnd.int(0, 255);
      decodeOnlyTypedErrors(codecs[decode] as Decode, noise, version, what);
    }
  }
});

test("a 4-byte input claiming 2^31 array elements fails at once, before allocating", () => {
  const heapBefore = process.memoryUsage().heapUsed;
  for (let i = 0; i < 1000; i++) {
    assert.throws(
      () => decodeMetadataRequest(new Reader(Buffer.from([0x7f, 0xff, 0xff, 0xff])), 0),
      (e: unknown) => e instanceof ProtocolDecodeError && e.code === "BRK_ERR_PROTOCOL_LENGTH",
    );
    // The compact form: an unsigned varint of 2^32 - 1 (length + 1).
    assert.throws(
      () => decodeMetadataRequest(new Reader(Buffer.from([0xff, 0xff, 0xff, 0xff, 0x0f])), 12),
      ProtocolDecodeError,
    );
  }
  const grownBytes = process.memoryUsage().heapUsed - heapBefore;
  assert.ok(grownBytes < 64 * 1024 * 1024, `heap grew by ${grownBytes} bytes`);
});

test("every decoder rejects every version outside its valid range with a typed error", () => {
  for (const spec of specs) {
    const { decode } = codecNames(spec);
    const versions = validVersions(spec);
    for (const version of [-1, (versions[versions.length - 1] ?? 0) + 1]) {
      assert.throws(
        () => (codecs[decode] as Decode)(new Reader(Buffer.alloc(8)), version),
        ProtocolDecodeError,
      );
    }
  }
});
