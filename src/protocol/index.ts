export * from "./acl/index.js";
export {
  decodeRequestFrameHeader,
  decodeResponseFrameHeader,
  encodeRequestFrameHeader,
  encodeResponseFrameHeader,
  REQUEST_HEADER_BYTES_MIN,
} from "./api-header.js";
export { EMPTY_BYTES, type TaggedField } from "./codec-runtime.js";
export {
  ErrorCode,
  type ErrorCodeInfo,
  type ErrorCodeName,
  errorCodeInfo,
  errorName,
  isRetriable,
  KafkaError,
} from "./error-codes.js";
export * from "./generated/index.js";
export {
  JsonDouble,
  javaDouble,
  jsonDouble,
  type KafkaJson,
  type KafkaJsonObject,
  kafkaJsonText,
} from "./kafka-json.js";
export { ProtocolDecodeError, ProtocolEncodeError } from "./protocol-error.js";
export { Reader } from "./reader.js";
export * from "./records/index.js";
export * from "./sasl/index.js";
export { randomUuid, type Uuid, uuidFromBytes, uuidToBytes, ZERO_UUID } from "./uuid.js";
export { WRITER_REF_BYTES_MIN, Writer } from "./writer.js";
