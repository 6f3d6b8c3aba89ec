import type protobuf from "protobufjs";
import { layoutProto, tokenizeProto, withoutAggregateOptions } from "./protobuf-text.js";
import { protobufjs } from "./protobufjs.js";

const OPTIONS = { keepCase: true, alternateCommentMode: true };

/**
 * protobufjs' parser, with one fallback: a file with aggregate options
 * (`[(confluent.field_meta) = { params: [ ... ] }]`) that protobufjs refuses (protoc and Confluent
 * accept lists of messages there, protobufjs does not) is read without them; they name no types.
 * A file protobufjs refuses either way throws the first error. The trial parse goes into a fresh
 * root, since a failed parse leaves part of a file's definitions in its root.
 */
export function parseProto(text: string, root: protobuf.Root): protobuf.IParserResult {
  const tokens = tokenizeProto(text);
  const stripped = withoutAggregateOptions(tokens);
  if (stripped.length === tokens.length) return protobufjs().parse(text, root, OPTIONS);
  try {
    protobufjs().parse(text, new (protobufjs().Root)(), OPTIONS);
  } catch (error) {
    try {
      return protobufjs().parse(layoutProto(stripped), root, OPTIONS);
    } catch {
      throw error;
    }
  }
  return protobufjs().parse(text, root, OPTIONS);
}
