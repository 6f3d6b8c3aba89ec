export {
  ErrorCode,
  type ErrorCodeInfo,
  type ErrorCodeName,
  errorCodeInfo,
  errorName,
  isRetriable,
  KafkaError,
} from "./error-codes.js";
export { ProtocolDecodeError, ProtocolEncodeError } from "./protocol-error.js";
export { Reader } from "./reader.js";
export * from "./records/index.js";
export { randomUuid, type Uuid, uuidFromBytes, uuidToBytes, ZERO_UUID } from "./uuid.js";
export { WRITER_REF_BYTES_MIN, Writer } from "./writer.js";
