/**
 * Brook's Confluent-compatible Schema Registry: the REST API (`startSchemaRegistry`), the
 * registry's operations (`SchemaRegistry`), the `_schemas` log interface the broker implements
 * (`SchemaLogBackend`) with memory and file implementations, the per-format compatibility
 * checkers, and a serializer/deserializer client for the Confluent wire format.
 */
export { type CompatibilityResult, checkCompatibility, type PriorVersion } from "./compatibility.js";
export { AvroSchema, avroFormat } from "./formats/avro/avro-format.js";
export { formatOf, SCHEMA_FORMATS } from "./formats/formats.js";
export { JsonSchema, jsonSchemaFormat } from "./formats/json-schema/json-schema-format.js";
export { ProtobufSchema, protobufFormat } from "./formats/protobuf/protobuf-format.js";
export type {
  CheckRoles,
  CompatibilityIssue,
  CompatibilityPolicy,
  ParsedSchema,
  ResolvedReference,
  SchemaFormat,
} from "./formats/schema-format.js";
export { FileSchemaLog } from "./log/file-schema-log.js";
export { MemorySchemaLog } from "./log/memory-schema-log.js";
export type { SchemaLogBackend, SchemaLogRecord } from "./log/schema-log-backend.js";
export * as schemaLogRecords from "./log/schema-log-records.js";
export { RegistryError, registryErrors } from "./registry-error.js";
export {
  ClusterRouting,
  type RegistryLeadership,
  type RegistryTarget,
  SOLE_REGISTRY,
} from "./rest/cluster-routing.js";
export { mediaType, negotiateMediaType, type ProducedType } from "./rest/content-type.js";
export {
  FORWARDED_BY_HEADER,
  type HttpAnswer,
  LeaderForwarder,
  SCHEMAS_OFFSET_HEADER,
} from "./rest/leader-forwarding.js";
export { type RouteMatch, type RouteResult, Router, splitPath } from "./rest/router.js";
export {
  listenSchemaRegistry,
  REGISTRY_FORWARD_TIMEOUT_MS,
  REGISTRY_LEADER_WAIT_MS,
  REGISTRY_REPLAY_WAIT_MS,
  REGISTRY_REQUEST_BYTES_MAX,
  type RunningSchemaRegistry,
  type SchemaRegistryListener,
  type SchemaRegistryListenOptions,
  type SchemaRegistryServeOptions,
  type SchemaRegistryServerOptions,
  startSchemaRegistry,
} from "./rest/schema-registry-server.js";
export { SchemaRegistry, type SchemaRegistryOptions, type SchemaRequest } from "./schema-registry.js";
export {
  COMPATIBILITY_LEVELS,
  type CompatibilityLevel,
  MODES,
  type Mode,
  type RegistryConfig,
  SCHEMA_TYPES,
  type SchemaReference,
  type SchemaType,
  type SchemaVersion,
} from "./schema-types.js";
export {
  CLIENT_CACHE_ENTRIES_MAX,
  type RegisteredSchema,
  RegistryClient,
  type RegistryClientOptions,
  type SchemaInput,
} from "./serde/registry-client.js";
export {
  type DeserializerOptions,
  decodePayload,
  recordName,
  SchemaDeserializer,
  SchemaSerializer,
  type SerializerOptions,
} from "./serde/schema-serde.js";
export {
  recordNameStrategy,
  type SubjectNameStrategy,
  topicNameStrategy,
  topicRecordNameStrategy,
} from "./serde/subject-name-strategy.js";
export { frame, readMessageIndexes, unframe, WIRE_MAGIC_BYTE, WireFormatError } from "./serde/wire-format.js";
