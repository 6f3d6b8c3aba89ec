import { Kafka, logLevel } from "kafkajs";
import { RegistryClient, SchemaDeserializer } from "../../src/registry/index.js";
import { exampleConfig, isMain } from "./config.js";
import { STOCK_PRICE_V1, type StockPrice } from "./schemas.js";

/**
 * The consumer's decoding: the writer's schema comes from the registry by the id in each value,
 * and is resolved into the consumer's own (reader) schema, v1 here. So a value written with a
 * newer, backward-compatible schema is read as the fields this consumer knows.
 */
export function priceDecoder(registryUrl: string, readerSchema: object = STOCK_PRICE_V1) {
  const deserializer = new SchemaDeserializer({
    client: new RegistryClient({ url: registryUrl }),
    readerSchema: { schema: JSON.stringify(readerSchema) },
  });
  return async (value: Buffer): Promise<StockPrice> => ({
    ...((await deserializer.deserialize(value)) as StockPrice),
  });
}

export function formatPrice(price: StockPrice): string {
  return `${new Date(price.timestampMs).toISOString()} ${price.symbol.padEnd(8)} ${price.price.toFixed(2)}`;
}

export interface ConsumeOptions {
  brokers: string[];
  registryUrl: string;
  topic: string;
  groupId?: string;
  onPrice: (price: StockPrice) => void;
}

/** Subscribes from the beginning and hands every decoded price to `onPrice`; answers a stop(). */
export async function consumePrices(options: ConsumeOptions): Promise<() => Promise<void>> {
  const decode = priceDecoder(options.registryUrl);
  const kafka = new Kafka({
    clientId: "stock-price-consumer",
    brokers: options.brokers,
    logLevel: logLevel.NOTHING,
  });
  const consumer = kafka.consumer({ groupId: options.groupId ?? "stock-price-printer" });
  await consumer.connect();
  await consumer.subscribe({ topic: options.topic, fromBeginning: true });
  await consumer.run({
    eachMessage: async ({ message }) => {
      if (message.value) options.onPrice(await decode(message.value));
    },
  });
  return () => consumer.disconnect();
}

if (isMain(import.meta.url)) {
  const stop = await consumePrices({
    ...exampleConfig(),
    onPrice: (price) => console.log(formatPrice(price)),
  });
  process.once("SIGINT", () => void stop().then(() => process.exit(0)));
}
