import assert from "node:assert/strict";
import { test } from "node:test";
import {
  alterScramCredentials,
  decodeMetadataRecordValue,
  encodeMetadataRecordValue,
  imageFromSnapshot,
  MetadataDelta,
  MetadataImage,
  type MetadataRecord,
  snapshotRecords,
} from "../../src/metadata/index.js";
import { ErrorCode, ScramClient, ScramServer, saltedPassword } from "../../src/protocol/index.js";

const SALT = Buffer.from("pepper-and-salt!");
const upsert = (name: string, iterations = 4096, mechanism = 1, password = "secret") => ({
  name,
  mechanism,
  iterations,
  salt: SALT,
  saltedPassword: saltedPassword(
    mechanism === 1 ? "SCRAM-SHA-256" : "SCRAM-SHA-512",
    password,
    SALT,
    iterations,
  ),
});

function apply(image: MetadataImage, records: readonly MetadataRecord[]): MetadataImage {
  const delta = new MetadataDelta(image);
  let offset = image.offset;
  for (const r of records) delta.replay(r, ++offset);
  return delta.apply();
}

test("the controller keeps stored and server keys, never the salted password; a client logs in against them", () => {
  const { records, results } = alterScramCredentials(new Map(), [], [upsert("alice", 8192)]);
  assert.deepEqual(results, [{ user: "alice", errorCode: ErrorCode.NONE, errorMessage: null }]);
  const image = apply(MetadataImage.EMPTY, records);
  const stored = image.scramCredentials.get("alice")?.get(1);
  assert.ok(stored);
  assert.equal(stored.iterations, 8192);
  assert.ok(
    !Object.values(stored).some((v) => Buffer.isBuffer(v) && v.equals(upsert("alice", 8192).saltedPassword)),
  );
  const server = new ScramServer("SCRAM-SHA-256", (user) => image.scramCredentials.get(user)?.get(1) ?? null);
  const client = new ScramClient("SCRAM-SHA-256", "alice", "secret");
  client.verifyServerFinal(server.evaluate(client.finalMessage(server.evaluate(client.firstMessage()))));
  assert.equal(server.username, "alice");
});

test("Kafka's checks, user by user: duplicates, unknown mechanisms, iterations, deletions of nothing", () => {
  const existing = apply(MetadataImage.EMPTY, alterScramCredentials(new Map(), [], [upsert("bob")]).records);
  const { records, results } = alterScramCredentials(
    existing.scramCredentials,
    [
      { name: "bob", mechanism: 1 },
      { name: "nobody", mechanism: 1 },
    ],
    [
      upsert("twice"),
      upsert("twice", 4096, 2),
      upsert("", 4096),
      upsert("weak", 4095),
      upsert("strong", 16385),
      { ...upsert("odd"), mechanism: 3 },
      upsert("ok", 16384, 2),
    ],
  );
  const byUser = Object.fromEntries(results.map((r) => [r.user, [r.errorCode, r.errorMessage]]));
  assert.deepEqual(byUser, {
    bob: [ErrorCode.NONE, null],
    ok: [ErrorCode.NONE, null],
    nobody: [ErrorCode.RESOURCE_NOT_FOUND, "Attempt to delete a user credential that does not exist"],
    twice: [ErrorCode.DUPLICATE_RESOURCE, "A user credential cannot be altered twice in the same request"],
    "": [ErrorCode.UNACCEPTABLE_CREDENTIAL, "Username must not be empty"],
    weak: [ErrorCode.UNACCEPTABLE_CREDENTIAL, "Too few iterations"],
    strong: [ErrorCode.UNACCEPTABLE_CREDENTIAL, "Too many iterations"],
    odd: [ErrorCode.UNSUPPORTED_SASL_MECHANISM, "Unknown SCRAM mechanism"],
  });
  const after = apply(existing, records);
  assert.deepEqual([...after.scramCredentials.keys()], ["ok"], "bob deleted, ok added, nothing else");
});

test("credentials survive the wire codec and snapshots as UserScramCredentialRecords", () => {
  const records = alterScramCredentials(new Map(), [], [upsert("alice"), upsert("carol", 5000, 2)]).records;
  const decoded = records.map((r) => decodeMetadataRecordValue(encodeMetadataRecordValue(r)));
  assert.deepEqual(decoded, records);
  const removal: MetadataRecord = { type: "RemoveUserScramCredential", name: "alice", mechanism: 1 };
  assert.deepEqual(decodeMetadataRecordValue(encodeMetadataRecordValue(removal)), removal);
  const image = apply(MetadataImage.EMPTY, records);
  const restored = imageFromSnapshot(snapshotRecords(image), image.offset);
  assert.deepEqual(restored.scramCredentials, image.scramCredentials);
});
