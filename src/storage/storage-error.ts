import { BrookError } from "../base/index.js";
import { ErrorCode, KafkaError } from "../protocol/index.js";

/**
 * Errors of the storage engine that have no Kafka error code of their own. Client-visible failures
 * (a corrupt produced batch, an offset out of range) are `KafkaError`s instead; these are for the
 * broker's own handling and logs.
 *
 * Codes:
 * - BRK_ERR_STORAGE_CORRUPT: bytes on disk fail a check that recovery cannot repair by truncation
 *   (a checkpoint that does not parse, an index that fails its sanity check and cannot be rebuilt).
 * - BRK_ERR_STORAGE_IO: a file operation failed; the log is marked offline.
 * - BRK_ERR_STORAGE_LOG_OFFLINE: the log failed earlier (see `cause`) or was closed.
 * - BRK_ERR_STORAGE_UNEXPECTED_APPEND_OFFSET: a follower append whose offsets do not follow the log end.
 */
export type StorageErrorCode =
  | "BRK_ERR_STORAGE_CORRUPT"
  | "BRK_ERR_STORAGE_IO"
  | "BRK_ERR_STORAGE_LOG_OFFLINE"
  | "BRK_ERR_STORAGE_UNEXPECTED_APPEND_OFFSET";

export class StorageError extends BrookError {
  override readonly code: StorageErrorCode;

  constructor(code: StorageErrorCode, message: string, options?: ErrorOptions) {
    super(code, message, options);
    this.code = code;
    this.name = "StorageError";
  }
}

/**
 * OFFSET_OUT_OF_RANGE with the valid range, which the Fetch and ListOffsets handlers put in their
 * responses (log start offset) and a follower uses to reset.
 */
export class OffsetOutOfRangeError extends KafkaError {
  readonly logStartOffset: bigint;
  readonly logEndOffset: bigint;

  constructor(offset: bigint, logStartOffset: bigint, logEndOffset: bigint, what: string) {
    super(
      ErrorCode.OFFSET_OUT_OF_RANGE,
      `offset ${offset} is out of range for ${what}: the log holds [${logStartOffset}, ${logEndOffset})`,
    );
    this.name = "OffsetOutOfRangeError";
    this.logStartOffset = logStartOffset;
    this.logEndOffset = logEndOffset;
  }
}
