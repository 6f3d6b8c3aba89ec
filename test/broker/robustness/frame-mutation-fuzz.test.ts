import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { SeededRandom } from "../../../src/base/index.js";
import {
  ApiKey,
  apiSpec,
  decodeFetchRequest,
  decodeRequestFrameHeader,
  encodeFetchRequest,
  encodeRequestFrameHeader,
  errorName,
  type FetchRequest,
  type ProduceResponse,
  Reader,
  Writer,
} from "../../../src/protocol/index.js";
import { startBroker } from "../../../src/server/index.js";
import { repoRoot } from "../../protocol/spec-oracle.js";
import { BrokerLogCapture } from "./broker-log-capture.js";
import {
  assertProduceFetchWorks,
  decodeResponse,
  envCount,
  fuzzSeed,
  MIB,
  ProcessTraps,
  RawConnection,
  requestFrame,
  settledMemoryBytes,
} from "./robustness-harness.js";

/**
 * Byte-level fuzzing of real request frames: every request captured from kcat and kafkajs
 * (test/fixtures/protocol/**) is mutated (bits flipped, bytes set, cut short, lengths blown up,
 * varints inserted, header fields rewritten, frames spliced) and sent to an in-process broker,
 * followed by an ApiVersions probe on the same connection. The broker must answer the mutated
 * request with a response that decodes at the version its header names (or send nothing, for a
 * Produce that decodes as acks=0), then answer the probe, or close the connection. Whatever
 * happens, the process sees no uncaught error and a produce/fetch round trip works afterwards.
 *
 *   BROOK_FRAME_FUZZ_SEED=<n>       replay a run (the seed is printed; "random" draws a fresh one)
 *   BROOK_FRAME_FUZZ_MUTATIONS=<n>  mutations per captured frame (default 12)
 */

const seed = fuzzSeed("BROOK_FRAME_FUZZ_SEED", "frame mutation fuzz", 20261128);
const mutationsPerFrame = envCount("BROOK_FRAME_FUZZ_MUTATIONS", 12);
const PROBE_DEADLINE_MS = 10_000;
/** A frame that still decodes as a long poll or a group join may park; waiting longer shows nothing more. */
const PARKABLE_DEADLINE_MS = 1000;
const PROBE_CORRELATION_ID = 0x7ffffff0;
const MEMORY_GROWTH_BYTES_MAX = 64 * MIB;

interface Captured {
  name: string;
  frame: Buffer;
}

function capturedRequests(): Captured[] {
  const root = join(repoRoot(), "test", "fixtures", "protocol");
  const out: Captured[] = [];
  for (const session of readdirSync(root, { withFileTypes: true })) {
    if (!session.isDirectory()) continue;
    for (const file of readdirSync(join(root, session.name)).sort()) {
      if (file.endsWith("-request.bin"))
        out.push({
          name: `${session.name}/${file}`,
          frame: withoutLongPoll(readFileSync(join(root, session.name, file))),
        });
    }
  }
  return out;
}

/**
 * A captured Fetch re-encoded with maxWaitMs 0: the captured 500-5000 ms long polls on empty
 * partitions would make the run slow without testing anything more.
 */
function withoutLongPoll(frame: Buffer): Buffer {
  if (frame.readInt16BE(0) !== ApiKey.Fetch) return frame;
  const r = new Reader(frame);
  const header = decodeRequestFrameHeader(r);
  const body = { ...(decodeFetchRequest(r, header.requestApiVersion) as object), maxWaitMs: 0 };
  const w = new Writer(frame.length);
  encodeRequestFrameHeader(w, header);
  encodeFetchRequest(w, body as FetchRequest, header.requestApiVersion);
  return w.toBuffer();
}

