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

/** Subject names: any text without ISO control characters, except the reserved names. */
export function validateSubject(subject: string): void {
  if (
    subject === "" ||
    subject === "__GLOBAL" ||
    subject === "__EMPTY" ||
    /[\u0000-\u001f\u007f-\u009f]/.test(subject)
  ) {
    throw registryErrors.invalidSubject(subject);
  }
}
