import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { Kafka, logLevel } from "kafkajs";
import { consumePrices, formatPrice, priceDecoder } from "../../examples/stock-price/consumer.js";
import { evolveStockPrice } from "../../examples/stock-price/evolve.js";
import { producePrices, samplePrices } from "../../examples/stock-price/producer.js";
import { STOCK_PRICE_V2, type StockPrice } from "../../examples/stock-price/schemas.js";
import { type BrookServer, startBroker } from "../../src/server/index.js";

/**
 * The StockPrice example end to end against an in-process broker serving the registry (schemas in its _schemas topic): prices produced
 * with kafkajs through the registry land in the topic, v2 is registered under BACKWARD, the
 * incompatible change is refused with the registry's message, and the old (v1) consumer decodes
 * both v1 and v2 values, read back through the example's kafkajs group consumer.
 */
describe("StockPrice example", () => {
  let broker: BrookServer;
  let registryUrl: string;
  const topic = "stock-prices";

  before(async () => {
    // No initial rebalance delay, so the example's consumer group forms at once.
    broker = await startBroker({
      registry: true,
      properties: { "group.initial.rebalance.delay.ms": "0", "offsets.topic.num.partitions": "1" },
    });
    registryUrl = broker.registryUrl as string;
    const admin = new Kafka({ brokers: [broker.bootstrap], logLevel: logLevel.NOTHING }).admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic, numPartitions: 1 }] });
    await admin.disconnect();
  });
  after(async () => {
    await broker.stop();
  });

  test("produce v1, evolve to v2 under BACKWARD, refuse a broken change, old consumer reads both", async () => {
    const options = { brokers: [broker.bootstrap], registryUrl, topic };
    const v1Prices = samplePrices(5, 1_700_000_000_000);
    const v1Values = await producePrices({ ...options, prices: v1Prices });

    const evolution = await evolveStockPrice(registryUrl, topic);
    assert.equal(evolution.refusal.errorCode, 409);
    assert.match(
      evolution.refusal.message,
      /incompatible with an earlier schema for subject "stock-prices-value"/,
    );
    assert.match(evolution.refusal.message, /TYPE_MISMATCH/);

    const v2Prices = samplePrices(3, 1_700_000_100_000).map((p) => ({ ...p, exchange: "NYSE" }));
    const v2Values = await producePrices({ ...options, prices: v2Prices, schema: STOCK_PRICE_V2 });
    assert.notEqual(v2Values[0]!.readInt32BE(1), v1Values[0]!.readInt32BE(1));
    assert.equal(v2Values[0]!.readInt32BE(1), evolution.v2Id);

    const admin = new Kafka({ brokers: [broker.bootstrap], logLevel: logLevel.NOTHING }).admin();
    await admin.connect();
    const offsets = await admin.fetchTopicOffsets(topic);
    await admin.disconnect();
    assert.equal(offsets[0]?.high, "8");

    const decode = priceDecoder(registryUrl);
    const read = await Promise.all([...v1Values, ...v2Values].map(decode));
    const withoutExchange = v2Prices.map(({ exchange: _exchange, ...rest }) => rest);
    assert.deepEqual(read, [...v1Prices, ...withoutExchange]);
    assert.match(formatPrice(read[0]!), /ACME/);

    // The example's consumer (a kafkajs group consumer, from the beginning) reads all eight back.
    const consumed: StockPrice[] = [];
    let allRead: () => void = () => {};
    const done = new Promise<void>((resolve) => {
      allRead = resolve;
    });
    const stop = await consumePrices({
      ...options,
      onPrice: (price) => {
        consumed.push(price);
        if (consumed.length >= read.length) allRead();
      },
    });
    let timer: NodeJS.Timeout | undefined;
    try {
      const timeout = new Promise<void>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`consumer read ${consumed.length} of 8 prices`)), 20_000);
      });
      await Promise.race([done, timeout]);
    } finally {
      clearTimeout(timer);
      await stop();
    }
    assert.deepEqual(consumed, read);
  });
});
