import { RegistryClient, RegistryError } from "../../src/registry/index.js";
import { exampleConfig, isMain } from "./config.js";
import { STOCK_PRICE_BROKEN, STOCK_PRICE_V2 } from "./schemas.js";

export interface EvolutionResult {
  v2Id: number;
  /** The registry's refusal of the incompatible schema: HTTP 409 and its message. */
  refusal: { errorCode: number; message: string };
}

/**
 * Sets the subject to BACKWARD, registers StockPrice v2 (a field added with a default: old data
 * stays readable), then tries a schema that changes `price` to a string, which the registry
 * refuses with 409 and the reasons.
 */
export async function evolveStockPrice(registryUrl: string, topic: string): Promise<EvolutionResult> {
  const client = new RegistryClient({ url: registryUrl });
  const subject = `${topic}-value`;
  await client.request("PUT", `/config/${encodeURIComponent(subject)}`, { compatibility: "BACKWARD" });
  const v2Id = await client.register(subject, { schema: JSON.stringify(STOCK_PRICE_V2) });
  try {
    await client.register(subject, { schema: JSON.stringify(STOCK_PRICE_BROKEN) });
  } catch (error) {
    if (error instanceof RegistryError)
      return { v2Id, refusal: { errorCode: error.errorCode, message: error.message } };
    throw error;
  }
  throw new Error("the registry accepted an incompatible StockPrice schema");
}

if (isMain(import.meta.url)) {
  const config = exampleConfig();
  const result = await evolveStockPrice(config.registryUrl, config.topic);
  console.log(`StockPrice v2 registered with id ${result.v2Id}`);
  console.log(`incompatible change refused (${result.refusal.errorCode}): ${result.refusal.message}`);
}
