import type { AdminClient } from "../../client/index.js";
import { CommandError } from "../options/index.js";

/**
 * Which topics `--topic` names, as Kafka's TopicCommand picks them: every topic (internal ones
 * unless excluded), sorted, kept when the whole name matches `--topic` read as Kafka's
 * IncludeList reads it (a Java regular expression, `,` for `|`, spaces and enclosing quotes
 * dropped).
 */
export async function selectTopics(
  admin: AdminClient,
  pattern: string | undefined,
  excludeInternal: boolean,
): Promise<string[]> {
  const listed = await admin.listTopics({ listInternal: !excludeInternal });
  const names = listed.map((t) => t.name).sort();
  if (pattern === undefined) return names;
  const regex = includeListRegex(pattern);
  return names.filter((name) => regex.test(name));
}

export function includeListRegex(raw: string): RegExp {
  const source = raw
    .trim()
    .replaceAll(",", "|")
    .replaceAll(" ", "")
    .replace(/^["']+/, "")
    .replace(/["']+$/, "");
  try {
    return new RegExp(`^(?:${source})$`);
  } catch {
    throw new CommandError(`${source} is an invalid regex.`);
  }
}

/** Kafka's ensureTopicExists: a topic asked for by name (or pattern) must match something, unless --if-exists. */
export function ensureTopicExists(
  found: readonly string[],
  requested: string | undefined,
  required: boolean,
): void {
  if (requested !== undefined && requested !== "" && required && found.length === 0) {
    throw new CommandError(`Topic '${requested}' does not exist as expected`);
  }
}
