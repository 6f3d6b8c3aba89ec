import type { SchemaRegistry } from "../schema-registry.js";
import type { SchemaVersion } from "../schema-types.js";
import { parseVersionSpec } from "../version-spec.js";
import { flag, paginate, parseSchemaRequest, versionBody } from "./request-parsing.js";
import type { RestHandler } from "./rest-types.js";

/** Handlers under `/subjects`. */

/** A version's body with its schema in the `format` asked for (`serialized` for Protobuf). */
function formattedVersionBody(
  registry: SchemaRegistry,
  version: SchemaVersion,
  query: URLSearchParams,
): Record<string, unknown> {
  return versionBody({
    ...version,
    schema: registry.schemaText(version, version.subject, query.get("format")),
  });
}

export const listSubjects: RestHandler = (registry, { query }) => {
  // Without a prefix every context is listed (Confluent's default `:*:`).
  const prefix = query.get("subjectPrefix") ?? undefined;
  const subjects = registry.listSubjects({
    deleted: flag(query, "deleted"),
    deletedOnly: flag(query, "deletedOnly"),
    ...(prefix !== undefined ? { prefix } : {}),
  });
  return { json: paginate(subjects, query) };
};

export const lookupSchema: RestHandler = (registry, { params, query, body }) => {
  const found = registry.lookup(params["subject"]!, parseSchemaRequest(body), {
    normalize: flag(query, "normalize"),
    deleted: flag(query, "deleted"),
  });
  return { json: versionBody(found) };
};

export const getLatestWithMetadata: RestHandler = (registry, { params, query }) => {
  const keys = query.getAll("key");
  const values = query.getAll("value");
  const pairs = new Map<string, string>();
  for (let i = 0; i < Math.min(keys.length, values.length); i++) pairs.set(keys[i]!, values[i]!);
  const found = registry.latestWithMetadata(params["subject"]!, pairs, flag(query, "deleted"));
  return { json: formattedVersionBody(registry, found, query) };
};

export const deleteSubject: RestHandler = async (registry, { params, query }) => ({
  json: await registry.deleteSubject(params["subject"]!, flag(query, "permanent")),
});

export const listVersions: RestHandler = (registry, { params, query }) => {
  const versions = registry.listVersions(params["subject"]!, {
    deleted: flag(query, "deleted") || flag(query, "deletedAsNegative"),
    deletedOnly: flag(query, "deletedOnly"),
  });
  const negative = flag(query, "deletedAsNegative");
  return {
    json: paginate(
      versions.map((v) => (negative && v.deleted ? -v.version : v.version)),
      query,
    ),
  };
};

export const registerSchema: RestHandler = async (registry, { params, query, body }) => {
  const request = parseSchemaRequest(body);
  const registered = await registry.register(params["subject"]!, request, {
    normalize: flag(query, "normalize"),
    force: flag(query, "force"),
  });
  // 7.x answers only the id; 8.x adds the rest, which older clients ignore.
  return { json: { id: registered.id, ...versionBody(registered) } };
};

export const getVersion: RestHandler = (registry, { params, query }) => {
  const spec = parseVersionSpec(params["version"]!);
  const found = registry.getVersion(params["subject"]!, spec, flag(query, "deleted"));
  return { json: formattedVersionBody(registry, found, query) };
};

export const getVersionSchema: RestHandler = (registry, { params, query }) => {
  const spec = parseVersionSpec(params["version"]!);
  const found = registry.getVersion(params["subject"]!, spec, flag(query, "deleted"));
  return { text: registry.schemaText(found, found.subject, query.get("format")) };
};

export const getReferencedBy: RestHandler = (registry, { params, query }) => {
  const spec = parseVersionSpec(params["version"]!);
  return { json: paginate(registry.referencedBy(params["subject"]!, spec, flag(query, "deleted")), query) };
};

export const deleteVersion: RestHandler = async (registry, { params, query }) => {
  const spec = parseVersionSpec(params["version"]!);
  return { json: await registry.deleteVersion(params["subject"]!, spec, flag(query, "permanent")) };
};
