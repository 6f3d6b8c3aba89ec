import { legacyDraftLoader } from "./draft7-schema-loader.js";
import { modernDraftLoader } from "./draft2020-schema-loader.js";
import { isJsonObject, type JsonValue } from "./json-value.js";
import type { SchemaNode } from "./schema-node.js";

/** The JSON Schema drafts Confluent tells apart by `$schema`; draft 7 when it names none it knows. */
export type Draft = "draft-04" | "draft-06" | "draft-07" | "2019-09" | "2020-12";

export function draftOf(root: JsonValue): Draft {
  const url = isJsonObject(root) && typeof root["$schema"] === "string" ? root["$schema"] : "";
  for (const draft of ["draft-04", "draft-06", "draft-07", "2019-09", "2020-12"] as const) {
    if (url.includes(`json-schema.org/${draft.startsWith("draft") ? draft : `draft/${draft}`}/schema`))
      return draft;
  }
  return "draft-07";
}

/** Loads a document (and the referenced documents its `$ref`s name) into the diff's schema tree. */
export function loadSchemaTree(root: JsonValue, external: ReadonlyMap<string, JsonValue>): SchemaNode {
  const draft = draftOf(root);
  const context =
    draft === "2019-09" || draft === "2020-12"
      ? modernDraftLoader(external)
      : legacyDraftLoader(draft === "draft-04" ? 4 : draft === "draft-06" ? 6 : 7, external);
  return context.load(root, root);
}
