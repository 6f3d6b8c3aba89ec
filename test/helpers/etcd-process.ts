import { type ChildProcess, execFile, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { request as httpRequest } from "node:http";
import { request as httpsRequest } from "node:https";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";

/**
 * Real etcd processes for tests (Debian's etcd-server: /usr/bin/etcd): one member or a cluster of
 * several, on free loopback ports, with their data in a temporary directory (in /dev/shm when it
 * exists: etcd fsyncs its WAL on every commit). `start` returns once every member answers
 * /health; members can then be SIGKILLed, stopped and restarted on the same ports and data.
 * Every process and directory is removed by `dispose()`, and when the test process exits or is
 * interrupted, even after a failed assertion.
 *
 * Raft timing is shortened (heartbeat 100 ms, election 500 ms) so that a new leader is elected in
 * about a second after a kill, and etcd's minimum lease TTL (1.5 election timeouts, rounded up to
 * whole seconds) is 1 s instead of 2.
 */

export const ETCD_BINARY = process.env.BROOK_ETCD_BINARY ?? "/usr/bin/etcd";
export const ETCDCTL_BINARY = process.env.BROOK_ETCDCTL_BINARY ?? "/usr/bin/etcdctl";

const READY_TIMEOUT_MS = 20_000;
const STOP_TIMEOUT_MS = 10_000;
const HEALTH_POLL_MS = 50;
/** Tries of a start whose ports another process took between choosing and binding them. */
const START_ATTEMPTS_MAX = 3;
/** Bytes of output kept per member (the tail). */
const OUTPUT_KEPT_BYTES = 64 * 1024;

export interface EtcdClusterOptions {
  /** Members (1 or 3 usually); default 1. */
  readonly members?: number;
  readonly heartbeatIntervalMs?: number;
  readonly electionTimeoutMs?: number;
  /** More etcd flags for every member. */
  readonly extraArgs?: readonly string[];
  /** Serve clients over TLS with these files (see `makeTestCertificates`); peers stay on plain HTTP. */
  readonly tls?: EtcdTls;
  /**
   * The directory the members' data directories go under (a new directory is made in it and
   * removed by `dispose()`). Default /dev/shm when it exists, else the system's temp directory.
   */
  readonly dataRoot?: string;
}

export interface EtcdTls {
  readonly caFile: string;
  readonly certFile: string;
  readonly keyFile: string;
  /** Members require a client certificate signed by the CA; the helper's own calls present `client`. */
  readonly clientCertAuth?: boolean;
  readonly client?: { readonly certFile: string; readonly keyFile: string };
}

export interface EtcdMember {
  readonly name: string;
  readonly clientPort: number;
  readonly peerPort: number;
  /** host:port, as EtcdKvStore takes it. */
  readonly endpoint: string;
  readonly clientUrl: string;
  readonly dataDir: string;
}

interface MemberProcess {
  child: ChildProcess | null;
  exited: Promise<void>;
  output: string;
}

const live = new Set<EtcdCluster>();
function disposeAll(): void {
  for (const cluster of live) cluster.disposeSync();
}
process.on("exit", disposeAll);
for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.once(signal, () => {
    disposeAll();
    process.kill(process.pid, signal);
  });
}

export class EtcdCluster {
  readonly members: readonly EtcdMember[];
  private readonly root: string;
  private readonly args: readonly string[];
  private readonly tls: EtcdTls | undefined;
  private readonly processes: MemberProcess[];
  private disposed = false;

  private constructor(
    root: string,
    members: EtcdMember[],
    args: readonly string[],
    tls: EtcdTls | undefined,
  ) {
    this.root = root;
    this.members = members;
    this.args = args;
    this.tls = tls;
    this.processes = members.map(() => ({ child: null, exited: Promise.resolve(), output: "" }));
  }

  /** Starts the members on free ports and waits until each answers /health. */
  static async start(options: EtcdClusterOptions = {}): Promise<EtcdCluster> {
    if (!existsSync(ETCD_BINARY)) throw new Error(`${ETCD_BINARY} is missing (apt-get install etcd-server)`);
    let lastError: unknown;
    for (let attempt = 1; attempt <= START_ATTEMPTS_MAX; attempt++) {
      const cluster = await EtcdCluster.create(options);
      try {
        await Promise.all(cluster.members.map((_, i) => cluster.spawnMember(i)));
        await Promise.all(cluster.members.map((_, i) => cluster.waitHealthy(i)));
        return cluster;
      } catch (error) {
        lastError = error;
        const portTaken = cluster.processes.some((p) => p.output.includes("address already in use"));
        await cluster.dispose();
        if (!portTaken) throw error;
      }
    }
    throw lastError;
  }

