import assert from "node:assert/strict";
import { BrokerProcess, PYTHON, runTool } from "./broker-process.js";

/**
 * A Brook process with its Schema Registry on a free port, for the serializer interop tests, and a
 * runner for their Python helpers (test/registry/python/*_client.py: JSON commands on stdin, one
 * JSON list of answers on stdout).
 */
export async function withRegistryBroker(
  run: (broker: BrokerProcess, registry: string) => Promise<void>,
): Promise<void> {
  const broker = await BrokerProcess.start({
    overrides: { "schema.registry.enable": "true", "schema.registry.listeners": "http://127.0.0.1:0" },
  });
  try {
    const registry = /\bregistry=(\S+)/.exec(broker.readyLine)?.[1];
    assert.ok(registry !== undefined, broker.readyLine);
    await run(broker, registry);
  } finally {
    await broker.dispose();
  }
}

// biome-ignore lint/suspicious/noExplicitAny: the Python helpers answer arbitrary JSON
export type PythonAnswers = any[];

export function pythonHelper(
  script: string,
  args: string[],
): (commands: unknown[]) => Promise<PythonAnswers> {
  return async (commands) => {
    const result = await runTool(PYTHON, [script, ...args], {
      input: JSON.stringify(commands),
      timeoutMs: 60_000,
    });
    assert.equal(result.code, 0, `python client failed: ${result.stderr}`);
    return JSON.parse(result.stdout) as PythonAnswers;
  };
}

/**
 * The serializer tests' common first half: the Python helper produces `orders` through the broker
 * and consumes them back unchanged.
 */
export async function assertPythonRoundTrip(
  python: (commands: unknown[]) => Promise<PythonAnswers>,
  orders: readonly unknown[],
): Promise<void> {
  const [produced] = await python([{ op: "produce", orders }]);
  assert.equal(produced.count, orders.length);
  const [consumed] = await python([{ op: "consume", count: orders.length }]);
  assert.deepEqual(consumed.orders, orders);
}

/** The latest version the registry serves for a subject. */
export async function latestSchema(
  registry: string,
  subject: string,
): Promise<{ schemaType: string; schema: string; id: number }> {
  const response = await fetch(`${registry}/subjects/${subject}/versions/latest`);
  assert.equal(response.status, 200);
  return (await response.json()) as { schemaType: string; schema: string; id: number };
}
