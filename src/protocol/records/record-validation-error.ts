import { ErrorCode, KafkaError } from "../error-codes.js";

/** One rejected record of a produced batch: Produce v8+'s BatchIndexAndErrorMessage (KIP-467). */
export interface RecordError {
  /** The record's index in its batch, from 0. */
  readonly batchIndex: number;
  readonly message: string | null;
}

/**
 * A produced batch refused because of some of its records (Kafka's RecordValidationException):
 * the partition answers with `errorCode` (INVALID_RECORD, or INVALID_TIMESTAMP when a timestamp
 * was among the reasons) and `message`, and Produce v8+ lists `recordErrors` so that a client can
 * fail exactly the records named (librdkafka 2.4+ and the Java producer do; the others of the batch
 * fail with a generic error). Nothing of the batch is appended.
 */
export class RecordValidationError extends KafkaError {
  readonly recordErrors: readonly RecordError[];

  constructor(errorCode: number, message: string, recordErrors: readonly RecordError[]) {
    super(errorCode, message);
    this.name = "RecordValidationError";
    this.recordErrors = recordErrors;
  }

  /**
   * Kafka's answer for record errors (LogValidator.processRecordErrors): INVALID_TIMESTAMP when
   * any is about a timestamp, else INVALID_RECORD with the count and the first three.
   */
  static of(
    recordErrors: readonly RecordError[],
    anyTimestamp: boolean,
    totalCount: number,
  ): RecordValidationError {
    if (anyTimestamp) {
      return new RecordValidationError(
        ErrorCode.INVALID_TIMESTAMP,
        "One or more records have been rejected due to invalid timestamp",
        recordErrors,
      );
    }
    const shown = recordErrors
      .slice(0, 3)
      .map(
        (e) =>
          `RecordError(batchIndex=${e.batchIndex}, message=${e.message === null ? "null" : `'${e.message}'`})`,
      );
    return new RecordValidationError(
      ErrorCode.INVALID_RECORD,
      `One or more records have been rejected due to ${totalCount} record errors in total, and only showing the first three errors at most: [${shown.join(", ")}]`,
      recordErrors,
    );
  }
}
