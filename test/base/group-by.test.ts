import assert from "node:assert/strict";
import { test } from "node:test";
import { groupBy } from "../../src/base/index.js";

test("groupBy keeps first-seen key order and each list in item order", () => {
  const items = [
    { topic: "b", partition: 2 },
    { topic: "a", partition: 0 },
    { topic: "b", partition: 0 },
  ];
  assert.deepEqual(
    [
      ...groupBy(
        items,
        (i) => i.topic,
        (i) => i.partition,
      ),
    ],
    [
      ["b", [2, 0]],
      ["a", [0]],
    ],
  );
  assert.deepEqual(
    [...groupBy(items, (i) => i.partition)].map(([k, v]) => [k, v.length]),
    [
      [2, 1],
      [0, 2],
    ],
  );
});
