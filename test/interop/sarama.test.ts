import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { BrokerProcess, REPO_ROOT, runTool, TEST_TIMEOUT_MS } from "./broker-process.js";

/**
 * sarama 1.22 (Go, Debian's golang-github-shopify-sarama-dev) against a Brook broker process.
 * sarama does not negotiate versions: configured as Kafka X, it sends X's request versions. The
 * driver (test/interop/go/sarama_client.go, built here in GOPATH mode from Debian's sources)
 * creates a topic with the admin client, produces keyed records with none, gzip, snappy and lz4 at
 * acks=all, reads them all in a consumer group, then resumes the group from its commits. sarama
 * 1.22 sends zstd in Produce v3, which Kafka refuses (zstd needs Produce v7): so does Brook.
 */
const SOURCE = join(REPO_ROOT, "test", "interop", "go", "sarama_client.go");
const GO_ENV = { GO111MODULE: "off", GOPATH: "/usr/share/gocode", GOPROXY: "off" };

interface Rec {
  key: string;
  value: string;
  partition: number;
  offset: number;
}

let broker: BrokerProcess;
let buildDir: string;
let binary: string;

before(async () => {
  buildDir = mkdtempSync(join(tmpdir(), "brook-sarama-"));
  binary = join(buildDir, "sarama-client");
  const build = await runTool("go", ["build", "-o", binary, SOURCE], {
    timeoutMs: 180_000,
    env: { ...GO_ENV, GOCACHE: join(buildDir, "cache") },
  });
  if (build.code !== 0)
    throw new Error(
      `building the sarama driver failed (apt-get install -y golang-go golang-github-shopify-sarama-dev; npm test installs them):\n${build.stderr}`,
    );
  broker = await BrokerProcess.start();
});

after(async () => {
  await broker?.dispose();
  rmSync(buildDir, { recursive: true, force: true });
});

const describe = (r: Rec) => `${r.partition}/${r.offset}=${r.key}:${r.value}`;

// sarama configured below 1.0 sends CreateTopics v0-1, which Kafka 4 removed (KIP-896), as Brook.
for (const version of ["1.0.0", "2.1.0"]) {
  test(`sarama as Kafka ${version}: admin, every codec at acks=all, a consumer group that resumes from its commits`, {
    timeout: TEST_TIMEOUT_MS,
  }, async () => {
    const topic = `sarama-${version.replaceAll(".", "-")}`;
    const run = await runTool(binary, [broker.bootstrap, version, topic, `${topic}-group`], {
      timeoutMs: 80_000,
    });
    assert.equal(run.code, 0, run.stderr);
    const answer = JSON.parse(run.stdout) as {
      sent: Rec[];
      consumed: Rec[];
      late: Rec;
      resumed: Rec[];
      zstdError: string;
    };
    assert.deepEqual(
      [...new Set(answer.sent.map((r) => r.value.split("-")[0]))],
      ["none", "gzip", "snappy", "lz4"],
    );
    // sarama 1.22 puts zstd in Produce v3: Kafka's UNSUPPORTED_COMPRESSION_TYPE (zstd needs v7).
    if (version === "2.1.0") assert.match(answer.zstdError, /does not support the compression type/);
    assert.deepEqual(answer.consumed.map(describe).sort(), answer.sent.map(describe).sort());
    assert.deepEqual(answer.resumed.map(describe), [describe(answer.late)]);
  });
}
