import { CONTEXT_WILDCARD, delimitedContext } from "../qualified-subject.js";

/**
 * Confluent's `ContextFilter`: `/contexts/{context}/...` is the rest of the path run in that
 * context. The subject after `subjects` (and the one after a leading `config` or `mode`) gets
 * the context's `:.ctx:` prefix unless it names a context itself; a bare `/config` or `/mode`
 * becomes the context's own (`/config/:.ctx:`); `/schemas/ids/...` gets `subject=:.ctx:...`;
 * listings (`/subjects`, `/schemas`) get the context as `subjectPrefix`; `/contexts/{context}`
 * alone is the context itself (for DELETE). Segments are URL-decoded; `query` is rewritten in
 * place. Paths not under `/contexts/{context}` are returned as they are.
 */
export function rewriteContextPath(segments: readonly string[], query: URLSearchParams): string[] {
  if (segments[0] !== "contexts" || segments.length < 2) return [...segments];
  const prefix = delimitedContext(segments[1]!);
  const rest = segments.slice(2);
  if (rest.length === 0) return ["contexts", prefix === "" ? ":.:" : prefix];
  const out: string[] = [];
  let subjectNext = false;
  let configOrMode = false;
  for (const [i, segment] of rest.entries()) {
    if (subjectNext) {
      out.push(isQualified(segment) ? segment : prefix + segment);
      subjectNext = false;
      continue;
    }
    const rootConfigOrMode = i === 0 && (segment === "config" || segment === "mode");
    if (segment === "subjects" || rootConfigOrMode) subjectNext = true;
    if (rootConfigOrMode) configOrMode = true;
    out.push(segment);
  }
  if (configOrMode && subjectNext && prefix !== "") out.push(prefix);
  rewriteQuery(out, prefix, query);
  return out;
}

function isQualified(text: string): boolean {
  return text.startsWith(":.") || text.startsWith(CONTEXT_WILDCARD);
}

function rewriteQuery(path: readonly string[], prefix: string, query: URLSearchParams): void {
  if (path[0] === "schemas" && path[1] === "ids") {
    const subject = query.get("subject") ?? "";
    if (!isQualified(subject)) query.set("subject", prefix + subject);
  } else if (path.length === 1 && (path[0] === "schemas" || path[0] === "subjects")) {
    const prefixes = query.getAll("subjectPrefix");
    query.delete("subjectPrefix");
    for (const given of prefixes.length === 0 ? [""] : prefixes) {
      query.append("subjectPrefix", isQualified(given) ? given : prefix + given);
    }
  }
}
