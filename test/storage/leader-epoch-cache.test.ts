import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { LeaderEpochCache } from "../../src/storage/leader-epoch-cache.js";
import { tempDir } from "./helpers.js";

const lines = (path: string) => readFileSync(path, "utf8").trim().split("\n");

test("the checkpoint file: assignments written at once, truncations and a new leader's epoch at the next flush", () => {
  const dir = tempDir("brook-epochs-");
  try {
    const path = join(dir.path, "leader-epoch-checkpoint");
    const cache = LeaderEpochCache.load(path);
    assert.equal(readFileSync(path, "utf8"), "", "created empty, as Kafka creates it");
    cache.assign(3, 0n);
    cache.assign(5, 10n);
    assert.deepEqual(lines(path), ["0", "2", "3 0", "5 10"]);
    // A start on an empty tail: the loader truncates at the log end, the new leader assigns again;
    // the file already says so and is not rewritten.
    cache.truncateFromEnd(10n);
    assert.deepEqual(lines(path), ["0", "2", "3 0", "5 10"], "a truncation waits for the flush");
    cache.assign(5, 10n, false);
    cache.flush();
    assert.deepEqual(lines(path), ["0", "2", "3 0", "5 10"]);
    // A new leader's epoch reaches the file with the log's next flush.
    cache.assign(7, 12n, false);
    assert.deepEqual(lines(path), ["0", "2", "3 0", "5 10"]);
    cache.flush();
    assert.deepEqual(lines(path), ["0", "3", "3 0", "5 10", "7 12"]);
    assert.deepEqual(
      LeaderEpochCache.load(path)
        .snapshot()
        .map((e) => e.epoch),
      [3, 5, 7],
    );
    cache.truncateFromEnd(12n);
    cache.flush();
    assert.deepEqual(lines(path), ["0", "2", "3 0", "5 10"]);
    cache.truncateFromStart(11n);
    assert.deepEqual(lines(path), ["0", "1", "5 11"], "a start truncation is written at once");
  } finally {
    dir.cleanup();
  }
});
