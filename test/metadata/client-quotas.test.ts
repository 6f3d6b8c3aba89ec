import assert from "node:assert/strict";
import { test } from "node:test";
import {
  alterClientQuotas,
  type ClientQuotaAlteration,
  ClientQuotaMatchType,
  type ClientQuotas,
  decodeMetadataRecordValue,
  describeClientQuotas,
  encodeMetadataRecordValue,
  imageFromSnapshot,
  MetadataDelta,
  MetadataImage,
  type MetadataRecord,
  snapshotRecords,
} from "../../src/metadata/index.js";
import { ErrorCode, KafkaError } from "../../src/protocol/index.js";

/**
 * Client quotas in the metadata: the controller's checks and records (Kafka's
 * ClientQuotaControlManager, its messages included), their replay into the image, snapshots, the
 * wire form of ClientQuotaRecord, and DescribeClientQuotas filters (Kafka's ClientQuotasImage).
 */

const anyIp = () => true;
const user = (name: string | null) => ({ entityType: "user", entityName: name });
const client = (name: string | null) => ({ entityType: "client-id", entityName: name });
const ip = (name: string | null) => ({ entityType: "ip", entityName: name });

function apply(image: MetadataImage, records: readonly MetadataRecord[]): MetadataImage {
  const delta = new MetadataDelta(image);
  let offset = image.offset;
  for (const r of records) delta.replay(r, ++offset);
  return delta.apply();
}

function alter(image: MetadataImage, alterations: ClientQuotaAlteration[]) {
  const outcome = alterClientQuotas(image.clientQuotas, alterations, anyIp);
  return { ...outcome, image: apply(image, outcome.records) };
}

test("set, change and remove quotas: records only for what changes, the image follows", () => {
  let image = MetadataImage.EMPTY;
  const first = alter(image, [
    { entity: [user("ANONYMOUS"), client("c1")], ops: [{ key: "producer_byte_rate", value: 1048576 }] },
    { entity: [client(null)], ops: [{ key: "consumer_byte_rate", value: 2048 }] },
  ]);
  assert.deepEqual(
    first.results.map((r) => r.errorCode),
    [ErrorCode.NONE, ErrorCode.NONE],
  );
  assert.equal(first.records.length, 2);
  image = first.image;
  assert.equal(image.clientQuotas.size, 2);
  // The same value again writes nothing; a removal of an unset key writes nothing.
  const again = alter(image, [
    {
      entity: [client("c1"), user("ANONYMOUS")],
      ops: [
        { key: "producer_byte_rate", value: 1048576 },
        { key: "request_percentage", value: null },
      ],
    },
  ]);
  assert.equal(again.records.length, 0);
  assert.equal(again.results[0]?.errorCode, ErrorCode.NONE);
  const removed = alter(image, [
    { entity: [client(null)], ops: [{ key: "consumer_byte_rate", value: null }] },
  ]);
  assert.deepEqual(removed.records, [
    { type: "ClientQuota", entity: [client(null)], key: "consumer_byte_rate", value: 0, remove: true },
  ]);
  assert.equal(removed.image.clientQuotas.size, 1, "an entity without values is dropped");
});

