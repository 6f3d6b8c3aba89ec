import { requestHeaderVersion, responseHeaderVersion } from "./generated/api-keys.js";
import {
  decodeRequestHeader,
  encodeRequestHeader,
  type RequestHeader,
  type RequestHeaderInput,
} from "./generated/headers/request-header.js";
import {
  decodeResponseHeader,
  encodeResponseHeader,
  type ResponseHeader,
} from "./generated/headers/response-header.js";
import { ProtocolDecodeError } from "./protocol-error.js";
import type { Reader } from "./reader.js";
import type { Writer } from "./writer.js";

/**
 * Request and response headers chosen by API key and version, as the wire requires: every request
 * starts with apiKey int16 and apiVersion int16 whatever its header version, so the header version
 * (and with it whether a tagged field section follows the client id) is known after four bytes.
 * Frames here exclude the int32 size prefix.
 */

/** The smallest request header: apiKey, apiVersion, correlationId (header v0). */
export const REQUEST_HEADER_BYTES_MIN = 8;

/** Reads the request header at the start of a frame; `r` is left at the start of the body. */
export function decodeRequestFrameHeader(r: Reader): RequestHeader {
  if (r.remaining < REQUEST_HEADER_BYTES_MIN) {
    throw new ProtocolDecodeError(
      `request of ${r.remaining} bytes is shorter than a header`,
      "BRK_ERR_PROTOCOL_TRUNCATED",
    );
  }
  const apiKey = r.buf.readInt16BE(r.pos);
  const apiVersion = r.buf.readInt16BE(r.pos + 2);
  return decodeRequestHeader(r, requestHeaderVersion(apiKey, apiVersion));
}

/** Writes a request header in the version its API key and version call for. */
export function encodeRequestFrameHeader(w: Writer, header: RequestHeaderInput): void {
  encodeRequestHeader(w, header, requestHeaderVersion(header.requestApiKey, header.requestApiVersion));
}

/** Writes the response header for a request: v1 (with tagged fields) for flexible versions, else v0. */
export function encodeResponseFrameHeader(
  w: Writer,
  apiKey: number,
  apiVersion: number,
  correlationId: number,
): void {
  encodeResponseHeader(w, { correlationId }, responseHeaderVersion(apiKey, apiVersion));
}

/** Reads the response header of a response to a request with this API key and version. */
export function decodeResponseFrameHeader(r: Reader, apiKey: number, apiVersion: number): ResponseHeader {
  return decodeResponseHeader(r, responseHeaderVersion(apiKey, apiVersion));
}
