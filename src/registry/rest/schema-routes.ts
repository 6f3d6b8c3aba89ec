import { normalizeSubject, qualify } from "../qualified-subject.js";
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
  // Without a prefix, the default context only (Confluent's default here is "", not `:*:`).
  const prefix = query.get("subjectPrefix") ?? "";
  const deleted = flag(query, "deleted");
  let versions = registry.allVersions(deleted, prefix);
  if (flag(query, "latestOnly")) {
    versions = versions.filter((v, i) => versions[i + 1]?.subject !== v.subject);
  }
  return { json: paginate(versions.map(versionBody), query) };
};

/** `subject=` picks the context the id is looked up in (see SchemaRegistry.schemaById). */
function subjectQuery(request: RestRequest): string | null {
  const subject = request.query.get("subject");
  return subject === null ? null : normalizeSubject(subject);
}

export const getSchemaById: RestHandler = (registry, request) => {
  const id = idParam(request);
  const found = registry.schemaById(id, subjectQuery(request));
  const text = registry.schemaText(found, qualify(found.context, ""), request.query.get("format"));
  const body: Record<string, unknown> = schemaBody({ ...found, schema: text });
  if (flag(request.query, "fetchMaxId")) body["maxId"] = registry.maxIdOf(found.context);
  return { json: body };
};

export const getSchemaTextById: RestHandler = (registry, request) => {
  const found = registry.schemaById(idParam(request), subjectQuery(request));
  return { text: registry.schemaText(found, qualify(found.context, ""), request.query.get("format")) };
};

/** Subjects of the id's context using it, whichever subject `subject=` names (as Confluent). */
export const getSubjectsById: RestHandler = (registry, request) => {
  const versions = registry.versionsOfId(
    idParam(request),
    flag(request.query, "deleted"),
    subjectQuery(request),
  );
  const subjects = versions.map((v) => v.subject).filter((s, i, all) => all.indexOf(s) === i);
  return { json: paginate(subjects, request.query) };
};

export const getVersionsById: RestHandler = (registry, request) => {
  const versions = registry
    .versionsOfId(idParam(request), flag(request.query, "deleted"), subjectQuery(request))
    .map((v) => ({ subject: v.subject, version: v.version }));
  return { json: paginate(versions, request.query) };
};
