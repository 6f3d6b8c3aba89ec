import type protobuf from "protobufjs";
import { AvroSchema } from "../formats/avro/avro-format.js";
import { ProtobufSchema } from "../formats/protobuf/protobuf-format.js";
import { protobufjs } from "../formats/protobuf/protobufjs.js";
import type { ParsedSchema } from "../formats/schema-format.js";
import type { RegistryClient, SchemaInput } from "./registry-client.js";
import { type SubjectNameStrategy, topicNameStrategy } from "./subject-name-strategy.js";
import { frame, readMessageIndexes, unframe, WireFormatError } from "./wire-format.js";

export interface SerializerOptions {
  client: RegistryClient;
  /** The writer schema; without it, the subject's latest version is used. */
  schema?: SchemaInput;
  isKey?: boolean;
  subjectNameStrategy?: SubjectNameStrategy;
  /** Register the schema when it is not yet under the subject (default true). */
  autoRegister?: boolean;
  normalize?: boolean;
  /** Protobuf: the full name of the message to write (default: the file's first message). */
  messageName?: string;
}

/** The record name a subject name strategy sees: Avro's named type, Protobuf's message. */
export function recordName(parsed: ParsedSchema, messageName: string | undefined): string | undefined {
  if (parsed instanceof AvroSchema) return parsed.type.name;
  if (parsed instanceof ProtobufSchema) return messageName ?? parsed.messages[0]?.fullName.replace(/^\./, "");
  return undefined;
}

/**
 * Serializes values in Confluent's wire format through a registry: Avro binary (avsc), Protobuf
 * (protobufjs, with message indexes) or JSON text, framed with magic byte 0 and the schema id.
 * The id is looked up once per subject and cached by the client.
 */
export class SchemaSerializer {
  private readonly options: SerializerOptions;
  private readonly ids = new Map<string, Promise<{ id: number; parsed: ParsedSchema }>>();

  constructor(options: SerializerOptions) {
    this.options = options;
  }

  async serialize(topic: string, value: unknown): Promise<Buffer> {
    const { id, parsed } = await this.schemaFor(topic);
    return encodeWith(parsed, id, value, this.options.messageName);
  }

  private schemaFor(topic: string): Promise<{ id: number; parsed: ParsedSchema }> {
    let found = this.ids.get(topic);
    if (!found) {
      found = this.resolveSchema(topic);
      found.catch(() => this.ids.delete(topic));
      this.ids.set(topic, found);
    }
    return found;
  }

  private async resolveSchema(topic: string): Promise<{ id: number; parsed: ParsedSchema }> {
    const { client, schema, isKey = false, subjectNameStrategy = topicNameStrategy } = this.options;
    if (!schema) {
      const latest = await client.getVersion(subjectNameStrategy(topic, isKey, undefined), "latest");
      return { id: latest.id, parsed: await client.parse(latest) };
    }
    const parsed = await client.parse(schema);
    const subject = subjectNameStrategy(topic, isKey, recordName(parsed, this.options.messageName));
    const id =
      this.options.autoRegister === false
        ? (await client.lookup(subject, schema)).id
        : await client.register(subject, schema, this.options.normalize ?? false);
    return { id, parsed };
  }
}

function encodeWith(parsed: ParsedSchema, id: number, value: unknown, messageName?: string): Buffer {
  if (parsed instanceof AvroSchema) return frame(id, parsed.type.toBuffer(value));
  if (parsed instanceof ProtobufSchema) {
    const { type, indexes } = protobufMessage(parsed, messageName);
    const message =
      value instanceof protobufjs().Message ? value : type.fromObject(value as Record<string, unknown>);
    return frame(id, type.encode(message).finish(), indexes);
  }
  return frame(id, Buffer.from(JSON.stringify(value), "utf8"));
}

/** Finds a message by full name (or the first one) and its index path in the file. */
function protobufMessage(
  parsed: ProtobufSchema,
  messageName?: string,
): { type: protobuf.Type; indexes: number[] } {
  parsed.root.resolveAll();
  const search = (
    types: protobuf.Type[],
    path: number[],
  ): { type: protobuf.Type; indexes: number[] } | undefined => {
    for (const [i, type] of types.entries()) {
      const indexes = [...path, i];
      if (messageName === undefined || type.fullName.replace(/^\./, "") === messageName)
        return { type, indexes };
      const nested = type.nestedArray.filter((n): n is protobuf.Type => n instanceof protobufjs().Type);
      const found = search(nested, indexes);
      if (found) return found;
    }
    return undefined;
  };
  const found = search(parsed.messages, []);
  if (!found) throw new Error(`message ${messageName ?? "(first)"} not found in the schema`);
  return found;
}

export interface DeserializerOptions {
  client: RegistryClient;
  /** Avro: read with this schema (resolving from the writer's); default: the writer's schema. */
  readerSchema?: SchemaInput;
}

/** Reads Confluent-framed values: fetches the writer's schema by id (cached) and decodes. */
export class SchemaDeserializer {
  private readonly options: DeserializerOptions;
  private reader: Promise<ParsedSchema> | undefined;

  constructor(options: DeserializerOptions) {
    this.options = options;
  }

  async deserialize(bytes: Buffer): Promise<unknown> {
    return (await this.deserializeWithSchemaId(bytes)).value;
  }

  async deserializeWithSchemaId(bytes: Buffer): Promise<{ schemaId: number; value: unknown }> {
    const { schemaId, payload } = unframe(bytes);
    const writer = await this.options.client.getParsedById(schemaId);
    if (writer instanceof AvroSchema) {
      const reader = await this.readerSchema();
      if (reader instanceof AvroSchema && reader.canonical !== writer.canonical) {
        return { schemaId, value: reader.type.fromBuffer(payload, reader.type.createResolver(writer.type)) };
      }
    }
    return { schemaId, value: decodePayload(writer, payload) };
  }

  private readerSchema(): Promise<ParsedSchema> | undefined {
    if (!this.options.readerSchema) return undefined;
    this.reader ??= this.options.client.parse(this.options.readerSchema);
    return this.reader;
  }
}

/**
 * A framed value's payload (what follows the magic byte and schema id) read with the writer's
 * schema: Avro binary, Protobuf (message indexes first; longs and enums as strings) or JSON text.
 */
export function decodePayload(writer: ParsedSchema, payload: Buffer): unknown {
  if (writer instanceof AvroSchema) return writer.type.fromBuffer(payload);
  if (writer instanceof ProtobufSchema) {
    const { indexes, message } = readMessageIndexes(payload);
    writer.root.resolveAll();
    const type = writer.messageAt(indexes);
    if (!type) throw new WireFormatError(`no message at index path [${indexes.join(", ")}]`);
    return type.toObject(type.decode(message), { longs: String, enums: String });
  }
  return JSON.parse(payload.toString("utf8"));
}
