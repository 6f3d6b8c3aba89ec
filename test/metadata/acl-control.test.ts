import assert from "node:assert/strict";
import { test } from "node:test";
import {
  type AclCreation,
  createAcls,
  decodeMetadataRecordValue,
  deleteAcls,
  encodeMetadataRecordValue,
  imageFromSnapshot,
  MetadataDelta,
  MetadataImage,
  type MetadataRecord,
  snapshotRecords,
} from "../../src/metadata/index.js";
import {
  type AclBindingFilter,
  AclPermissionType,
  ErrorCode,
  AclOperation as Op,
  PatternType,
  ResourceType,
} from "../../src/protocol/index.js";

/** The controller's CreateAcls and DeleteAcls (Kafka's AclControlManager and AclApis' checks), and ACLs as records. */

const { ALLOW, DENY } = AclPermissionType;
const { LITERAL, PREFIXED, ANY, MATCH } = PatternType;
const { TOPIC, GROUP, CLUSTER } = ResourceType;

function creation(overrides: Partial<AclCreation> = {}): AclCreation {
  return {
    resourceType: TOPIC,
    resourceName: "t",
    resourcePatternType: LITERAL,
    principal: "User:alice",
    host: "*",
    operation: Op.READ,
    permissionType: ALLOW,
    ...overrides,
  };
}

let nextId = 0;
const newId = () => `id-${nextId++}`;

function apply(image: MetadataImage, records: readonly MetadataRecord[]): MetadataImage {
  const delta = new MetadataDelta(image);
  let offset = image.offset;
  for (const r of records) delta.replay(r, ++offset);
  return delta.apply();
}

test("CreateAcls: Kafka's INVALID_REQUEST messages, one result per creation, records only for valid new ACLs", () => {
  const { records, results } = createAcls(
    MetadataImage.EMPTY.acls,
    [
      creation(),
      creation({ resourceType: CLUSTER, resourceName: "my-cluster" }),
      creation({ resourceName: "" }),
      creation({ resourceType: 99 }),
      creation({ resourcePatternType: 42 }),
      creation({ operation: 77 }),
      creation({ permissionType: 9 }),
      creation({ principal: "alice" }),
      creation({ resourceType: CLUSTER, resourceName: "kafka-cluster", operation: Op.ALTER }),
    ],
    newId,
  );
  const invalid = (errorMessage: string) => ({ errorCode: ErrorCode.INVALID_REQUEST, errorMessage });
  assert.deepEqual(results, [
    { errorCode: ErrorCode.NONE, errorMessage: null },
    invalid("The only valid name for the CLUSTER resource is kafka-cluster"),
    invalid("Invalid empty resource name"),
    invalid("Invalid resourceType UNKNOWN"),
    invalid("Invalid patternType UNKNOWN"),
    invalid("Invalid operation UNKNOWN"),
    invalid("Invalid permissionType UNKNOWN"),
    invalid(
      "Could not parse principal from `alice` (no colon is present separating the principal type from the principal name)",
    ),
    { errorCode: ErrorCode.NONE, errorMessage: null },
  ]);
  assert.equal(records.length, 2);
  assert.deepEqual(
    records.map((r) => r.type),
    ["AccessControlEntry", "AccessControlEntry"],
  );
});

test("duplicates are successes that write nothing, within a request and against the image", () => {
  const first = createAcls(MetadataImage.EMPTY.acls, [creation(), creation()], newId);
  assert.equal(first.records.length, 1);
  assert.equal(first.results.length, 2);
  const image = apply(MetadataImage.EMPTY, first.records);
  const again = createAcls(image.acls, [creation(), creation({ permissionType: DENY })], newId);
  assert.deepEqual(
    again.results.map((r) => r.errorCode),
    [ErrorCode.NONE, ErrorCode.NONE],
  );
  assert.equal(again.records.length, 1, "only the DENY is new");
});

test("DeleteAcls: filters as Kafka matches them, each ACL removed once, UNKNOWN filters refused", () => {
  const created = createAcls(
    MetadataImage.EMPTY.acls,
    [
      creation({ resourceName: "orders" }),
      creation({ resourceName: "orders", principal: "User:bob", operation: Op.WRITE }),
      creation({ resourceName: "ord", resourcePatternType: PREFIXED }),
      creation({ resourceName: "*" }),
      creation({ resourceType: GROUP, resourceName: "g", operation: Op.READ }),
    ],
    newId,
  );
  const image = apply(MetadataImage.EMPTY, created.records);
  assert.equal(image.acls.size, 5);
  const filter = (
    resourceType: number,
    name: string | null,
    patternType: number,
    principal: string | null = null,
  ): AclBindingFilter => ({
    patternFilter: { resourceType, name, patternType },
    entryFilter: { principal, host: null, operation: Op.ANY, permissionType: AclPermissionType.ANY },
  });
  const names = (acls: readonly { resourceName: string }[]) => acls.map((a) => a.resourceName).sort();
  const { results, records } = deleteAcls(image.acls, [
    filter(TOPIC, "orders", LITERAL), // exactly the literal "orders" ACLs
    filter(TOPIC, "orders", MATCH), // literal orders, literal *, prefixed ord (the two literal again)
    filter(ResourceType.ANY, null, ANY, "User:bob"), // bob's, already matched
    filter(TOPIC, "x", 42), // an UNKNOWN pattern type
    { ...filter(TOPIC, null, ANY), entryFilter: { ...filter(TOPIC, null, ANY).entryFilter, operation: 99 } },
  ]);
  assert.deepEqual(names(results[0]?.matchingAcls ?? []), ["orders", "orders"]);
  assert.deepEqual(names(results[1]?.matchingAcls ?? []), ["*", "ord", "orders", "orders"]);
  assert.deepEqual(names(results[2]?.matchingAcls ?? []), ["orders"]);
  assert.deepEqual(results[3], {
    errorCode: ErrorCode.INVALID_REQUEST,
    errorMessage: "Unknown patternFilter.",
    matchingAcls: [],
  });
  assert.deepEqual(results[4], {
    errorCode: ErrorCode.INVALID_REQUEST,
    errorMessage: "Unknown entryFilter.",
    matchingAcls: [],
  });
  assert.equal(records.length, 4, "each matched ACL is removed once");
  const after = apply(image, records);
  assert.deepEqual(
    [...after.acls.byId.values()].map((a) => a.resourceName),
    ["g"],
  );
});

test("ACL records round-trip through the metadata log's wire form and through a snapshot", () => {
  const { records } = createAcls(
    MetadataImage.EMPTY.acls,
    [creation(), creation({ resourceType: GROUP, resourcePatternType: PREFIXED, host: "10.0.0.1" })],
    () => `acl${nextId++}`.padEnd(22, "A"),
  );
  for (const r of records) assert.deepEqual(decodeMetadataRecordValue(encodeMetadataRecordValue(r)), r);
  const removal: MetadataRecord = { type: "RemoveAccessControlEntry", id: "AAAAAAAAAAAAAAAAAAAAAQ" };
  assert.deepEqual(decodeMetadataRecordValue(encodeMetadataRecordValue(removal)), removal);
  const image = apply(MetadataImage.EMPTY, records);
  const rebuilt = imageFromSnapshot(snapshotRecords(image), image.offset);
  assert.deepEqual([...rebuilt.acls.byId], [...image.acls.byId]);
  // Records that change no ACL keep the ACLs (and the index built for them).
  const index = image.acls.index;
  const later = apply(image, [{ type: "FeatureLevel", name: "x", featureLevel: 1 }]);
  assert.equal(later.acls, image.acls);
  assert.equal(later.acls.index, index);
});
