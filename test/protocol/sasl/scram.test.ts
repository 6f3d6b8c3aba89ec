import assert from "node:assert/strict";
import { test } from "node:test";
import {
  SaslAuthenticationError,
  ScramClient,
  ScramCredentialsError,
  ScramServer,
  scramCredential,
} from "../../../src/protocol/index.js";

// RFC 7677 section 3: user "user", password "pencil".
const SALT = Buffer.from("W22ZaJ0SNY7soEsUEjb6gQ==", "base64");
const CLIENT_NONCE = "rOprNGfwEbeRWgbNEkqO";
const SERVER_NONCE = "%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0";
const CLIENT_FIRST = `n,,n=user,r=${CLIENT_NONCE}`;
const SERVER_FIRST = `r=${CLIENT_NONCE}${SERVER_NONCE},s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096`;
const CLIENT_FINAL = `c=biws,r=${CLIENT_NONCE}${SERVER_NONCE},p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=`;
const SERVER_FINAL = "v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=";

const text = (b: Buffer) => b.toString("utf8");

test("SCRAM-SHA-256 client and server reproduce RFC 7677's exchange byte for byte", () => {
  const credential = scramCredential("SCRAM-SHA-256", "pencil", SALT, 4096);
  const server = new ScramServer(
    "SCRAM-SHA-256",
    (user) => (user === "user" ? credential : null),
    () => SERVER_NONCE,
  );
  const client = new ScramClient("SCRAM-SHA-256", "user", "pencil", CLIENT_NONCE);
  assert.equal(text(client.firstMessage()), CLIENT_FIRST);
  assert.equal(text(server.evaluate(Buffer.from(CLIENT_FIRST))), SERVER_FIRST);
  assert.equal(text(client.finalMessage(Buffer.from(SERVER_FIRST))), CLIENT_FINAL);
  assert.equal(text(server.evaluate(Buffer.from(CLIENT_FINAL))), SERVER_FINAL);
  assert.equal(server.isComplete, true);
  assert.equal(server.username, "user");
  client.verifyServerFinal(Buffer.from(SERVER_FINAL));
});

test("SCRAM-SHA-512 round trip; a wrong password fails the proof, an unknown user the first message", () => {
  const salt = Buffer.from("0123456789abcdef");
  const credential = scramCredential("SCRAM-SHA-512", "alice-secret", salt, 8192);
  assert.equal(credential.storedKey.length, 64);
  const lookup = (user: string) => (user === "alice" ? credential : null);
  const exchange = (user: string, password: string) => {
    const server = new ScramServer("SCRAM-SHA-512", lookup);
    const client = new ScramClient("SCRAM-SHA-512", user, password);
    const serverFirst = server.evaluate(client.firstMessage());
    client.verifyServerFinal(server.evaluate(client.finalMessage(serverFirst)));
    return server.username;
  };
  assert.equal(exchange("alice", "alice-secret"), "alice");
  assert.throws(() => exchange("alice", "wrong"), ScramCredentialsError);
  assert.throws(() => exchange("mallory", "alice-secret"), /Invalid user credentials/);
});

test("a server that does not know the password is refused by the client; a replayed nonce by the server", () => {
  const client = new ScramClient("SCRAM-SHA-256", "user", "pencil", CLIENT_NONCE);
  client.firstMessage();
  client.finalMessage(Buffer.from(SERVER_FIRST));
  assert.throws(
    () => client.verifyServerFinal(Buffer.from("v=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=")),
    SaslAuthenticationError,
  );
  const credential = scramCredential("SCRAM-SHA-256", "pencil", SALT, 4096);
  const server = new ScramServer(
    "SCRAM-SHA-256",
    () => credential,
    () => SERVER_NONCE,
  );
  server.evaluate(Buffer.from(CLIENT_FIRST));
  assert.throws(
    () => server.evaluate(Buffer.from(`c=biws,r=${CLIENT_NONCE}other,p=AAAA`)),
    /Invalid client nonce/,
  );
  const weak = new ScramServer("SCRAM-SHA-256", () => ({ ...credential, iterations: 1000 }));
  assert.throws(
    () => weak.evaluate(Buffer.from(CLIENT_FIRST)),
    /Iterations 1000 is less than the minimum 4096/,
  );
});
