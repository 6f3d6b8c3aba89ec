import assert from "node:assert/strict";
import { execFile, spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { fileURLToPath } from "node:url";
import { ConfigError } from "../../../src/base/index.js";
import { EtcdKvStore, type EtcdKvStoreOptions } from "../../../src/metadata/store/etcd-kv-store.js";
import { KvUnavailable } from "../../../src/metadata/store/kv-store.js";
import { EtcdCluster, freePorts, makeTestCertificates } from "../../helpers/etcd-process.js";
import { kvStoreConformance, WatchRecorder } from "./kv-store-conformance.js";

/** Short enough to keep the failure cases fast, long enough for a loaded 2-core machine. */
const REQUEST_TIMEOUT_MS = 1_000;

let shared: EtcdCluster | undefined;
before(async () => {
  shared = await EtcdCluster.start();
});
after(async () => {
  await shared?.dispose();
});

function connect(cluster: EtcdCluster, options: Partial<EtcdKvStoreOptions> = {}): Promise<EtcdKvStore> {
  return EtcdKvStore.connect({
    endpoints: cluster.endpoints,
    connectionTimeoutMs: 5_000,
    requestTimeoutMs: REQUEST_TIMEOUT_MS,
    ...options,
  });
}

kvStoreConformance("etcd", async () => {
  const cluster = shared as EtcdCluster;
  const store = await connect(cluster);
  return {
    store,
    compact: async (revision) => {
      await cluster.etcdctl(["compact", revision.toString()]);
    },
    cleanup: () => store.close(),
  };
});

/** Resolves to how long the promise took to reject, after checking that it rejected with `type`. */
async function rejectsWithin(
  promise: Promise<unknown>,
  type: abstract new (...args: never[]) => Error,
): Promise<number> {
  const started = Date.now();
  await assert.rejects(promise, (error: unknown) => {
    assert.ok(error instanceof type, `expected ${type.name}, got ${String(error)}`);
    return true;
  });
  return Date.now() - started;
}

/** Retries `fn` until it resolves (the cluster is recovering), for at most `timeoutMs`. */
async function eventually<T>(fn: () => Promise<T>, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await fn();
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
}

const put = (store: EtcdKvStore, key: string, value: string) =>
  store.txn([], [{ type: "put", key, value: Buffer.from(value) }]);

describe("EtcdKvStore", () => {
  test("importing the store loads no gRPC: etcd3 is loaded by connect()", async () => {
    const module = fileURLToPath(new URL("../../../src/metadata/store/etcd-kv-store.js", import.meta.url));
    const script = `
      import { createRequire } from "node:module";
      await import(${JSON.stringify(module)});
      const loaded = Object.keys(createRequire(import.meta.url).cache);
      console.log(JSON.stringify(loaded.filter((p) => /[\\\\/](@grpc|etcd3)[\\\\/]/.test(p))));`;
    const stdout = await new Promise<string>((resolve, reject) => {
      execFile(process.execPath, ["--input-type=module", "-e", script], (error, out, err) =>
        error ? reject(new Error(`${error.message}\n${err}`)) : resolve(out),
      );
    });
    assert.deepEqual(JSON.parse(stdout), []);
  });

  test("connect rejects with KvUnavailable when no member answers within connectionTimeoutMs", async () => {
    const [port] = await freePorts(1);
    const took = await rejectsWithin(
      EtcdKvStore.connect({
        endpoints: [`127.0.0.1:${port}`],
        connectionTimeoutMs: 500,
        requestTimeoutMs: 500,
      }),
      KvUnavailable,
    );
    assert.ok(took < 1_500, `took ${took} ms`);
  });

  test("connect refuses bad options with ConfigError", async () => {
    await assert.rejects(EtcdKvStore.connect({ endpoints: [] }), ConfigError);
    await assert.rejects(EtcdKvStore.connect({ endpoints: ["http://a:1"] }), ConfigError);
    await assert.rejects(EtcdKvStore.connect({ endpoints: ["a:1"], requestTimeoutMs: 0 }), ConfigError);
    await assert.rejects(EtcdKvStore.connect({ endpoints: ["a:1"], ca: "/nonexistent/ca.pem" }), ConfigError);
    await assert.rejects(EtcdKvStore.connect({ endpoints: ["a:1"], username: "u" }), ConfigError);
  });

  test("a range reads page by page at one revision, in smaller pages when a page is too large", async () => {
    const cluster = shared as EtcdCluster;
    const store = await connect(cluster, { rangePageKeys: 7, responseBytesMax: 64 * 1024 });
    try {
      const value = (i: number, round: number) =>
        `${round}:${String(i).padStart(2, "0")}:${"x".repeat(10_000)}`;
      for (let i = 0; i < 20; i++) await put(store, `/pages/k${String(i).padStart(2, "0")}`, value(i, 0));
      const writes = (async () => {
        for (let i = 0; i < 20; i++) await put(store, `/pages/k${String(i).padStart(2, "0")}`, value(i, 1));
      })();
      const { entries, revision } = await store.range("/pages/");
      await writes;
      assert.deepEqual(
        entries.map((e) => e.key),
        Array.from({ length: 20 }, (_, i) => `/pages/k${String(i).padStart(2, "0")}`),
      );
      for (const e of entries)
        assert.ok(e.modRevision <= revision, `${e.key} at ${e.modRevision} > ${revision}`);
      // One snapshot: the keys rewritten by then are exactly those written at or before its revision.
      const rewritten = entries.filter((e) => e.value.toString().startsWith("1:"));
      assert.deepEqual(
        rewritten.map((e) => e.key),
        entries.slice(0, rewritten.length).map((e) => e.key),
      );
    } finally {
      await store.close();
    }
  });

  test("etcd killed: requests reject with KvUnavailable within requestTimeoutMs, watches fail; after a restart the store works again", async () => {
    const cluster = await EtcdCluster.start();
    let store: EtcdKvStore | undefined;
    try {
      store = await connect(cluster);
      const s = store;
      const { revision } = await put(s, "/k/a", "1");
      const lease = await s.grantLease(60_000);
      const watch = new WatchRecorder();
      s.watch("/k/", revision + 1n, watch.listener);
      await put(s, "/k/a", "2");
      await watch.until((events) => events.length >= 1, "a live event");

      await cluster.kill(0);
      const failure = await watch.untilFailed();
      assert.ok(failure instanceof KvUnavailable, String(failure));

      const took = await Promise.all([
        rejectsWithin(s.range("/k/"), KvUnavailable),
        rejectsWithin(s.get("/k/a"), KvUnavailable),
        rejectsWithin(put(s, "/k/b", "1"), KvUnavailable),
        rejectsWithin(s.grantLease(5_000), KvUnavailable),
        rejectsWithin(s.keepAlive(lease.id), KvUnavailable),
        rejectsWithin(s.revokeLease(lease.id), KvUnavailable),
      ]);
      for (const ms of took) assert.ok(ms <= REQUEST_TIMEOUT_MS + 250, `rejected after ${ms} ms`);
      const late = new WatchRecorder();
      s.watch("/k/", 1n, late.listener);
      assert.ok((await late.untilFailed()) instanceof KvUnavailable);

      await cluster.restart(0);
      await eventually(() => s.get("/k/a"), 5_000);
      assert.equal((await s.get("/k/a"))?.value.toString(), "2");
      await s.keepAlive(lease.id); // leases survive a restart (etcd renews them on a new leader)
      const again = new WatchRecorder();
      const handle = s.watch("/k/", 1n, again.listener);
      const r = await put(s, "/k/c", "3");
      await again.until(
        (events) => events.some((e) => e.modRevision === r.revision),
        "the put after the restart",
      );
      handle.cancel();
    } finally {
      await store?.close();
      await cluster.dispose();
    }
  });

  test("a 3-member cluster keeps working through the other members when the leader is killed", async () => {
    const cluster = await EtcdCluster.start({ members: 3 });
    let store: EtcdKvStore | undefined;
    try {
      store = await connect(cluster);
      const s = store;
      await put(s, "/c/a", "1");
      const leader = await cluster.leaderIndex();
      await cluster.kill(leader);

      // A new leader within a few election timeouts; from then on every request succeeds.
      await eventually(() => put(s, "/c/a", "2"), 5_000);
      const start = (await s.range("/c/")).revision;
      const watch = new WatchRecorder();
      s.watch("/c/", start + 1n, watch.listener);
      for (let i = 0; i < 30; i++) {
        await put(s, `/c/k${i}`, `v${i}`);
        assert.equal((await s.get(`/c/k${i}`))?.value.toString(), `v${i}`);
      }
      const lease = await s.grantLease(5_000);
      await s.keepAlive(lease.id);
      await s.revokeLease(lease.id);
      await watch.until((events) => events.length >= 30, "30 events");
      assert.equal((await s.range("/c/")).entries.length, 31);

      // A second kill leaves no quorum: writes time out, and a watch on the member left alone
      // (sent with etcd's "hasleader") is ended by that member when it finds itself without a leader.
      const survivor = [0, 1, 2].find((i) => i !== leader) as number;
      const alone = await connect(cluster, { endpoints: [cluster.member(survivor).endpoint] });
      try {
        const aloneWatch = new WatchRecorder();
        alone.watch("/c/", 1n, aloneWatch.listener);
        await aloneWatch.until((events) => events.length >= 32, "the history");
        await cluster.kill([0, 1, 2].find((i) => i !== leader && i !== survivor) as number);
        const took = await rejectsWithin(put(s, "/c/z", "1"), KvUnavailable);
        assert.ok(took <= REQUEST_TIMEOUT_MS + 250, `rejected after ${took} ms`);
        const failure = await aloneWatch.untilFailed();
        assert.ok(failure instanceof KvUnavailable, String(failure));
        assert.match(failure.message, /no leader/);
        assert.ok((await watch.untilFailed()) instanceof KvUnavailable);
      } finally {
        await alone.close();
      }
    } finally {
      await store?.close();
      await cluster.dispose();
    }
  });

  test("etcd authentication: username and password; refused credentials are a ConfigError", async () => {
    const cluster = await EtcdCluster.start();
    const stores: EtcdKvStore[] = [];
    try {
      await cluster.etcdctl(["user", "add", "root:secret"]);
      await cluster.etcdctl(["auth", "enable"]);
      const store = await connect(cluster, { username: "root", password: "secret" });
      stores.push(store);
      const watch = new WatchRecorder();
      store.watch("/auth/", 1n, watch.listener);
      const { revision } = await put(store, "/auth/a", "1");
      assert.equal((await store.range("/auth/")).entries.length, 1);
      await watch.until((events) => events.some((e) => e.modRevision === revision), "the put");

      await assert.rejects(connect(cluster, { username: "root", password: "wrong" }), ConfigError);
      const anonymous = await connect(cluster); // etcd answers Status without a user
      stores.push(anonymous);
      await assert.rejects(anonymous.get("/auth/a"), ConfigError);
      const refused = new WatchRecorder();
      anonymous.watch("/auth/", 1n, refused.listener);
      const failure = await refused.untilFailed();
      assert.ok(failure instanceof ConfigError, String(failure));
    } finally {
      for (const store of stores) await store.close();
      await cluster.dispose();
    }
  });

  const noOpenssl = spawnSync("openssl", ["version"]).error !== undefined;
  test("TLS with a client certificate; a client without one is refused", {
    skip: noOpenssl ? "openssl (to make the certificates) is not installed" : false,
  }, async () => {
    const dir = mkdtempSync(join(tmpdir(), "brook-etcd-tls-"));
    let cluster: EtcdCluster | undefined;
    let store: EtcdKvStore | undefined;
    try {
      const certificates = await makeTestCertificates(dir);
      cluster = await EtcdCluster.start({
        tls: {
          caFile: certificates.caFile,
          ...certificates.server,
          clientCertAuth: true,
          client: certificates.client,
        },
      });
      const tls = {
        ca: certificates.caFile,
        cert: certificates.client.certFile,
        key: certificates.client.keyFile,
      };
      store = await connect(cluster, tls);
      const s = store;
      const watch = new WatchRecorder();
      s.watch("/tls/", 1n, watch.listener);
      const { revision } = await put(s, "/tls/a", "1");
      assert.equal((await s.get("/tls/a"))?.value.toString(), "1");
      await watch.until((events) => events.some((e) => e.modRevision === revision), "the put");
      await assert.rejects(
        connect(cluster, { ca: certificates.caFile, connectionTimeoutMs: 500 }),
        KvUnavailable,
      );
    } finally {
      await store?.close();
      await cluster?.dispose();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
