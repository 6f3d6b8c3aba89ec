import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";
import { gzipSync } from "node:zlib";
import fc from "fast-check";
import {
  CompressionError,
  CompressionType,
  compress,
  compressionName,
  decompress,
  ErrorCode,
  XERIAL_BLOCK_BYTES,
} from "../../../src/protocol/index.js";
import { xxhash32 } from "../../../src/protocol/records/xxhash32.js";
import { fixturePath, fixturePlaintext } from "./fixture-data.js";

const fixture = (name: string): Buffer => readFileSync(fixturePath(name));

const CODECS = [
  { name: "gzip", id: CompressionType.gzip, options: {} },
  { name: "snappy xerial", id: CompressionType.snappy, options: { snappyFraming: "xerial" as const } },
  { name: "snappy raw", id: CompressionType.snappy, options: { snappyFraming: "raw" as const } },
  { name: "lz4", id: CompressionType.lz4, options: {} },
  { name: "zstd", id: CompressionType.zstd, options: {} },
];

const RUNS = Number(process.env.BROOK_PROPERTY_RUNS ?? 40);
const XERIAL_MAGIC = Buffer.from([0x82, 0x53, 0x4e, 0x41, 0x50, 0x50, 0x59, 0x00]);

/** Random bytes, or text-like bytes that compress well, up to ~200 KB. */
const payloadArbitrary = fc.oneof(
  fc.uint8Array({ maxLength: 70_000 }).map((b) => Buffer.from(b)),
  fc
    .tuple(fc.string({ minLength: 1, maxLength: 40 }), fc.integer({ min: 0, max: 5000 }))
    .map(([s, n]) => Buffer.from(s.repeat(n))),
);

/** Runs `fn` and fails unless it returns or throws a CompressionError. */
function onlyCompressionErrors(fn: () => unknown): void {
  try {
    fn();
  } catch (error) {
    if (!(error instanceof CompressionError)) throw error;
  }
}

for (const codec of CODECS) {
  test(`${codec.name} round-trips`, () => {
    fc.assert(
      fc.property(payloadArbitrary, (data) => {
        const compressed = compress(codec.id, data, codec.options);
        assert.deepEqual(decompress(codec.id, compressed), data);
        assert.deepEqual(decompress(codec.id, compressed, { decompressedBytesMax: data.length }), data);
      }),
      { numRuns: RUNS },
    );
    assert.equal(decompress(codec.id, compress(codec.id, Buffer.alloc(0), codec.options)).length, 0);
  });

  test(`${codec.name}: random and mutated input raises only CompressionError`, () => {
    const valid = compress(codec.id, fixturePlaintext().subarray(0, 20_000), codec.options);
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 3000 }), (bytes) => {
        onlyCompressionErrors(() =>
          decompress(codec.id, Buffer.from(bytes), { decompressedBytesMax: 1 << 20 }),
        );
      }),
      { numRuns: RUNS * 5 },
    );
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 4 }),
        fc.nat(),
        (changes, cut) => {
          const mutated = Buffer.from(valid);
          for (const [where, value] of changes) mutated[where % mutated.length] = value;
          onlyCompressionErrors(() => decompress(codec.id, mutated, { decompressedBytesMax: 1 << 20 }));
          onlyCompressionErrors(() => decompress(codec.id, valid.subarray(0, cut % valid.length)));
        },
      ),
      { numRuns: RUNS * 5 },
    );
  });
}

test("a 100 MB payload compressed by every codec fails to decompress under a 1 MB cap", () => {
  const bomb = Buffer.alloc(100 * 1024 * 1024, 0x61);
  for (const codec of CODECS) {
    const compressed = compress(codec.id, bomb, codec.options);
    assert.ok(compressed.length < 6 * 1024 * 1024, `${codec.name} compressed to ${compressed.length}`);
    assert.throws(
      () => decompress(codec.id, compressed, { decompressedBytesMax: 1024 * 1024 }),
      (error: unknown) => {
        assert.ok(error instanceof CompressionError, codec.name);
        assert.equal(error.code, "BRK_ERR_COMPRESSION_TOO_LARGE", codec.name);
        assert.equal(error.errorCode, ErrorCode.MESSAGE_TOO_LARGE);
        return true;
      },
    );
  }
});

test("the cap is exact: output of exactly the cap passes, one byte more fails", () => {
  const data = fixturePlaintext();
  for (const codec of CODECS) {
    const compressed = compress(codec.id, data, codec.options);
    assert.equal(decompress(codec.id, compressed, { decompressedBytesMax: data.length }).length, data.length);
    assert.throws(() => decompress(codec.id, compressed, { decompressedBytesMax: data.length - 1 }), {
      code: "BRK_ERR_COMPRESSION_TOO_LARGE",
    });
  }
});

