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
