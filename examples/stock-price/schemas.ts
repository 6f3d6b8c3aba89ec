/** The StockPrice schema and its evolutions, as Avro JSON. */

export const STOCK_PRICE_V1 = {
  type: "record",
  name: "StockPrice",
  namespace: "examples.stocks",
  fields: [
    { name: "symbol", type: "string" },
    { name: "price", type: "double" },
    { name: "timestampMs", type: { type: "long", logicalType: "timestamp-millis" } },
  ],
};

/** Compatible under BACKWARD: a new field with a default, so v2 readers can read v1 data. */
export const STOCK_PRICE_V2 = {
  ...STOCK_PRICE_V1,
  fields: [...STOCK_PRICE_V1.fields, { name: "exchange", type: "string", default: "NASDAQ" }],
};

/** Incompatible: `price` turns from a double into a string, which no reader can resolve. */
export const STOCK_PRICE_BROKEN = {
  ...STOCK_PRICE_V1,
  fields: STOCK_PRICE_V1.fields.map((f) => (f.name === "price" ? { name: "price", type: "string" } : f)),
};

export interface StockPrice {
  symbol: string;
  price: number;
  timestampMs: number;
  exchange?: string;
}
