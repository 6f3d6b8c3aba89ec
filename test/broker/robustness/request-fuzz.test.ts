import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import { SeededRandom } from "../../../src/base/index.js";
import { ApiKey, apiSpec } from "../../../src/protocol/index.js";
import { type BrookServer, startBroker } from "../../../src/server/index.js";
import { loadOracleSpecs, messageArb, type OracleSpec } from "../../protocol/spec-oracle.js";
import { BrokerLogCapture } from "./broker-log-capture.js";
import { steerRequest } from "./request-steering.js";
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
 * Spec-driven request fuzzing of a whole in-process broker. For every API the broker advertises,
 * at every advertised version, at the spec's versions outside the advertised range, at a version
 * past the spec and at -1, random well-formed requests (the spec oracle's values, steered towards
 * existing topics, odd partitions, special offsets and damaged record batches) are sent over a few
 * connections, some pipelined. After each one the broker must answer with a response that
 * decodes at that version and carries the request's correlation id, or close the connection:
 * never hang, never throw into the process. APIs the broker does not serve get a few requests
 * each too. Afterwards a produce/fetch round trip still works and memory has not run away.
 *
 *   BROOK_REQUEST_FUZZ_SEED=<n>    replay a run (the seed is printed; "random" draws a fresh one)
 *   BROOK_REQUEST_FUZZ_RUNS=<n>    requests per API version (default 20)
 *   BROOK_REQUEST_FUZZ_API=<name>  only this API (e.g. Fetch), for replaying a finding
 */

const seed = fuzzSeed("BROOK_REQUEST_FUZZ_SEED", "request fuzz", 20261127);
const runsPerVersion = envCount("BROOK_REQUEST_FUZZ_RUNS", 20);
const onlyApi = process.env.BROOK_REQUEST_FUZZ_API;
/** Prints every request before it is sent (to find what a crash or a hang was working on). */
const trace = process.env.BROOK_REQUEST_FUZZ_TRACE === "1";
/** Longest a request may take: generated timeouts are at most 6 s (a JoinGroup session), most far less. */
const REQUEST_DEADLINE_MS = 10_000;
const CONNECTIONS = 3;
const PIPELINE_DEPTH_MAX = 4;
/** Growth of heap + ArrayBuffers over the run that counts as unbounded. */
const MEMORY_GROWTH_BYTES_MAX = 96 * MIB;

const EXPECTED_CLOSE_REASONS = /is not a version Kafka defines|cannot be answered with UNSUPPORTED_VERSION/;

interface Work {
  apiKey: number;
  version: number;
  /** The body as drawn, before steering (steered at send time, against the topics that exist then). */
  body: Record<string, unknown>;
  /** Where the version lies: served, defined by Kafka but not served, or not defined at all. */
  kind: "served" | "unserved" | "undefined";
}

interface Sent {
  work: Work;
  correlationId: number;
  /** null: Kafka sends no response (acks=0). */
  responseVersion: number | null;
  description: string;
}

const requestSpecs = new Map<number, OracleSpec>();
for (const spec of loadOracleSpecs()) {
  if (spec.type === "request" && spec.apiKey !== undefined) requestSpecs.set(spec.apiKey, spec);
}

function sample(spec: OracleSpec, version: number, count: number, salt: number): Record<string, unknown>[] {
  return fc
    .sample(messageArb(spec, version), { numRuns: count, seed: (seed ^ salt) | 0 })
    .map((p) => p.input as Record<string, unknown>);
}

/** The work list: served versions, unserved versions of served APIs, undefined versions, unserved APIs. */
function planWork(advertised: readonly { apiKey: number; minVersion: number; maxVersion: number }[]): Work[] {
  const work: Work[] = [];
  const served = new Set(advertised.map((a) => a.apiKey));
  for (const range of advertised) {
    const spec = requestSpecs.get(range.apiKey);
    const api = apiSpec(range.apiKey);
    assert.ok(spec !== undefined && api !== undefined, `no spec for advertised api ${range.apiKey}`);
    if (onlyApi !== undefined && api.name !== onlyApi) continue;
    for (let v = api.minVersion; v <= api.maxVersion; v++) {
      const isServed = v >= range.minVersion && v <= range.maxVersion;
      const count = isServed ? runsPerVersion : 3;
      for (const body of sample(spec, v, count, (range.apiKey << 8) | v))
        work.push({ apiKey: range.apiKey, version: v, body, kind: isServed ? "served" : "unserved" });
    }
    // Versions Kafka does not define: encoded at the highest, then relabelled.
    for (const v of [api.maxVersion + 1, -1]) {
      for (const body of sample(spec, api.maxVersion, 2, (range.apiKey << 8) | 0xff))
        work.push({ apiKey: range.apiKey, version: v, body, kind: "undefined" });
    }
  }
  if (onlyApi === undefined) {
    for (const [apiKey, spec] of requestSpecs) {
      const api = apiSpec(apiKey);
      if (served.has(apiKey) || api === undefined) continue;
      for (const v of new Set([api.minVersion, api.maxVersion]))
        for (const body of sample(spec, v, 2, (apiKey << 8) | v))
          work.push({ apiKey, version: v, body, kind: "unserved" });
    }
  }
  return work;
}

