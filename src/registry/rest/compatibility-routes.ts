import { RegistryError } from "../registry-error.js";
import { parseVersionSpec, type VersionSpec } from "../version-spec.js";
import { flag, parseSchemaRequest } from "./request-parsing.js";
import type { RestHandler } from "./rest-types.js";

/** `POST /compatibility/subjects/{s}/versions[/{v}]`. */
export const checkCompatibility: RestHandler = (registry, { params, query, body }) => {
  const spec: VersionSpec | undefined =
    params["version"] === undefined ? undefined : parseVersionSpec(params["version"]);
  const verbose = flag(query, "verbose");
  let result: { compatible: boolean; messages: string[] };
  try {
    result = registry.checkCompatibilityOf(params["subject"]!, spec, parseSchemaRequest(body));
  } catch (error) {
    // With verbose, an unparsable schema is an incompatible one, with the reason given.
    if (!verbose || !(error instanceof RegistryError) || error.errorCode !== 42201) throw error;
    result = { compatible: false, messages: [error.message] };
  }
  return {
    json: verbose
      ? { is_compatible: result.compatible, messages: result.messages }
      : { is_compatible: result.compatible },
  };
};
