import { pathToFileURL } from "node:url";

/** Where the example finds Kafka and the registry: `--brokers`/`--registry` or the environment. */
export interface ExampleConfig {
  brokers: string[];
  registryUrl: string;
  topic: string;
}

export function exampleConfig(argv: readonly string[] = process.argv.slice(2)): ExampleConfig {
  const arg = (name: string) => {
    const at = argv.indexOf(`--${name}`);
    return at >= 0 ? argv[at + 1] : undefined;
  };
  return {
    brokers: (arg("brokers") ?? process.env.KAFKA_BROKERS ?? "localhost:9092").split(","),
    registryUrl: arg("registry") ?? process.env.SCHEMA_REGISTRY_URL ?? "http://localhost:8081",
    topic: arg("topic") ?? process.env.STOCK_TOPIC ?? "stock-prices",
  };
}

/** True when the module is the script node was started with. */
export function isMain(moduleUrl: string): boolean {
  return process.argv[1] !== undefined && moduleUrl === pathToFileURL(process.argv[1]).href;
}