function shuffle<T>(items: T[], rnd: SeededRandom): T[] {
  for (let i = items.length - 1; i > 0; i--) {
    const j = rnd.int(0, i);
    [items[i], items[j]] = [items[j] as T, items[i] as T];
  }
  return items;
}

function brief(value: unknown): string {
  const text = JSON.stringify(value, (_k, v) =>
    typeof v === "bigint" ? `${v}n` : v?.type === "Buffer" ? `<${v.data.length} bytes>` : v,
  );
  return text.length > 600 ? `${text.slice(0, 600)}...` : text;
}

class Fuzzer {
  readonly failures: string[] = [];
  readonly closes = new Map<string, number>();
  readonly answered = new Map<string, number>();
  private readonly connections: (RawConnection | null)[] = Array.from({ length: CONNECTIONS }, () => null);
  private readonly server: BrookServer;
  private readonly rnd: SeededRandom;

  constructor(server: BrookServer, rnd: SeededRandom) {
    this.server = server;
    this.rnd = rnd;
  }

  private async connection(slot: number): Promise<RawConnection> {
    const existing = this.connections[slot];
    if (existing !== null && existing !== undefined && !existing.closed) return existing;
    const fresh = await RawConnection.open(this.server.port);
    this.connections[slot] = fresh;
    return fresh;
  }

  /** Encodes one work item as a frame; the body is steered towards the broker's current topics. */
  private encode(work: Work, connection: RawConnection): { frames: Buffer[]; sent: Sent[] } {
    const spec = requestSpecs.get(work.apiKey) as OracleSpec;
    const api = apiSpec(work.apiKey);
    const encodeVersion = work.kind === "undefined" ? (api?.maxVersion ?? 0) : work.version;
    const body = structuredClone(work.body);
    const topics = [...this.server.broker.image.topicsByName.values()].map((t) => ({
      name: t.name,
      id: t.id,
    }));
    steerRequest(spec, encodeVersion, body, this.rnd, { topics });
    const correlationId = connection.correlationId();
    let frame: Buffer;
    try {
      frame = requestFrame(
        work.apiKey,
        encodeVersion,
        correlationId,
        body,
        this.rnd.pick(["fuzz", null, "ü".repeat(40)]),
      );
    } catch {
      // A steered value the version cannot carry: send the value as drawn.
      frame = requestFrame(work.apiKey, encodeVersion, correlationId, work.body);
    }
    if (work.kind === "undefined") frame.writeInt16BE(work.version, 6);
    const description = `${api?.name} v${work.version} (${work.kind}) ${brief(body)}`;
    if (trace) console.log(`# send ${description} ${frame.toString("hex")}`);
    // KIP-511: an ApiVersions version the broker does not know is answered at v0.
    const apiVersionsTooNew = work.apiKey === ApiKey.ApiVersions && work.kind === "undefined";
    const noResponse = work.apiKey === ApiKey.Produce && body.acks === 0 && work.kind === "served";
    const sent: Sent[] = [
      {
        work,
        correlationId,
        responseVersion: noResponse ? null : apiVersionsTooNew ? 0 : work.version,
        description,
      },
    ];
    const frames = [frame];
    if (noResponse) {
      // acks=0 has no answer: an ApiVersions probe behind it shows the connection still serves.
      const probeId = connection.correlationId();
      frames.push(requestFrame(ApiKey.ApiVersions, 0, probeId, {}));
      sent.push({
        work: { apiKey: ApiKey.ApiVersions, version: 0, body: {}, kind: "served" },
        correlationId: probeId,
        responseVersion: 0,
        description: `ApiVersions v0 probe after ${description}`,
      });
    }
    return { frames, sent };
  }

