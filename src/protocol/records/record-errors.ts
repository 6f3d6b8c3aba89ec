import { ErrorCode } from "../error-codes.js";
import { ProtocolDecodeError } from "../protocol-error.js";

/**
 * Bytes that are not a valid record batch, message set or record: a CRC mismatch, a length that
 * runs past the batch, a record count that cannot fit, an unknown magic or compression id. They
 * are ProtocolDecodeErrors (a broker closes nothing over them, it answers the partition with
 * `errorCode`), so code that catches decode errors in general still catches these.
 *
 * Codes: BRK_ERR_RECORD_CORRUPT (malformed), BRK_ERR_RECORD_CRC_MISMATCH, BRK_ERR_RECORD_TRUNCATED
 * (a batch cut short where a whole one was required), BRK_ERR_RECORD_MAGIC_UNSUPPORTED, all
 * CORRUPT_MESSAGE; BRK_ERR_RECORD_TOO_MANY (more records than the caller's limit), MESSAGE_TOO_LARGE;
 * BRK_ERR_RECORD_INVALID (InvalidRecordError), INVALID_RECORD.
 */
export class CorruptRecordError extends ProtocolDecodeError {
  /** The Kafka error code a broker answers with: CORRUPT_MESSAGE unless stated. */
  readonly errorCode: number;

  constructor(
    message: string,
    code = "BRK_ERR_RECORD_CORRUPT",
    errorCode: number = ErrorCode.CORRUPT_MESSAGE,
  ) {
    super(message, code);
    this.name = "CorruptRecordError";
    this.errorCode = errorCode;
  }
}

/**
 * A record inside a batch whose CRC holds does not parse: a length or varint that runs past its
 * record or the batch, fewer or more records than the header counts. Kafka's produce path raises
 * InvalidRecordException for these (INVALID_RECORD), not CorruptRecordException: the bytes are
 * what the producer meant to send, and sending them again cannot help. `recordIndex` is the record
 * where the walk failed (Kafka's batch_index).
 *
 * Code: BRK_ERR_RECORD_INVALID.
 */
export class InvalidRecordError extends CorruptRecordError {
  readonly recordIndex: number;

  constructor(message: string, recordIndex: number) {
    super(message, "BRK_ERR_RECORD_INVALID", ErrorCode.INVALID_RECORD);
    this.name = "InvalidRecordError";
    this.recordIndex = recordIndex;
  }
}

/**
 * Compression or decompression failed.
 *
 * Codes and the Kafka error each maps to (`errorCode`):
 * - BRK_ERR_COMPRESSION_UNSUPPORTED: a codec id this side does not implement (5..7, or zstd in a
 *   magic 0/1 message) → UNSUPPORTED_COMPRESSION_TYPE.
 * - BRK_ERR_COMPRESSION_CORRUPT: the compressed bytes do not decode → CORRUPT_MESSAGE.
 * - BRK_ERR_COMPRESSION_TOO_LARGE: the output would pass the caller's decompressedBytesMax (a
 *   compression bomb, or a legitimately huge batch) → MESSAGE_TOO_LARGE, which Java producers
 *   answer by splitting the batch.
 */
export class CompressionError extends ProtocolDecodeError {
  readonly errorCode: number;

  constructor(message: string, code: CompressionErrorCode) {
    super(message, code);
    this.name = "CompressionError";
    this.errorCode = compressionKafkaErrorCode[code];
  }
}

const compressionKafkaErrorCode = {
  BRK_ERR_COMPRESSION_UNSUPPORTED: ErrorCode.UNSUPPORTED_COMPRESSION_TYPE,
  BRK_ERR_COMPRESSION_CORRUPT: ErrorCode.CORRUPT_MESSAGE,
  BRK_ERR_COMPRESSION_TOO_LARGE: ErrorCode.MESSAGE_TOO_LARGE,
} as const;

export type CompressionErrorCode = keyof typeof compressionKafkaErrorCode;