test("Kafka's checks and messages, each entity alone", () => {
  const cases: [ClientQuotaAlteration, string][] = [
    [{ entity: [], ops: [{ key: "producer_byte_rate", value: 1 }] }, "Invalid empty client quota entity"],
    [
      { entity: [{ entityType: "group", entityName: "g" }], ops: [{ key: "producer_byte_rate", value: 1 }] },
      "Unhandled client quota entity type: group",
    ],
    [{ entity: [user("")], ops: [{ key: "producer_byte_rate", value: 1 }] }, "Empty user not supported"],
    [
      { entity: [ip("10.0.0.1"), user("u")], ops: [{ key: "connection_creation_rate", value: 1 }] },
      "Invalid quota entity combination, IP entity shouldnot be combined with User or ClientId",
    ],
    [{ entity: [client("c")], ops: [{ key: "bogus", value: 1 }] }, "Invalid configuration key bogus"],
    [
      { entity: [client("c")], ops: [{ key: "connection_creation_rate", value: 1 }] },
      "Invalid configuration key connection_creation_rate",
    ],
    [
      { entity: [ip(null)], ops: [{ key: "producer_byte_rate", value: 1 }] },
      "Invalid configuration key producer_byte_rate",
    ],
    [
      { entity: [client("c")], ops: [{ key: "producer_byte_rate", value: 0 }] },
      "Quota producer_byte_rate must be greater than 0",
    ],
    [
      { entity: [client("c")], ops: [{ key: "producer_byte_rate", value: 1.5 }] },
      "producer_byte_rate cannot be a fractional value.",
    ],
    [
      { entity: [client("c")], ops: [{ key: "producer_byte_rate", value: 2 ** 64 }] },
      "Proposed value for producer_byte_rate is too large for a LONG.",
    ],
    [
      { entity: [ip(null)], ops: [{ key: "connection_creation_rate", value: 2 ** 31 }] },
      "Proposed value for connection_creation_rate is too large for an INT.",
    ],
    [
      {
        entity: [client("c")],
        ops: [
          { key: "producer_byte_rate", value: 1 },
          { key: "producer_byte_rate", value: 2 },
        ],
      },
      "Ignoring duplicate entity ClientQuotaEntity(entries={client-id=c})",
    ],
  ];
  for (const [alteration, message] of cases) {
    const { records, results } = alterClientQuotas(new Map(), [alteration], anyIp);
    assert.deepEqual(
      results.map((r) => [r.errorCode, r.errorMessage]),
      [[ErrorCode.INVALID_REQUEST, message]],
    );
    assert.equal(records.length, 0);
  }
  // request_percentage is a double: fractions are fine.
  const ok = alterClientQuotas(
    new Map(),
    [{ entity: [user(null)], ops: [{ key: "request_percentage", value: 12.5 }] }],
    anyIp,
  );
  assert.equal(ok.results[0]?.errorCode, ErrorCode.NONE);
  const unresolved = alterClientQuotas(
    new Map(),
    [{ entity: [ip("no-such-host.invalid")], ops: [{ key: "connection_creation_rate", value: 5 }] }],
    () => false,
  );
  assert.equal(
    unresolved.results[0]?.errorMessage,
    "no-such-host.invalid is not a valid IP or resolvable host.",
  );
});

test("one bad entity does not stop the others; an entity named twice keeps its first records and reports the second", () => {
  const { records, results } = alterClientQuotas(
    new Map(),
    [
      { entity: [client("good")], ops: [{ key: "producer_byte_rate", value: 100 }] },
      { entity: [client("bad")], ops: [{ key: "producer_byte_rate", value: -1 }] },
      { entity: [client("good")], ops: [{ key: "consumer_byte_rate", value: 100 }] },
    ],
    anyIp,
  );
  assert.equal(records.length, 1);
  assert.deepEqual(
    results.map((r) => [r.entity.get("client-id"), r.errorCode]),
    [
      ["good", ErrorCode.INVALID_REQUEST],
      ["bad", ErrorCode.INVALID_REQUEST],
    ],
  );
});

test("ClientQuotaRecord: Kafka's wire form round-trips; snapshots keep the quotas", () => {
  const record: MetadataRecord = {
    type: "ClientQuota",
    entity: [user("ANONYMOUS"), client(null)],
    key: "producer_byte_rate",
    value: 1048576,
    remove: false,
  };
  assert.deepEqual(decodeMetadataRecordValue(encodeMetadataRecordValue(record)), record);
  const image = alter(MetadataImage.EMPTY, [
    { entity: [user("u"), client("c")], ops: [{ key: "request_percentage", value: 50 }] },
    { entity: [ip("10.1.2.3")], ops: [{ key: "connection_creation_rate", value: 7 }] },
  ]).image;
  const copy = imageFromSnapshot(snapshotRecords(image), image.offset);
  assert.deepEqual([...copy.clientQuotas.entries()], [...image.clientQuotas.entries()]);
});