  private static async create(options: EtcdClusterOptions): Promise<EtcdCluster> {
    const count = options.members ?? 1;
    const ports = await freePorts(2 * count);
    const base =
      options.dataRoot ??
      (existsSync("/dev/shm") && statSync("/dev/shm").isDirectory() ? "/dev/shm" : tmpdir());
    const root = mkdtempSync(join(base, "brook-etcd-"));
    const members: EtcdMember[] = [];
    const scheme = options.tls ? "https" : "http";
    for (let i = 0; i < count; i++) {
      const clientPort = ports[2 * i] as number;
      const peerPort = ports[2 * i + 1] as number;
      members.push({
        name: `m${i}`,
        clientPort,
        peerPort,
        endpoint: `127.0.0.1:${clientPort}`,
        clientUrl: `${scheme}://127.0.0.1:${clientPort}`,
        dataDir: join(root, `m${i}`),
      });
    }
    const initialCluster = members.map((m) => `${m.name}=http://127.0.0.1:${m.peerPort}`).join(",");
    const args = [
      `--initial-cluster=${initialCluster}`,
      "--initial-cluster-state=new",
      `--initial-cluster-token=brook-test-${randomBytes(6).toString("hex")}`,
      `--heartbeat-interval=${options.heartbeatIntervalMs ?? 100}`,
      `--election-timeout=${options.electionTimeoutMs ?? 500}`,
      "--logger=zap",
      "--log-outputs=stderr",
      "--log-level=warn",
      ...(options.tls
        ? [
            `--cert-file=${options.tls.certFile}`,
            `--key-file=${options.tls.keyFile}`,
            `--trusted-ca-file=${options.tls.caFile}`,
            ...(options.tls.clientCertAuth ? ["--client-cert-auth"] : []),
          ]
        : []),
      ...(options.extraArgs ?? []),
    ];
    const cluster = new EtcdCluster(root, members, args, options.tls);
    live.add(cluster);
    return cluster;
  }

  /** The client endpoints (host:port) of every member, live or not. */
  get endpoints(): string[] {
    return this.members.map((m) => m.endpoint);
  }

  member(index: number): EtcdMember {
    const member = this.members[index];
    if (member === undefined) throw new Error(`no etcd member ${index}`);
    return member;
  }

  alive(index: number): boolean {
    const child = this.processes[index]?.child;
    return child != null && child.exitCode === null && child.signalCode === null;
  }

  /** The member's process id while it runs (for CPU accounting in benchmarks). */
  pid(index: number): number | undefined {
    return this.alive(index) ? this.processes[index]?.child?.pid : undefined;
  }

  /** What the member wrote to stdout and stderr (the tail), for failure messages. */
  output(index: number): string {
    return this.processes[index]?.output ?? "";
  }

  /** SIGKILL: a crash. Resolves once the process is gone. */
  async kill(index: number): Promise<void> {
    const proc = this.processOf(index);
    proc.child?.kill("SIGKILL");
    await proc.exited;
  }

  /** SIGTERM, then SIGKILL after STOP_TIMEOUT_MS. */
  async stop(index: number): Promise<void> {
    const proc = this.processOf(index);
    const child = proc.child;
    if (child == null || !this.alive(index)) return;
    child.kill("SIGTERM");
    const timer = setTimeout(() => child.kill("SIGKILL"), STOP_TIMEOUT_MS);
    await proc.exited;
    clearTimeout(timer);
  }

  /** Starts a stopped or killed member again, on its ports and data, and waits until it is healthy. */
  async restart(index: number): Promise<void> {
    if (this.alive(index)) throw new Error(`etcd member ${index} is running`);
    await this.spawnMember(index);
    await this.waitHealthy(index);
  }

