import { BrookError } from "../base/index.js";

/**
 * Errors of the group coordinator itself (client mistakes get Kafka error codes instead):
 * - BRK_ERR_COORDINATOR_CORRUPT_RECORD: a `__consumer_offsets` record decodes but cannot be what
 *   a coordinator wrote (a group with members and no protocol, say); loading the partition fails.
 */
export type CoordinatorErrorCode = "BRK_ERR_COORDINATOR_CORRUPT_RECORD";

export class CoordinatorError extends BrookError {
  constructor(code: CoordinatorErrorCode, message: string, options?: ErrorOptions) {
    super(code, message, options);
    this.name = "CoordinatorError";
  }
}