  /** Sends a chunk of work pipelined on one connection, then checks each outcome in order. */
  async runChunk(chunk: Work[], slot: number): Promise<void> {
    const connection = await this.connection(slot);
    const sent: Sent[] = [];
    for (const work of chunk) {
      const encoded = this.encode(work, connection);
      for (const f of encoded.frames) connection.write(f);
      sent.push(...encoded.sent);
    }
    const sentMs = performance.now();
    for (const s of sent) {
      if (s.responseVersion === null) continue;
      const outcome = await connection.next(REQUEST_DEADLINE_MS);
      if (trace) console.log(`# ${outcome.kind} after ${Math.round(performance.now() - sentMs)} ms`);
      const key = `${apiSpec(s.work.apiKey)?.name} v${s.work.version} ${s.work.kind}`;
      if (outcome.kind === "closed") {
        this.closes.set(key, (this.closes.get(key) ?? 0) + 1);
        return;
      }
      if (outcome.kind === "timeout") {
        this.failures.push(`no answer within ${REQUEST_DEADLINE_MS} ms: ${s.description}`);
        connection.close();
        return;
      }
      this.answered.set(key, (this.answered.get(key) ?? 0) + 1);
      const problem = this.check(outcome.frame, s);
      if (problem !== null) {
        this.failures.push(`${problem}: ${s.description}`);
        if (trace) console.log(`# answer ${outcome.frame.toString("hex")}`);
        // After a wrong answer the connection's responses can no longer be matched to requests.
        connection.close();
        return;
      }
    }
  }

  /** Why an answer is wrong, or null: the correlation id first, then a decode at the version. */
  private check(frame: Buffer, s: Sent): string | null {
    const correlationId = frame.length >= 4 ? frame.readInt32BE(0) : Number.NaN;
    if (correlationId !== s.correlationId)
      return `correlation id ${correlationId}, expected ${s.correlationId}`;
    try {
      const { body } = decodeResponse(frame, s.work.apiKey, s.responseVersion as number);
      if (trace) console.log(`# answer ${brief(body)}`);
      return null;
    } catch (error) {
      return `undecodable answer (${(error as Error).message.split("\n")[0]})`;
    }
  }

  close(): void {
    for (const c of this.connections) c?.close();
  }
}

test("random well-formed requests of every API and version are answered or close their connection", async () => {
  const traps = new ProcessTraps();
  const logs = new BrokerLogCapture();
  const server = await startBroker({
    logLevel: "warn",
    properties: {
      "num.partitions": "3",
      "offsets.topic.num.partitions": "3",
      "group.min.session.timeout.ms": "10",
    },
  });
  const startedMs = performance.now();
  const rnd = new SeededRandom(seed);
  const fuzzer = new Fuzzer(server, rnd);
  try {
    const memoryBefore = await settledMemoryBytes();
    const work = shuffle(planWork(server.broker.dispatcher.advertisedVersions()), rnd);
    for (let at = 0; at < work.length; ) {
      const depth = rnd.int(1, PIPELINE_DEPTH_MAX);
      await fuzzer.runChunk(work.slice(at, at + depth), rnd.int(0, CONNECTIONS - 1));
      at += depth;
    }
    fuzzer.close();
    await assertProduceFetchWorks(server.port, "after-request-fuzz");
    const growth = (await settledMemoryBytes()) - memoryBefore;
    const seconds = ((performance.now() - startedMs) / 1000).toFixed(1);
    console.log(`# ${work.length} requests in ${seconds} s; memory growth ${(growth / MIB).toFixed(1)} MiB`);
    console.log(`# connections closed by the broker: ${brief(Object.fromEntries(fuzzer.closes))}`);
    assert.deepEqual(fuzzer.failures, [], `seed ${seed}`);
    assert.deepEqual(logs.errors(), [], `seed ${seed}: the broker logged errors`);
    // A well-formed request may close its connection only for a version Kafka does not define or
    // an API without a handler: anything else (a response that does not encode) is a bug.
    const unexpectedCloses = logs.lines.filter(
      (l) => / closing connection /.test(l) && !EXPECTED_CLOSE_REASONS.test(l),
    );
    assert.deepEqual(unexpectedCloses, [], `seed ${seed}: connections closed for other reasons`);
    assert.ok(growth < MEMORY_GROWTH_BYTES_MAX, `memory grew by ${growth} bytes (seed ${seed})`);
    traps.assertNone(`seed ${seed}`);
  } finally {
    fuzzer.close();
    logs.restore();
    if (trace) for (const line of logs.lines) console.log(`# broker: ${line}`);
    await server.stop();
    traps.remove();
  }
});
