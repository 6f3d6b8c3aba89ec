import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { LeaderEpochCache } from "../../src/storage/leader-epoch-cache.js";
import { tempDir } from "./helpers.js";

const lines = (path: string) => readFileSync(path, "utf8").trim().split("\n");

test("the checkpoint file follows every change, including a truncation undone by an assignment", () => {
  const dir = tempDir("brook-epochs-");
  try {
    const path = join(dir.path, "leader-epoch-checkpoint");
    const cache = LeaderEpochCache.load(path);
    assert.equal(readFileSync(path, "utf8"), "", "created empty, as Kafka creates it");
    cache.assign(3, 0n);
    cache.assign(5, 10n);
    assert.deepEqual(lines(path), ["0", "2", "3 0", "5 10"]);
    // A start on an empty tail: the loader truncates at the log end, the leader assigns again.
    cache.truncateFromEnd(10n);
    assert.deepEqual(lines(path), ["0", "1", "3 0"]);
    cache.assign(5, 10n);
    assert.deepEqual(lines(path), ["0", "2", "3 0", "5 10"]);
    // What a restart reads is what was written.
    assert.deepEqual(LeaderEpochCache.load(path).snapshot(), [
      { epoch: 3, startOffset: 0n },
      { epoch: 5, startOffset: 10n },
    ]);
    cache.truncateFromStart(12n);
    assert.deepEqual(lines(path), ["0", "1", "5 12"]);
  } finally {
    dir.cleanup();
  }
});
