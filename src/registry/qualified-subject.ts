import { registryErrors } from "./registry-error.js";

/**
 * Contexts, as Confluent's `QualifiedSubject` spells them (without tenants). A context is a
 * namespace of subjects and ids; a subject in a context other than the default one is written
 * `:.ctx:subject` everywhere: in paths, in listings and in the `_schemas` keys, so the context is
 * part of the subject string and needs no storage of its own. `:.:subject` names the default
 * context and is the same subject as `subject`.
 */

/** The context of unqualified subjects. */
export const DEFAULT_CONTEXT = ".";
/** Config and mode set on `:.__GLOBAL:` apply to every context that has none of its own. */
export const GLOBAL_CONTEXT = ".__GLOBAL";
/** `subjectPrefix=:*:` (the default of `GET /subjects`) lists every context. */
export const CONTEXT_WILDCARD = ":*:";

export interface QualifiedSubject {
  /** `.` or `.name`. */
  context: string;
  /** The subject within the context; empty when the text names a context only (`:.ctx:`). */
  subject: string;
}

/** Splits `:.ctx:subject` (or `:.ctx` / `:.ctx:`) as Confluent does; anything else is in `.`. */
export function parseQualifiedSubject(text: string): QualifiedSubject {
  if (!text.startsWith(":.")) return { context: DEFAULT_CONTEXT, subject: text };
  const end = text.indexOf(":", 2);
  if (end < 0) return { context: text.slice(1), subject: "" };
  return { context: text.slice(1, end), subject: text.slice(end + 1) };
}

/** The subject as stored: unqualified in the default context, `:.ctx:subject` elsewhere. */
export function qualify(context: string, subject: string): string {
  return context === DEFAULT_CONTEXT ? subject : `:${context}:${subject}`;
}

/** `:.:orders` → `orders`; every other spelling is kept (Confluent's `QualifiedSubject.normalize`). */
export function normalizeSubject(text: string): string {
  const { context, subject } = parseQualifiedSubject(text);
  return qualify(context, subject);
}

export function contextOf(subject: string): string {
  return parseQualifiedSubject(subject).context;
}

/** Whether the text names a context rather than a subject (`:.ctx:`, `:.__GLOBAL:`). */
export function isContextName(text: string): boolean {
  return parseQualifiedSubject(text).subject === "";
}

/**
 * A context as it appears in `/contexts/{context}/...` URLs (`.ctx`, `ctx`, `:.ctx:`, `:.:`),
 * delimited for prefixing a subject: `:.ctx:`, or empty for the default context. A colon inside
 * the name is refused (Confluent's `normalizeContext`, answered 400 by its filter).
 */
export function delimitedContext(name: string): string {
  let context = name;
  if (context.startsWith(":")) context = context.slice(1);
  if (context.endsWith(":")) context = context.slice(0, -1);
  if (context.includes(":"))
    throw registryErrors.badRequest(`Context name '${context}' cannot contain a colon`);
  if (!context.startsWith(".")) context = `.${context}`;
  return context === DEFAULT_CONTEXT ? "" : `:${context}:`;
}

/**
 * A referenced subject as seen from the referring subject: an unqualified reference from a
 * subject in a named context means the subject of that name in the same context
 * (Confluent's `qualifySubjectWithParent`).
 */
export function qualifyReference(referrer: string, referenced: string): string {
  const target = parseQualifiedSubject(referenced);
  if (target.context !== DEFAULT_CONTEXT) return referenced;
  const parent = contextOf(referrer);
  return parent === DEFAULT_CONTEXT ? referenced : qualify(parent, referenced);
}

/**
 * Confluent's `subjectPrefix` matching, a key-range scan over (context, subject): `:*:rest`
 * matches `rest` in any context; a prefix starting `:.` matches qualified names of the named
 * contexts; any other prefix (the empty one too) matches subjects of the default context only.
 */
export function matchesSubjectPrefix(subject: string, prefix: string): boolean {
  if (prefix.startsWith(CONTEXT_WILDCARD)) {
    return parseQualifiedSubject(subject).subject.startsWith(prefix.slice(CONTEXT_WILDCARD.length));
  }
  // Only `:.:` is dropped: `:.ctx` must stay a prefix of `:.ctx1:...`, as in Confluent's range.
  const normalized = prefix.startsWith(":.:") ? prefix.slice(3) : prefix;
  if (normalized.startsWith(":.")) return subject.startsWith(normalized);
  return contextOf(subject) === DEFAULT_CONTEXT && subject.startsWith(normalized);
}
