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
 * A properties file a tool was given (`--command-config`, `--producer.config`, ...), read as
 * Kafka's Utils.loadProps reads it (Files.newInputStream): a file that cannot be read fails with
 * Java NIO's message, the path alone, made by `fail`.
 */
export function readPropertiesFile(path: string, fail: (message: string) => Error): Map<string, string> {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw fail(code === "ENOENT" || code === "EACCES" ? path : String(error));
  }
  return new Map(parseProperties(text));
}

/** A file that could not be read, as Java fails: its exception class and message. */
export class JavaFileError extends Error {
  readonly className: string;

  constructor(className: string, message: string) {
    super(message);
    this.name = "JavaFileError";
    this.className = className;
  }

  /** Throwable.toString, which a tool shows when it wraps the exception. */
  override toString(): string {
    return `${this.className}: ${this.message}`;
  }
}

/**
 * A JSON or text input file, as Kafka's Utils.readFileAsString reads it: any failure is its
 * IOException "Unable to read file <path>".
 */
export function readFileAsString(path: string): string {
  try {
    return readFileSync(path, "utf8");
  } catch {
    throw new JavaFileError("java.io.IOException", `Unable to read file ${path}`);
  }
}
