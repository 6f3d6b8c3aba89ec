import { readFileSync } from "node:fs";
import { parseProperties } from "../../base/index.js";

/**
 * `key=value` arguments as Kafka's CommandLineUtils.parseKeyValueArgs reads them (`--property`,
 * `--producer-property`, `--consumer-property`): split at the first `=`, a missing value is "".
 */
export function keyValueArgs(args: readonly string[]): Map<string, string> {
  const out = new Map<string, string>();
  for (const arg of args) {
    const eq = arg.indexOf("=");
    out.set(eq < 0 ? arg : arg.slice(0, eq), eq < 0 ? "" : arg.slice(eq + 1));
  }
  return out;
}

/**
 * A properties file a tool was given (`--producer.config`, `--consumer.config`, ...); a file that
 * cannot be read fails with Java's wording, `path (No such file or directory)`, made by `fail`.
 */
export function readPropertiesFile(path: string, fail: (message: string) => Error): Map<string, string> {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (error) {
    const reason =
      (error as NodeJS.ErrnoException).code === "ENOENT" ? "No such file or directory" : String(error);
    throw fail(`${path} (${reason})`);
  }
  return new Map(parseProperties(text));
}