  /** Waits until the member answers /health with `"health":"true"` (it has a leader). */
  async waitHealthy(index: number, timeoutMs = READY_TIMEOUT_MS): Promise<void> {
    const member = this.member(index);
    const deadline = Date.now() + timeoutMs;
    let last = "no answer";
    while (Date.now() < deadline) {
      if (!this.alive(index)) {
        throw new Error(`etcd ${member.name} exited before it was healthy:\n${this.output(index)}`);
      }
      try {
        const health = (await this.callJson(member, "GET", "/health")) as { health?: string };
        last = JSON.stringify(health);
        if (health.health === "true") return;
      } catch (error) {
        last = (error as Error).message;
      }
      await new Promise((resolve) => setTimeout(resolve, HEALTH_POLL_MS));
    }
    throw new Error(
      `etcd ${member.name} not healthy within ${timeoutMs} ms (${last}):\n${this.output(index)}`,
    );
  }

  /** The index of the live member that the live members say is the leader. */
  async leaderIndex(): Promise<number> {
    const ids = new Map<string, number>();
    let leader: string | undefined;
    for (const [i, member] of this.members.entries()) {
      if (!this.alive(i)) continue;
      const status = (await this.callJson(member, "POST", "/v3/maintenance/status", "{}")) as {
        leader?: string;
        header?: { member_id?: string };
      };
      if (status.header?.member_id !== undefined) ids.set(status.header.member_id, i);
      if (status.leader !== undefined && status.leader !== "0") leader = status.leader;
    }
    const index = leader === undefined ? undefined : ids.get(leader);
    if (index === undefined) throw new Error("no live etcd member knows a live leader");
    return index;
  }

  /** An HTTP call to a member's client port (etcd's JSON gateway), over TLS when the cluster uses it. */
  private callJson(member: EtcdMember, method: string, path: string, body?: string): Promise<unknown> {
    const tls = this.tls;
    return new Promise((resolve, reject) => {
      const options = {
        method,
        timeout: 2_000,
        ...(tls
          ? {
              ca: readFileSync(tls.caFile),
              ...(tls.client
                ? { cert: readFileSync(tls.client.certFile), key: readFileSync(tls.client.keyFile) }
                : {}),
            }
          : {}),
      };
      const request = (tls ? httpsRequest : httpRequest)(
        `${member.clientUrl}${path}`,
        options,
        (response) => {
          let text = "";
          response.setEncoding("utf8");
          response.on("data", (chunk: string) => {
            text += chunk;
          });
          response.on("end", () => {
            try {
              resolve(JSON.parse(text));
            } catch {
              reject(new Error(`${path}: HTTP ${response.statusCode}: ${text}`));
            }
          });
        },
      );
      request.on("timeout", () => request.destroy(new Error(`${path}: no answer within 2 s`)));
      request.on("error", reject);
      request.end(body);
    });
  }

  /** Runs etcdctl against the live members; resolves to its stdout. */
  etcdctl(args: readonly string[]): Promise<string> {
    const endpoints = this.members.filter((_, i) => this.alive(i)).map((m) => m.clientUrl);
    const tls = this.tls;
    const tlsArgs = tls
      ? [
          `--cacert=${tls.caFile}`,
          ...(tls.client ? [`--cert=${tls.client.certFile}`, `--key=${tls.client.keyFile}`] : []),
        ]
      : [];
    return new Promise((resolve, reject) => {
      execFile(
        ETCDCTL_BINARY,
        [`--endpoints=${endpoints.join(",")}`, ...tlsArgs, ...args],
        { env: { ...cleanEnv(), ETCDCTL_API: "3" }, timeout: 10_000 },
        (error, stdout, stderr) => {
          if (error) reject(new Error(`etcdctl ${args.join(" ")}: ${error.message}\n${stderr}`));
          else resolve(stdout);
        },
      );
    });
  }

  /** Kills every member and removes the data directory. */
  async dispose(): Promise<void> {
    if (this.disposed) return;
    for (const proc of this.processes) proc.child?.kill("SIGKILL");
    await Promise.all(this.processes.map((proc) => proc.exited));
    this.disposeSync();
  }

  /** For exit handlers: SIGKILL without waiting, then remove the directory. */
  disposeSync(): void {
    if (this.disposed) return;
    this.disposed = true;
    live.delete(this);
    for (const proc of this.processes) proc.child?.kill("SIGKILL");
    rmSync(this.root, { recursive: true, force: true });
  }

  private processOf(index: number): MemberProcess {
    const proc = this.processes[index];
    if (proc === undefined) throw new Error(`no etcd member ${index}`);
    return proc;
  }

