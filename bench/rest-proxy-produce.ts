/**
 * Records per second produced through a running REST Proxy: `concurrency` keep-alive connections
 * each POSTing `perRequest` binary records of `size` bytes in a loop for `seconds`, through API v2
 * (`POST /topics/{t}`, one JSON body) or v3 (`POST /v3/clusters/{c}/topics/{t}/records`, the
 * records streamed as concatenated JSON objects), with the latency of each request.
 *
 *   node dist/bench/rest-proxy-produce.js <proxy url> [v2|v3] [concurrency=8] [perRequest=100] [size=100] [seconds=10]
 *
 * Start the proxy with `brook server start` (the single-node setup serves it on :8082).
 */
import { Agent, request } from "node:http";

const [
  url = "http://127.0.0.1:8082",
  api = "v2",
  concurrencyText = "8",
  perRequestText = "100",
  sizeText = "100",
  secondsText = "10",
] = process.argv.slice(2);
const concurrency = Number(concurrencyText);
const perRequest = Number(perRequestText);
const base = new URL(url);
const agent = new Agent({ keepAlive: true, maxSockets: concurrency });
const value = Buffer.alloc(Number(sizeText), 0x61).toString("base64");
const topic = `rest-proxy-produce-${sizeText}`;

function call(method: string, path: string, contentType?: string, body?: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string | number> = {};
    if (contentType !== undefined) headers["content-type"] = contentType;
    if (body !== undefined) headers["content-length"] = Buffer.byteLength(body);
    const req = request({ host: base.hostname, port: base.port, path, method, agent, headers }, (res) => {
      let text = "";
      res.setEncoding("utf8");
      res.on("data", (c: string) => {
        text += c;
      });
      res.on("end", () =>
        res.statusCode === 200 && !/"error_code":[45]/.test(text)
          ? resolve(text)
          : reject(new Error(`${res.statusCode}: ${text.slice(0, 300)}`)),
      );
    });
    req.on("error", reject);
    req.end(body);
  });
}

const clusterId = (JSON.parse(await call("GET", "/v3/clusters")) as { data: { cluster_id: string }[] })
  .data[0]?.cluster_id;
const body =
  api === "v3"
    ? Array.from({ length: perRequest }, () =>
        JSON.stringify({ value: { type: "BINARY", data: value } }),
      ).join("\n")
    : JSON.stringify({ records: Array.from({ length: perRequest }, () => ({ value })) });
const path = api === "v3" ? `/v3/clusters/${clusterId}/topics/${topic}/records` : `/topics/${topic}`;
const type = api === "v3" ? "application/json" : "application/vnd.kafka.binary.v2+json";
await call("POST", path, type, body); // the topic, metadata and connections before timing

const latencies: number[] = [];
const endMs = performance.now() + Number(secondsText) * 1000;
const started = performance.now();
await Promise.all(
  Array.from({ length: concurrency }, async () => {
    while (performance.now() < endMs) {
      const sent = performance.now();
      await call("POST", path, type, body);
      latencies.push(performance.now() - sent);
    }
  }),
);
const seconds = (performance.now() - started) / 1000;
latencies.sort((a, b) => a - b);
const at = (q: number) =>
  (latencies[Math.min(latencies.length - 1, Math.floor(latencies.length * q))] ?? 0).toFixed(1);
console.log(
  `${api}: ${concurrency} connections x ${perRequest} records of ${sizeText} B: ` +
    `${Math.round(latencies.length / seconds)} requests/s, ${Math.round((latencies.length * perRequest) / seconds)} records/s, ` +
    `latency p50 ${at(0.5)} ms, p99 ${at(0.99)} ms`,
);
agent.destroy();
