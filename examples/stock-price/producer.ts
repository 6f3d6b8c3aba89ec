import { Kafka, logLevel } from "kafkajs";
import { RegistryClient, SchemaSerializer } from "../../src/registry/index.js";
import { exampleConfig, isMain } from "./config.js";
import { STOCK_PRICE_V1, type StockPrice } from "./schemas.js";

export interface ProduceOptions {
  brokers: string[];
  registryUrl: string;
  topic: string;
  prices: StockPrice[];
  /** The writer schema (default StockPrice v1); registered under `<topic>-value` if new. */
  schema?: object;
}

/** Serializes each price through the registry (Confluent framing, Avro) and sends it with kafkajs. */
export async function producePrices(options: ProduceOptions): Promise<Buffer[]> {
  const serializer = new SchemaSerializer({
    client: new RegistryClient({ url: options.registryUrl }),
    schema: { schema: JSON.stringify(options.schema ?? STOCK_PRICE_V1) },
  });
  const values: Buffer[] = [];
  for (const price of options.prices) values.push(await serializer.serialize(options.topic, price));
  const kafka = new Kafka({
    clientId: "stock-price-producer",
    brokers: options.brokers,
    logLevel: logLevel.NOTHING,
  });
  const producer = kafka.producer();
  await producer.connect();
  try {
    await producer.send({
      topic: options.topic,
      messages: options.prices.map((price, i) => ({ key: price.symbol, value: values[i]! })),
    });
  } finally {
    await producer.disconnect();
  }
  return values;
}

/** A few made-up prices around a starting point. */
export function samplePrices(count: number, nowMs = Date.now()): StockPrice[] {
  const symbols = ["ACME", "GLOBEX", "INITECH"];
  return Array.from({ length: count }, (_, i) => ({
    symbol: symbols[i % symbols.length]!,
    price: Math.round((100 + Math.sin(i) * 10) * 100) / 100,
    timestampMs: nowMs + i * 1000,
  }));
}

if (isMain(import.meta.url)) {
  const config = exampleConfig();
  const prices = samplePrices(10);
  await producePrices({ ...config, prices });
  console.log(`sent ${prices.length} prices to ${config.topic}`);
}
