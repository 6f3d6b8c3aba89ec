import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import type { PartitionMetadata } from "../../../src/client/index.js";
import { ErrorCode } from "../../../src/protocol/index.js";
import { kcat, kcatConsume, TEST_TIMEOUT_MS } from "../broker-process.js";
import { ProcessCluster, waitFor } from "./cluster-harness.js";

/**
 * KIP-966 on real processes, with kcat as the client: a partition whose followers stall (SIGSTOP,
 * past the session timeout) keeps its leader alone in the ISR, below min.insync.replicas, and the
 * follower that left it once it was below is an eligible leader replica; then the leader dies
 * (SIGKILL) and does not come back. The followers resume: their processes never stopped holding
 * their logs, so their new sessions name their last registration (PreviousBrokerEpoch) and they
 * stay eligible; the eligible one leads, and every record acknowledged with acks=all before is
 * there. Before KIP-966 the dead leader, the last ISR member, was the only replica that could
 * lead: the partition waited for it.
 */

const SESSION_TIMEOUT_MS = 2000;
const TOPIC = "eligible";
const RECORDS = 300;

let cluster: ProcessCluster;
const stopped = new Set<number>();

before(async () => {
  cluster = await ProcessCluster.start({
    sessionTimeoutMs: SESSION_TIMEOUT_MS,
    overrides: { "replica.lag.time.max.ms": "2000" },
  });
});

after(async () => {
  for (const id of stopped) signal(id, "SIGCONT");
  await cluster?.dispose();
});

function signal(id: number, name: NodeJS.Signals): void {
  const pid = cluster.node(id).pid;
  assert.ok(pid !== undefined, `node ${id} runs`);
  process.kill(pid, name);
  if (name === "SIGSTOP") stopped.add(id);
  else stopped.delete(id);
}

/** What partitionVia saw last, for a failure's message. */
let lastSeen = "";

/** The partition as one node's DescribeTopicPartitions answers it (ISR and ELR). */
async function partitionVia(id: number): Promise<PartitionMetadata | undefined> {
  const [topic] = await cluster.admin(id, { timeoutMs: 3000 }).describeTopicPartitions([TOPIC]);
  const p = topic?.partitions[0];
  lastSeen = `node ${id}: ${JSON.stringify(p)}`;
  return p;
}

test("the leader alone in its ISR dies for good: a follower that left the ISR while the ISR was below min ISR takes over, with every acknowledged record", {
  timeout: TEST_TIMEOUT_MS,
}, async () => {
  try {
    const [created] = await cluster.admin(1).createTopics([
      {
        name: TOPIC,
        assignments: [[1, 2, 3]],
        configs: { "min.insync.replicas": "2" },
      },
    ]);
    assert.equal(created?.errorCode, ErrorCode.NONE, created?.errorMessage ?? "");
    await waitFor("every replica in sync", async () => {
      const p = await partitionVia(1);
      return p?.leaderId === 1 && p.isr.length === 3 ? p : undefined;
    });
    const values = Array.from({ length: RECORDS }, (_, i) => `v${i}`);
    await kcat(["-P", "-b", cluster.address(1), "-t", TOPIC, "-p", "0", "-X", "acks=all"], {
      input: `${values.join("\n")}\n`,
      timeoutMs: 20_000,
    });

    // The followers stall: out of the ISR (lagging, then fenced once their sessions expire),
    // which falls below min ISR with the leader alone. A follower that left while the ISR was
    // still at min ISR may lack what the high watermark covered next, so only one that left once
    // it was below is eligible: one of them, or both if they left together.
    signal(2, "SIGSTOP");
    signal(3, "SIGSTOP");
    const alone = await waitFor(
      "the leader alone in the ISR, a follower eligible",
      async () => {
        const p = await partitionVia(1);
        const elr = p?.eligibleLeaderReplicas ?? [];
        return p !== undefined && p.isr.join() === "1" && elr.length > 0 ? p : undefined;
      },
      6 * SESSION_TIMEOUT_MS,
    );
    assert.equal(alone.leaderId, 1);
    const eligible = alone.eligibleLeaderReplicas ?? [];
    assert.deepEqual(
      eligible.filter((b) => b !== 2 && b !== 3),
      [],
      "only the followers can be eligible",
    );

    // The leader dies; the followers resume. The eligible one leads, with an ISR of itself, and
    // the other catches up and joins it.
    await cluster.node(1).kill();
    signal(2, "SIGCONT");
    signal(3, "SIGCONT");
    const after = await waitFor(
      "an eligible follower leading, the other back in the ISR",
      async () => {
        const p = await partitionVia(2);
        return p !== undefined && eligible.includes(p.leaderId) && p.isr.length === 2 ? p : undefined;
      },
      8 * SESSION_TIMEOUT_MS,
    );
    assert.deepEqual([...after.isr].sort(), [2, 3]);
    assert.deepEqual(after.eligibleLeaderReplicas, [], "at min ISR again: no ELR");

    // Every acknowledged record, in order, from the new leader; and it takes acks=all writes.
    const consumed = await kcatConsume(cluster.address(2), TOPIC);
    assert.deepEqual(
      consumed.map((r) => r.payload),
      values,
    );
    await kcat(["-P", "-b", cluster.address(2), "-t", TOPIC, "-p", "0", "-X", "acks=all"], {
      input: "after\n",
      timeoutMs: 20_000,
    });

    // The old leader returns after its crash: not eligible, it follows and rejoins the ISR.
    await cluster.node(1).restart();
    await waitFor(
      "the old leader back in the ISR as a follower",
      async () => {
        const p = await partitionVia(2);
        return p !== undefined && p.isr.length === 3 && p.leaderId !== 1 ? p : undefined;
      },
      20_000,
    );
    const all = await kcatConsume(cluster.address(1), TOPIC);
    assert.deepEqual(
      all.map((r) => r.payload),
      [...values, "after"],
    );
  } catch (error) {
    (error as Error).message += `\nlast seen: ${lastSeen}\n${cluster.logs()}`;
    throw error;
  }
});