  private async spawnMember(index: number): Promise<void> {
    if (this.disposed) throw new Error("etcd cluster disposed");
    const member = this.member(index);
    const proc = this.processOf(index);
    mkdirSync(member.dataDir, { recursive: true });
    const child = spawn(
      ETCD_BINARY,
      [
        `--name=${member.name}`,
        `--data-dir=${member.dataDir}`,
        `--listen-client-urls=${member.clientUrl}`,
        `--advertise-client-urls=${member.clientUrl}`,
        `--listen-peer-urls=http://127.0.0.1:${member.peerPort}`,
        `--initial-advertise-peer-urls=http://127.0.0.1:${member.peerPort}`,
        ...this.args,
      ],
      { stdio: ["ignore", "pipe", "pipe"], env: cleanEnv() },
    );
    proc.child = child;
    proc.output += `--- ${member.name} started ---\n`;
    proc.exited = new Promise((resolve) => {
      if (child.exitCode !== null || child.signalCode !== null) resolve();
      else child.once("exit", () => resolve());
    });
    const keep = (chunk: string) => {
      proc.output = (proc.output + chunk).slice(-OUTPUT_KEPT_BYTES);
    };
    child.stdout?.setEncoding("utf8").on("data", keep);
    child.stderr?.setEncoding("utf8").on("data", keep);
    await new Promise<void>((resolve, reject) => {
      child.once("spawn", () => resolve());
      child.once("error", reject);
    });
  }
}

/** The environment without ETCD_* / ETCDCTL_* variables, which etcd would read as flags. */
function cleanEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (!key.startsWith("ETCD")) env[key] = value;
  }
  return env;
}

/**
 * `count` distinct free loopback ports: all are held open until every one is chosen, so that they
 * differ. Another process may still take one before etcd binds it; `start` then tries again.
 */
export async function freePorts(count: number): Promise<number[]> {
  const servers = await Promise.all(
    Array.from(
      { length: count },
      () =>
        new Promise<ReturnType<typeof createServer>>((resolve, reject) => {
          const server = createServer();
          server.once("error", reject);
          server.listen(0, "127.0.0.1", () => resolve(server));
        }),
    ),
  );
  const ports = servers.map((server) => {
    const address = server.address();
    if (address === null || typeof address === "string") throw new Error("no port");
    return address.port;
  });
  await Promise.all(servers.map((server) => new Promise((resolve) => server.close(resolve))));
  return ports;
}

export interface TestCertificates {
  readonly caFile: string;
  /** For 127.0.0.1 and localhost. */
  readonly server: { readonly certFile: string; readonly keyFile: string };
  readonly client: { readonly certFile: string; readonly keyFile: string };
}

/** A throwaway CA with a server and a client certificate (EC P-256, one day), made by openssl in `dir`. */
export function makeTestCertificates(dir: string): Promise<TestCertificates> {
  const run = (args: string[]) =>
    new Promise<void>((resolve, reject) => {
      execFile("openssl", args, { cwd: dir, timeout: 10_000 }, (error, _stdout, stderr) =>
        error ? reject(new Error(`openssl ${args.join(" ")}: ${error.message}\n${stderr}`)) : resolve(),
      );
    });
  const key = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"];
  const sign = async (name: string, extensions: string) => {
    writeFileSync(join(dir, `${name}.ext`), extensions);
    await run([
      "req",
      ...key,
      "-keyout",
      `${name}.key`,
      "-out",
      `${name}.csr`,
      "-subj",
      `/CN=brook-test-${name}`,
    ]);
    await run([
      "x509",
      "-req",
      "-in",
      `${name}.csr`,
      "-CA",
      "ca.pem",
      "-CAkey",
      "ca.key",
      "-CAcreateserial",
      "-out",
      `${name}.pem`,
      "-days",
      "1",
      "-extfile",
      `${name}.ext`,
    ]);
    return { certFile: join(dir, `${name}.pem`), keyFile: join(dir, `${name}.key`) };
  };
  return (async () => {
    await run([
      "req",
      "-x509",
      ...key,
      "-keyout",
      "ca.key",
      "-out",
      "ca.pem",
      "-days",
      "1",
      "-subj",
      "/CN=brook-test-ca",
    ]);
    const server = await sign(
      "server",
      "subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth,clientAuth\n",
    );
    const client = await sign("client", "extendedKeyUsage=clientAuth\n");
    return { caFile: join(dir, "ca.pem"), server, client };
  })();
}