test("unknown codec ids raise UNSUPPORTED_COMPRESSION_TYPE", () => {
  for (const id of [5, 6, 7, -1, 1.5]) {
    for (const fn of [() => compress(id, Buffer.from("x")), () => decompress(id, Buffer.from("x"))]) {
      assert.throws(fn, (error: unknown) => {
        assert.ok(error instanceof CompressionError);
        assert.equal(error.code, "BRK_ERR_COMPRESSION_UNSUPPORTED");
        assert.equal(error.errorCode, ErrorCode.UNSUPPORTED_COMPRESSION_TYPE);
        return true;
      });
    }
  }
  assert.deepEqual([0, 1, 2, 3, 4, 5].map(compressionName), [
    "none",
    "gzip",
    "snappy",
    "lz4",
    "zstd",
    "unknown(5)",
  ]);
});

test("snappy writes xerial framing by default: header, then 32 KiB blocks with int32 lengths", () => {
  const data = fixturePlaintext();
  const framed = compress(CompressionType.snappy, data);
  assert.deepEqual(framed.subarray(0, 8), XERIAL_MAGIC);
  assert.equal(framed.readInt32BE(8), 1);
  assert.equal(framed.readInt32BE(12), 1);
  let blocks = 0;
  for (let at = 16; at < framed.length; blocks++) at += 4 + framed.readInt32BE(at);
  assert.equal(blocks, Math.ceil(data.length / XERIAL_BLOCK_BYTES));
  const raw = compress(CompressionType.snappy, data, { snappyFraming: "raw" });
  assert.notDeepEqual(raw.subarray(0, 8), XERIAL_MAGIC);
  assert.deepEqual(decompress(CompressionType.snappy, raw), data);
});

test("snappy reads concatenated xerial streams, as snappy-java does", () => {
  const a = Buffer.from("first stream ".repeat(100));
  const b = Buffer.from("second stream ".repeat(100));
  const joined = Buffer.concat([compress(CompressionType.snappy, a), compress(CompressionType.snappy, b)]);
  assert.deepEqual(decompress(CompressionType.snappy, joined), Buffer.concat([a, b]));
});

test("gzip reads concatenated members, as Java's GZIPInputStream does", () => {
  const joined = Buffer.concat([gzipSync(Buffer.from("one ")), gzipSync(Buffer.from("two"))]);
  assert.equal(decompress(CompressionType.gzip, joined).toString(), "one two");
});

test("lz4 reads the reference tool's frames: linked blocks, checksums, content size", () => {
  const plaintext = fixturePlaintext();
  for (const name of ["lz4-linked-checksums.lz4", "lz4-independent.lz4"]) {
    const frame = fixture(name);
    assert.deepEqual(decompress(CompressionType.lz4, frame), plaintext, name);
    assert.throws(
      () => decompress(CompressionType.lz4, frame, { decompressedBytesMax: plaintext.length - 1 }),
      {
        code: "BRK_ERR_COMPRESSION_TOO_LARGE",
      },
    );
  }
  const linked = fixture("lz4-linked-checksums.lz4");
  assert.equal((linked[4] as number) & 0x20, 0, "the fixture really has linked blocks");
  const damaged = Buffer.from(linked);
  damaged[200] = (damaged[200] as number) ^ 0xff;
  assert.throws(() => decompress(CompressionType.lz4, damaged), { code: "BRK_ERR_COMPRESSION_CORRUPT" });
});

test("lz4 checks the header checksum, except where Kafka's magic-0 framing got it wrong (KIP-57)", () => {
  const data = Buffer.from("legacy lz4 ".repeat(50));
  const frame = compress(CompressionType.lz4, data);
  // The descriptor is FLG, BD (no content size here); KIP-57's bug hashed the magic number too.
  assert.equal((frame[4] as number) & 0x08, 0);
  const broken = Buffer.from(frame);
  broken[6] = (xxhash32(frame.subarray(0, 6)) >>> 8) & 0xff;
  assert.notEqual(broken[6], frame[6]);
  assert.throws(() => decompress(CompressionType.lz4, broken), { code: "BRK_ERR_COMPRESSION_CORRUPT" });
  assert.deepEqual(decompress(CompressionType.lz4, broken, { lz4IgnoreHeaderChecksum: true }), data);
});

test("zstd reads frames without a content size, and several frames in a row", () => {
  const plaintext = fixturePlaintext();
  const streamed = fixture("zstd-no-content-size.zst");
  assert.deepEqual(decompress(CompressionType.zstd, streamed), plaintext);
  assert.throws(() => decompress(CompressionType.zstd, streamed, { decompressedBytesMax: 100_000 }), {
    code: "BRK_ERR_COMPRESSION_TOO_LARGE",
  });
  const two = Buffer.concat([
    compress(CompressionType.zstd, Buffer.from("ab")),
    compress(CompressionType.zstd, Buffer.from("cd")),
  ]);
  assert.equal(decompress(CompressionType.zstd, two).toString(), "abcd");
  const mixed = Buffer.concat([streamed, compress(CompressionType.zstd, Buffer.from("tail"))]);
  assert.deepEqual(decompress(CompressionType.zstd, mixed), Buffer.concat([plaintext, Buffer.from("tail")]));
  assert.throws(() => decompress(CompressionType.zstd, streamed.subarray(0, streamed.length - 3)), {
    code: "BRK_ERR_COMPRESSION_CORRUPT",
  });
});
