import { GLOBAL_CONTEXT, parseQualifiedSubject } from "./qualified-subject.js";
import { registryErrors } from "./registry-error.js";

/** A `{version}` path segment: a version number, or the highest live version. */
export type VersionSpec = number | "latest";

const VERSION_MAX = 2 ** 31 - 1;

/** Parses `{version}` as Confluent does: 1..2^31-1, `latest` in any case, or -1; else 42202. */
export function parseVersionSpec(text: string): VersionSpec {
  if (text.toLowerCase() === "latest" || text === "-1") return "latest";
  if (/^[0-9]+$/.test(text)) {
    const version = Number(text);
    if (version >= 1 && version <= VERSION_MAX) return version;
  }
  throw registryErrors.invalidVersion(text);
}

/**
 * Subject names: any text without ISO control characters, except the reserved names (also
 * within a context: `:.ctx:__GLOBAL`). A context alone (`:.ctx:`) and the global context
 * `:.__GLOBAL:` name config and mode only (Confluent's `isValidSubject`).
 */
export function validateSubject(subject: string, configOrMode = false): void {
  const { context, subject: name } = parseQualifiedSubject(subject);
  if (
    subject === "" ||
    name === "__GLOBAL" ||
    name === "__EMPTY" ||
    /[\u0000-\u001f\u007f-\u009f]/.test(subject) ||
    (!configOrMode && (name === "" || context === GLOBAL_CONTEXT))
  ) {
    throw registryErrors.invalidSubject(subject);
  }
}