/** One mutation of a frame body (header and body, no size prefix). */
function mutateFrame(
  frame: Buffer,
  others: readonly Buffer[],
  rnd: SeededRandom,
): { bytes: Buffer; how: string } {
  const out = Buffer.from(frame);
  const at = out.length === 0 ? 0 : rnd.int(0, out.length - 1);
  switch (rnd.int(0, 9)) {
    case 0:
      if (out.length > 0) out[at] = (out[at] as number) ^ (1 << rnd.int(0, 7));
      return { bytes: out, how: `bit flipped at ${at}` };
    case 1:
      if (out.length > 0) out[at] = rnd.int(0, 255);
      return { bytes: out, how: `byte ${at} set` };
    case 2: {
      const cut = rnd.int(0, Math.max(0, out.length - 1));
      return { bytes: out.subarray(0, cut), how: `cut to ${cut} bytes` };
    }
    case 3:
      if (out.length >= 4)
        out.writeInt32BE(rnd.pick([0x7fffffff, -1, -2, 0x10000]), Math.min(at, out.length - 4));
      return { bytes: out, how: `int32 length rewritten near ${at}` };
    case 4:
      if (out.length >= 2) out.writeInt16BE(rnd.pick([0x7fff, -1, -2]), Math.min(at, out.length - 2));
      return { bytes: out, how: `int16 length rewritten near ${at}` };
    case 5: {
      const varint = rnd.pick([
        [0xfe, 0xff, 0xff, 0xff, 0x0f],
        [0xff, 0xff, 0xff, 0xff, 0xff, 0x01],
        [0x80, 0x80, 0x80, 0x80, 0x80],
      ]);
      return {
        bytes: Buffer.concat([out.subarray(0, at), Buffer.from(varint), out.subarray(at)]),
        how: `varint inserted at ${at}`,
      };
    }
    case 6:
      // The header's api key or version changed: a body read as another request.
      if (out.length >= 4) {
        if (rnd.next() < 0.5) out.writeInt16BE(rnd.int(-1, 80), 0);
        else out.writeInt16BE(rnd.int(-1, 20), 2);
      }
      return {
        bytes: out,
        how: `api ${out.length >= 2 ? out.readInt16BE(0) : "?"} v${out.length >= 4 ? out.readInt16BE(2) : "?"}`,
      };
    case 7: {
      const other = rnd.pick(others);
      const cut = rnd.int(0, out.length);
      return {
        bytes: Buffer.concat([out.subarray(0, cut), other.subarray(rnd.int(0, other.length))]),
        how: `spliced at ${cut}`,
      };
    }
    case 8: {
      const extra = Buffer.from(Array.from({ length: rnd.int(1, 64) }, () => rnd.int(0, 255)));
      return { bytes: Buffer.concat([out, extra]), how: `${extra.length} bytes appended` };
    }
    default:
      for (let i = 0; i < 4 && out.length > 0; i++) out[rnd.int(0, out.length - 1)] = rnd.int(0, 255);
      return { bytes: out, how: "4 bytes set" };
  }
}

function sized(body: Buffer): Buffer {
  const prefix = Buffer.alloc(4);
  prefix.writeInt32BE(body.length, 0);
  return Buffer.concat([prefix, body]);
}

/** APIs whose requests may legitimately wait longer than the probe's deadline (long poll, rebalance). */
const WAITING_APIS: ReadonlySet<number> = new Set([ApiKey.Fetch, ApiKey.JoinGroup, ApiKey.SyncGroup]);

/** Whether the mutated frame still decodes as a request that may park (its wait is then legitimate). */
function mayPark(bytes: Buffer): boolean {
  if (bytes.length < 8 || !WAITING_APIS.has(bytes.readInt16BE(0))) return false;
  try {
    const r = new Reader(bytes);
    decodeRequestFrameHeader(r);
    apiSpec(bytes.readInt16BE(0))?.decodeRequest(r, bytes.readInt16BE(2));
    return true;
  } catch {
    return false;
  }
}

/** Why the answer to a mutated frame is wrong, or null. */
function checkAnswer(sent: Buffer, answer: Buffer): string | null {
  if (sent.length < 8) return "answered a frame shorter than a request header";
  const apiKey = sent.readInt16BE(0);
  const version = sent.readInt16BE(2);
  if (answer.readInt32BE(0) !== sent.readInt32BE(4))
    return `correlation id ${answer.readInt32BE(0)}, expected ${sent.readInt32BE(4)}`;
  const api = apiSpec(apiKey);
  if (api === undefined) return `answered unknown api ${apiKey}`;
  const answeredVersion =
    apiKey === ApiKey.ApiVersions && (version < api.minVersion || version > api.maxVersion) ? 0 : version;
  try {
    decodeResponse(answer, apiKey, answeredVersion);
    return null;
  } catch (error) {
    return `answer does not decode as ${api.name} v${answeredVersion}: ${(error as Error).message.split("\n")[0]}`;
  }
}

