import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import { DeadlineQueue } from "../../src/coordinator/deadline-queue.js";

test("timers fire in deadline order, ties in scheduling order; a key's timer is replaced", () => {
  const q = new DeadlineQueue<string>();
  q.schedule("a", 30, "a1");
  q.schedule("b", 10, "b");
  q.schedule("c", 10, "c");
  q.schedule("a", 5, "a2");
  assert.equal(q.size, 3);
  assert.equal(q.nextDeadlineMs(), 5);
  assert.equal(q.popExpired(4), undefined);
  assert.deepEqual(q.popExpired(100), { key: "a", action: "a2" });
  assert.deepEqual(q.popExpired(100), { key: "b", action: "b" });
  q.cancel("c");
  assert.equal(q.popExpired(100), undefined);
  assert.equal(q.nextDeadlineMs(), undefined);
});

test("matches a simple model under random schedules and cancels", () => {
  fc.assert(
    fc.property(
      fc.array(
        fc.oneof(
          fc.record({
            op: fc.constant("schedule" as const),
            key: fc.integer({ min: 0, max: 20 }),
            at: fc.integer({ min: 0, max: 100 }),
          }),
          fc.record({ op: fc.constant("cancel" as const), key: fc.integer({ min: 0, max: 20 }) }),
          fc.record({ op: fc.constant("pop" as const), now: fc.integer({ min: 0, max: 100 }) }),
        ),
        { maxLength: 300 },
      ),
      (ops) => {
        const q = new DeadlineQueue<number>();
        const model = new Map<string, { at: number; seq: number }>();
        let seq = 0;
        for (const o of ops) {
          if (o.op === "schedule") {
            q.schedule(String(o.key), o.at, seq);
            model.set(String(o.key), { at: o.at, seq: seq++ });
          } else if (o.op === "cancel") {
            q.cancel(String(o.key));
            model.delete(String(o.key));
          } else {
            const due = [...model]
              .filter(([, v]) => v.at <= o.now)
              .sort((x, y) => x[1].at - y[1].at || x[1].seq - y[1].seq);
            const got = q.popExpired(o.now);
            if (due.length === 0) assert.equal(got, undefined);
            else {
              const [key, v] = due[0] as [string, { at: number; seq: number }];
              assert.deepEqual(got, { key, action: v.seq });
              model.delete(key);
            }
          }
          assert.equal(q.size, model.size);
        }
      },
    ),
  );
});
