/**
 * Brook's consumer against a running broker: records per second and the consumer's own CPU per
 * million records, reading `count` records of `size` bytes from one partition (written first by
 * Brook's producer, untimed), assigned from the beginning, no group.
 *
 *   node dist/bench/client-consumer.js <bootstrap> [count=300000] [size=100]
 *
 * Compare with librdkafka on the same broker: rdkafka_performance -C -t <topic> -p 0 -b
 * <bootstrap> -o beginning -c <count> (bench/README.md says where it is built).
 */
import { Consumer, Producer } from "../src/client/index.js";
import { report, sendAll } from "./client-load.js";

const [bootstrap = "127.0.0.1:9092", countText = "300000", sizeText = "100"] = process.argv.slice(2);
const count = Number(countText);
const size = Number(sizeText);
const topic = `client-consumer-${size}-${Date.now()}`;
const producer = new Producer({ bootstrap, acks: 1, lingerMs: 5 });
const value = Buffer.alloc(size, 0x62);
await sendAll(producer, topic, count, value);
await producer.close();

const consumer = new Consumer({ bootstrap, maxPollRecords: 10_000 });
consumer.assign([{ topic, partition: 0, offset: "earliest" }]);
const started = performance.now();
const cpu = process.cpuUsage();
let read = 0;
while (read < count) read += (await consumer.poll(5000)).length;
const seconds = (performance.now() - started) / 1000;
const used = process.cpuUsage(cpu);
await consumer.close();
console.log(report("client-consumer", count, size, seconds, used));
