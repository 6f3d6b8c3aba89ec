/**
 * Brook's producer against a running broker: records per second and the producer's own CPU per
 * million records, `count` records of `size` bytes, acks=1, one partition.
 *
 *   node dist/bench/client-producer.js <bootstrap> [count=300000] [size=100] [lingerMs=5]
 *
 * Compare with librdkafka on the same broker: rdkafka_performance -P -t t -p 0 -b <bootstrap>
 * -s 100 -c 300000 -a 1 -X linger.ms=5 (bench/README.md says where it is built).
 */
import { Producer } from "../src/client/index.js";
import { report, sendAll } from "./client-load.js";

const [bootstrap = "127.0.0.1:9092", countText = "300000", sizeText = "100", lingerText = "5"] =
  process.argv.slice(2);
const count = Number(countText);
const size = Number(sizeText);
const producer = new Producer({ bootstrap, acks: 1, lingerMs: Number(lingerText) });
const value = Buffer.alloc(size, 0x61);
const topic = `client-producer-${size}`;
await producer.send({ topic, partition: 0, value }); // metadata and connections before timing
const started = performance.now();
const cpu = process.cpuUsage();
await sendAll(producer, topic, count, value);
const seconds = (performance.now() - started) / 1000;
const used = process.cpuUsage(cpu);
await producer.close();
console.log(report("client-producer", count, size, seconds, used));