function quotasOf(alterations: ClientQuotaAlteration[]): ClientQuotas {
  return alter(MetadataImage.EMPTY, alterations).image.clientQuotas;
}

test("DescribeClientQuotas filters: exact, default and specified matches, strict or not", () => {
  const quotas = quotasOf([
    { entity: [user("alice")], ops: [{ key: "producer_byte_rate", value: 1 }] },
    { entity: [user("alice"), client("app")], ops: [{ key: "producer_byte_rate", value: 2 }] },
    { entity: [user(null)], ops: [{ key: "producer_byte_rate", value: 3 }] },
    { entity: [client(null)], ops: [{ key: "consumer_byte_rate", value: 4 }] },
    { entity: [ip("10.0.0.1")], ops: [{ key: "connection_creation_rate", value: 5 }] },
  ]);
  const values = (components: Parameters<typeof describeClientQuotas>[1], strict = false) =>
    describeClientQuotas(quotas, components, strict)
      .map((e) => [...e.values.values()][0])
      .sort();
  const exact = ClientQuotaMatchType.exact;
  assert.deepEqual(values([]), [1, 2, 3, 4, 5]);
  assert.deepEqual(values([], true), []);
  assert.deepEqual(values([{ entityType: "user", matchType: exact, match: "alice" }]), [1, 2]);
  assert.deepEqual(values([{ entityType: "user", matchType: exact, match: "alice" }], true), [1]);
  assert.deepEqual(
    values([{ entityType: "user", matchType: ClientQuotaMatchType.default, match: null }]),
    [3],
  );
  assert.deepEqual(
    values([{ entityType: "user", matchType: ClientQuotaMatchType.specified, match: null }]),
    [1, 2, 3],
  );
  assert.deepEqual(
    values([{ entityType: "client-id", matchType: ClientQuotaMatchType.specified, match: null }]),
    [2, 4],
  );
  assert.deepEqual(values([{ entityType: "ip", matchType: exact, match: "10.0.0.1" }]), [5]);
});

test("DescribeClientQuotas: Kafka's errors for bad filters", () => {
  const cases: [Parameters<typeof describeClientQuotas>[1], number, string][] = [
    [[{ entityType: "", matchType: 0, match: "x" }], ErrorCode.INVALID_REQUEST, "Invalid empty entity type."],
    [
      [
        { entityType: "user", matchType: 0, match: "x" },
        { entityType: "user", matchType: 1, match: null },
      ],
      ErrorCode.INVALID_REQUEST,
      "Entity type user cannot appear more than once in the filter.",
    ],
    [
      [{ entityType: "group", matchType: 0, match: "x" }],
      ErrorCode.UNSUPPORTED_VERSION,
      "Unsupported entity type group",
    ],
    [
      [{ entityType: "user", matchType: 0, match: null }],
      ErrorCode.INVALID_REQUEST,
      "Request specified MATCH_TYPE_EXACT, but set match string to null.",
    ],
    [
      [{ entityType: "user", matchType: 1, match: "x" }],
      ErrorCode.INVALID_REQUEST,
      "Request specified MATCH_TYPE_DEFAULT, but also specified a match string.",
    ],
    [
      [{ entityType: "user", matchType: 2, match: "x" }],
      ErrorCode.INVALID_REQUEST,
      "Request specified MATCH_TYPE_SPECIFIED, but also specified a match string.",
    ],
    [[{ entityType: "user", matchType: 7, match: null }], ErrorCode.INVALID_REQUEST, "Unknown match type 7"],
    [
      [
        { entityType: "ip", matchType: 2, match: null },
        { entityType: "user", matchType: 2, match: null },
      ],
      ErrorCode.INVALID_REQUEST,
      "Invalid entity filter component combination. IP filter component should not be used with user or clientId filter component.",
    ],
  ];
  for (const [components, errorCode, message] of cases) {
    assert.throws(
      () => describeClientQuotas(new Map(), components, false),
      (error: unknown) =>
        error instanceof KafkaError && error.errorCode === errorCode && error.message === message,
      message,
    );
  }
});
