import { ErrorCode } from "../../protocol/index.js";

/**
 * PRODUCER_FENCED (KIP-588) exists for a transactional API from `firstVersion` on; older
 * versions get INVALID_PRODUCER_EPOCH, which their clients treat as fatal the same way.
 */
export function producerFencedError(errorCode: number, apiVersion: number, firstVersion: number): number {
  return errorCode === ErrorCode.PRODUCER_FENCED && apiVersion < firstVersion
    ? ErrorCode.INVALID_PRODUCER_EPOCH
    : errorCode;
}
