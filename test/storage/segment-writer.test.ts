import assert from "node:assert/strict";
import { closeSync, openSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import fc from "fast-check";
import { ErrorCode, KafkaError } from "../../src/protocol/index.js";
import { SegmentWriter, StorageError } from "../../src/storage/index.js";
import { makeBatch, newClock, openManager, tempDir } from "./helpers.js";

const ringBytes = 256 * 1024;

function withFile(body: (fd: number, path: string) => Promise<void> | void): Promise<void> {
  const dir = tempDir("brook-writer-");
  const path = join(dir.path, "segment.log");
  const fd = openSync(path, "w+");
  return Promise.resolve()
    .then(() => body(fd, path))
    .finally(() => {
      closeSync(fd);
      dir.cleanup();
    });
}

test("queued writes land in order at their positions; the caller may reuse its buffer at once", async () => {
  const writer = new SegmentWriter({ ringBytes, slots: 64, policy: "always" });
  const channel = writer.channel();
  await withFile(async (fd, path) => {
    const scratch = Buffer.alloc(1000);
    const expected: Buffer[] = [];
    let position = 0;
    let last = 0;
    for (let i = 0; i < 300; i++) {
      scratch.fill(i & 0xff);
      last = channel.write(fd, scratch, position);
      expected.push(Buffer.from(scratch));
      scratch.fill(0xee); // what was queued is a copy
      position += scratch.length;
    }
    assert.ok(last > 0, "small writes are queued");
    await channel.whenDone(last);
    assert.ok(channel.isDone(last));
    assert.deepEqual(readFileSync(path), Buffer.concat(expected));
  });
});

test("waitSync returns once the write is in the file", async () => {
  const writer = new SegmentWriter({ ringBytes, slots: 16, policy: "always" });
  const channel = writer.channel();
  await withFile((fd, path) => {
    const seq = channel.write(fd, Buffer.from("hello, file"), 0);
    channel.waitSync(seq);
    assert.equal(readFileSync(path, "utf8"), "hello, file");
  });
});

test("a held writer holds acknowledgements: whenDone resolves only after release", async () => {
  const writer = new SegmentWriter({ ringBytes, slots: 16, policy: "always" });
  const channel = writer.channel();
  await withFile(async (fd, path) => {
    channel.waitSync(channel.write(fd, Buffer.from("a"), 0)); // the thread is up
    writer.hold();
    const seq = channel.write(fd, Buffer.from("b"), 1);
    let resolved = false;
    const done = channel.whenDone(seq).then(() => {
      resolved = true;
    });
    await new Promise((r) => setTimeout(r, 150));
    assert.equal(resolved, false);
    assert.equal(readFileSync(path, "utf8"), "a");
    writer.release();
    await done;
    assert.equal(readFileSync(path, "utf8"), "ab");
  });
});

test("a write larger than a quarter of the ring is written at once, after the queued ones", async () => {
  const writer = new SegmentWriter({ ringBytes, slots: 16, policy: "always" });
  const channel = writer.channel();
  await withFile((fd, path) => {
    const small = Buffer.alloc(10, 1);
    channel.write(fd, small, 0);
    const big = Buffer.alloc(ringBytes / 2, 2);
    assert.equal(channel.write(fd, big, 10), 0, "0: already in the file");
    assert.deepEqual(readFileSync(path), Buffer.concat([small, big]));
  });
});

test("property: any sequence of appends through a small ring makes the file their concatenation", async () => {
  const writer = new SegmentWriter({ ringBytes: 64 * 1024, slots: 8, policy: "always" });
  const channel = writer.channel();
  await fc.assert(
    fc.asyncProperty(
      fc.array(fc.record({ size: fc.integer({ min: 1, max: 16 * 1024 }), byte: fc.nat(255) }), {
        minLength: 1,
        maxLength: 60,
      }),
      fc.boolean(),
      async (writes, waitAsync) =>
        withFile(async (fd, path) => {
          let position = 0;
          let last = 0;
          const parts: Buffer[] = [];
          for (const w of writes) {
            const data = Buffer.alloc(w.size, w.byte);
            const seq = channel.write(fd, data, position);
            if (seq !== 0) last = seq;
            parts.push(data);
            position += w.size;
          }
          if (waitAsync) await channel.whenDone(last);
          else channel.waitSync(last);
          assert.deepEqual(readFileSync(path), Buffer.concat(parts));
        }),
    ),
    { numRuns: 40 },
  );
});

test("policy never (the default) writes on the caller's thread and starts no thread, whatever the load", async () => {
  const inline = new SegmentWriter({ ringBytes, slots: 16, policy: "never" });
  await withFile(async (fd, path) => {
    const channel = inline.channel();
    assert.equal(channel.write(fd, Buffer.from("a"), 0), 0);
    assert.equal(readFileSync(path, "utf8"), "a", "in the file when write returns");
    // A saturated event loop writing megabytes: still at once, in order.
    const chunk = Buffer.alloc(2048, "x");
    let position = 1;
    const busyUntil = performance.now() + 100;
    while (performance.now() < busyUntil) {
      assert.equal(channel.write(fd, chunk, position), 0);
      position += chunk.length;
    }
    assert.equal(readFileSync(path).length, position);
    assert.equal(inline.threadRunning, false);
    assert.deepEqual(
      { ...inline.stats(), bytesAtOnceTotal: 0 },
      {
        policy: "never",
        offloading: false,
        threadRunning: false,
        threadsStarted: 0,
        threadsRetired: 0,
        bytesAtOnceTotal: 0,
        bytesQueuedTotal: 0,
      },
    );
    assert.equal(inline.stats().bytesAtOnceTotal, position);
  });
});

test("a failed write fails its channel for good, and no other channel", async () => {
  const writer = new SegmentWriter({ ringBytes, slots: 16, policy: "always" });
  const broken = writer.channel();
  const healthy = writer.channel();
  const dir = tempDir("brook-writer-");
  try {
    const path = join(dir.path, "read-only.log");
    closeSync(openSync(path, "w"));
    const readOnly = openSync(path, "r"); // writes to it fail with EBADF
    const seq = broken.write(readOnly, Buffer.from("lost"), 0);
    await assert.rejects(broken.whenDone(seq), (e: unknown) => {
      assert.ok(e instanceof StorageError);
      assert.equal(e.code, "BRK_ERR_STORAGE_IO");
      assert.match(e.message, /EBADF/);
      return true;
    });
    assert.throws(() => broken.write(readOnly, Buffer.from("again"), 0), StorageError);
    assert.throws(() => broken.waitSync(seq), StorageError);
    closeSync(readOnly);
    await withFile(async (fd, okPath) => {
      await healthy.whenDone(healthy.write(fd, Buffer.from("fine"), 0));
      assert.equal(readFileSync(okPath, "utf8"), "fine");
    });
  } finally {
    dir.cleanup();
  }
});

test("a log whose writes fail goes offline: KAFKA_STORAGE_ERROR, and nothing more counts as written", async () => {
  const dir = tempDir();
  const errors: string[] = [];
  const manager = await openManager(
    dir.path,
    newClock(),
    {},
    {
      onBackgroundError: (_e, context) => errors.push(context),
    },
  );
  try {
    const log = manager.getOrCreateLog({ topic: "failing", partition: 0 });
    log.appendAsLeader(makeBatch({ values: ["kept"] }), 0);
    await log.whenWritten();
    assert.equal(log.writtenEndOffset, 1n);
    // What the writer thread reports when the disk refuses a write (EIO).
    log.storageEnv.writes.failWith(-5);
    const isStorageError = (e: unknown) =>
      e instanceof KafkaError && e.errorCode === ErrorCode.KAFKA_STORAGE_ERROR;
    assert.throws(() => log.appendAsLeader(makeBatch({ values: ["refused"] }), 0), isStorageError);
    await assert.rejects(log.whenWritten(), isStorageError);
    assert.equal(log.isOffline, true);
    assert.equal(log.writtenEndOffset, 1n);
    assert.ok(
      errors.some((c) => c.includes("failing-0")),
      "reported once as a background error",
    );
  } finally {
    manager.closeUncleanly();
    dir.cleanup();
  }
});

test("an idle writer thread retires; the next queued write starts a new one, in order", async () => {
  const writer = new SegmentWriter({ ringBytes, slots: 16, policy: "always" });
  const channel = writer.channel();
  await withFile(async (fd, path) => {
    channel.waitSync(channel.write(fd, Buffer.from("first "), 0));
    assert.equal(writer.threadRunning, true);
    writer.retireNowIfIdle();
    assert.equal(writer.threadRunning, false);
    assert.equal(writer.stats().threadsRetired, 1);
    const seq = channel.write(fd, Buffer.from("second"), 6);
    assert.ok(seq > 0, "queued to a new thread");
    await channel.whenDone(seq);
    assert.equal(readFileSync(path, "utf8"), "first second");
    assert.equal(writer.stats().threadsStarted, 2);
    assert.equal(writer.stats().bytesQueuedTotal, 12);
  });
});

test("a writer thread with writes outstanding does not retire", async () => {
  const writer = new SegmentWriter({ ringBytes, slots: 16, policy: "always" });
  const channel = writer.channel();
  await withFile(async (fd, path) => {
    channel.waitSync(channel.write(fd, Buffer.from("a"), 0));
    writer.hold();
    const seq = channel.write(fd, Buffer.from("b"), 1);
    writer.retireNowIfIdle();
    assert.equal(writer.threadRunning, true, "held with a write queued");
    writer.release();
    await channel.whenDone(seq);
    assert.equal(readFileSync(path, "utf8"), "ab");
  });
});