test("every captured request, as kcat and kafkajs sent it, is answered at its version (Produce appended)", async () => {
  const server = await startBroker({
    properties: { "num.partitions": "1", "offsets.topic.num.partitions": "1" },
  });
  const connection = await RawConnection.open(server.port);
  try {
    const served = new Map(server.broker.dispatcher.advertisedVersions().map((a) => [a.apiKey, a]));
    for (const captured of capturedRequests()) {
      // Transactions (AddPartitionsToTxn, EndTxn) are not served yet: those close the connection.
      const range = served.get(captured.frame.readInt16BE(0));
      const version = captured.frame.readInt16BE(2);
      if (range === undefined || version < range.minVersion || version > range.maxVersion) continue;
      connection.write(sized(captured.frame));
      const outcome = await connection.next(PROBE_DEADLINE_MS);
      assert.equal(outcome.kind, "frame", captured.name);
      const answer = (outcome as { frame: Buffer }).frame;
      assert.equal(checkAnswer(captured.frame, answer), null, captured.name);
      if (captured.frame.readInt16BE(0) === ApiKey.Produce) {
        const body = decodeResponse(answer, ApiKey.Produce, captured.frame.readInt16BE(2))
          .body as ProduceResponse;
        const codes = body.responses.flatMap((t) => t.partitionResponses.map((p) => errorName(p.errorCode)));
        // A replayed transactional produce carries the producer id of the captured session, not
        // the one this broker's InitProducerId just gave: the coordinator's verification refuses it
        // (KIP-890), as Kafka's does.
        const expected = captured.name.startsWith("kcat-transaction/")
          ? ["INVALID_PRODUCER_ID_MAPPING"]
          : ["NONE"];
        assert.deepEqual([...new Set(codes)], expected, captured.name);
      }
    }
  } finally {
    connection.close();
    await server.stop();
  }
});

test("mutated captured frames are answered or close their connection, and the broker keeps serving", async () => {
  const traps = new ProcessTraps();
  const logs = new BrokerLogCapture();
  const server = await startBroker({
    logLevel: "warn",
    properties: { "num.partitions": "2", "offsets.topic.num.partitions": "2" },
  });
  const rnd = new SeededRandom(seed);
  const frames = capturedRequests();
  assert.ok(frames.length >= 50, `only ${frames.length} captured request frames`);
  const failures: string[] = [];
  let connection: RawConnection | null = null;
  let closes = 0;
  let parked = 0;
  let sends = 0;
  const startedMs = performance.now();
  try {
    const memoryBefore = await settledMemoryBytes();
    for (const captured of frames) {
      for (let m = 0; m < mutationsPerFrame; m++) {
        const { bytes, how } = mutateFrame(
          captured.frame,
          frames.map((f) => f.frame),
          rnd,
        );
        if (bytes.length >= 8 && bytes.readInt32BE(4) === PROBE_CORRELATION_ID) continue;
        if (connection === null || connection.closed) connection = await RawConnection.open(server.port);
        const what = `${captured.name} ${how}: ${bytes.subarray(0, 200).toString("hex")}`;
        connection.write(sized(bytes));
        connection.write(requestFrame(ApiKey.ApiVersions, 0, PROBE_CORRELATION_ID, {}));
        sends++;
        const parkable = mayPark(bytes);
        const first = await connection.next(parkable ? PARKABLE_DEADLINE_MS : PROBE_DEADLINE_MS);
        if (first.kind === "closed") {
          closes++;
          continue;
        }
        if (first.kind === "timeout") {
          if (parkable) parked++;
          else failures.push(`no answer and no close: ${what}`);
          connection.close();
          continue;
        }
        if (first.frame.readInt32BE(0) === PROBE_CORRELATION_ID) {
          // Only a Produce with acks=0 goes unanswered.
          if (bytes.readInt16BE(0) !== ApiKey.Produce) failures.push(`left unanswered: ${what}`);
          continue;
        }
        const problem = checkAnswer(bytes, first.frame);
        if (problem !== null) {
          failures.push(`${problem}: ${what}`);
          connection.close();
          continue;
        }
        const probe = await connection.next(PROBE_DEADLINE_MS);
        if (probe.kind === "timeout") failures.push(`probe unanswered after ${what}`);
        if (probe.kind === "closed") closes++;
      }
    }
    connection?.close();
    await assertProduceFetchWorks(server.port, "after-frame-fuzz");
    const growth = (await settledMemoryBytes()) - memoryBefore;
    const seconds = ((performance.now() - startedMs) / 1000).toFixed(1);
    console.log(
      `# ${sends} mutated frames in ${seconds} s, ${closes} connections closed, ${parked} parked; memory growth ${(growth / MIB).toFixed(1)} MiB`,
    );
    assert.deepEqual(failures, [], `seed ${seed}`);
    assert.deepEqual(logs.errors(), [], `seed ${seed}: the broker logged errors`);
    assert.ok(growth < MEMORY_GROWTH_BYTES_MAX, `memory grew by ${growth} bytes (seed ${seed})`);
    traps.assertNone(`seed ${seed}`);
  } finally {
    connection?.close();
    logs.restore();
    await server.stop();
    traps.remove();
  }
});
