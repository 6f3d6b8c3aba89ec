import { BrookError } from "../base/index.js";

/**
 * Bytes that cannot be decoded: truncated, a length that runs past the end, a varint that never
 * ends, an invalid UTF-8 or boolean. The broker answers these by closing the connection (Kafka
 * does the same for a request it cannot parse), never by crashing.
 */
export class ProtocolDecodeError extends BrookError {
  constructor(message: string, code = "BRK_ERR_PROTOCOL_DECODE") {
    // Undecodable input is client behaviour, not a Brook fault, and a hostile client sends
    // thousands of such frames a second: a stack trace per frame cost ~3.5 µs of the broker's time
    // each (connection-load test profile) and says nothing the message does not.
    const stackTraceLimit = Error.stackTraceLimit;
    Error.stackTraceLimit = 0;
    super(code, message);
    Error.stackTraceLimit = stackTraceLimit;
    this.name = "ProtocolDecodeError";
  }
}

/** A value that the chosen message version cannot carry, or that its type cannot hold. */
export class ProtocolEncodeError extends BrookError {
  constructor(message: string, code = "BRK_ERR_PROTOCOL_ENCODE") {
    super(code, message);
    this.name = "ProtocolEncodeError";
  }
}
