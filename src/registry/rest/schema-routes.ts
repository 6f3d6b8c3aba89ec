import { registryErrors } from "../registry-error.js";
import { SCHEMA_TYPES } from "../schema-types.js";
import { flag, paginate, schemaBody, versionBody } from "./request-parsing.js";
import type { RestHandler, RestRequest } from "./rest-types.js";

/** Handlers under `/schemas`. */

function idParam(request: RestRequest): number {
  const text = request.params["id"]!;
  const id = /^-?[0-9]+$/.test(text) ? Number(text) : Number.NaN;
  // Jersey answers a path parameter it cannot convert with a plain 404.
  if (!Number.isSafeInteger(id)) throw registryErrors.routeNotFound();
  return id;
}

export const schemaTypes: RestHandler = () => ({ json: [...SCHEMA_TYPES] });

export const listSchemas: RestHandler = (registry, { query }) => {
  const prefix = query.get("subjectPrefix") ?? "";
  const deleted = flag(query, "deleted");
  let versions = registry.allVersions(deleted).filter((v) => v.subject.startsWith(prefix));
  if (flag(query, "latestOnly")) {
    versions = versions.filter((v, i) => versions[i + 1]?.subject !== v.subject);
  }
  return { json: paginate(versions.map(versionBody), query) };
};

export const getSchemaById: RestHandler = (registry, request) => {
  const id = idParam(request);
  const body: Record<string, unknown> = schemaBody(registry.schemaById(id));
  if (flag(request.query, "fetchMaxId")) body["maxId"] = registry.maxId;
  return { json: body };
};

export const getSchemaTextById: RestHandler = (registry, request) => ({
  text: registry.schemaById(idParam(request)).schema,
});

export const getSubjectsById: RestHandler = (registry, request) => {
  const subject = request.query.get("subject");
  const versions = registry
    .versionsOfId(idParam(request), flag(request.query, "deleted"))
    .filter((v) => subject === null || v.subject === subject);
  const subjects = versions.map((v) => v.subject).filter((s, i, all) => all.indexOf(s) === i);
  return { json: paginate(subjects, request.query) };
};

export const getVersionsById: RestHandler = (registry, request) => {
  const subject = request.query.get("subject");
  const versions = registry
    .versionsOfId(idParam(request), flag(request.query, "deleted"))
    .filter((v) => subject === null || v.subject === subject)
    .map((v) => ({ subject: v.subject, version: v.version }));
  return { json: paginate(versions, request.query) };
};
