import { DEFAULT_CONTEXT, parseQualifiedSubject } from "../qualified-subject.js";
import { paginate } from "./request-parsing.js";
import type { RestHandler } from "./rest-types.js";

/** Handlers under `/contexts`. */

/** `GET /contexts`: `.` then the named contexts; `contextPrefix` filters (case-sensitive). */
export const listContexts: RestHandler = (registry, { query }) => {
  const prefix = query.get("contextPrefix") ?? "";
  return {
    json: paginate(
      registry.listContexts().filter((c) => c.startsWith(prefix)),
      query,
    ),
  };
};

/** `DELETE /contexts/{context}` (after the context path rewrite, `:.ctx:`): 204 when empty. */
export const deleteContext: RestHandler = async (registry, { params }) => {
  const name = params["context"]!;
  const context = name.startsWith(":") ? parseQualifiedSubject(name).context : DEFAULT_CONTEXT;
  await registry.deleteContext(context);
  return { status: 204, text: "" };
};
