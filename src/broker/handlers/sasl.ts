import {
  ApiKey,
  ErrorCode,
  type SaslAuthenticateRequest,
  type SaslAuthenticateResponseInput,
  type SaslHandshakeRequest,
  type SaslHandshakeResponseInput,
} from "../../protocol/index.js";
import { defineHandler } from "../api-handler.js";

/**
 * SaslHandshake and SaslAuthenticate as the broker's handlers see them: only on a connection that
 * needs no authentication (a PLAINTEXT or SSL listener) or has authenticated already; before
 * that the listener's SaslAuthenticator answers them. Kafka answers both with ILLEGAL_SASL_STATE
 * here. Registered so that ApiVersions advertises them, which clients check before authenticating.
 */
export function saslHandshakeHandler() {
  return defineHandler<SaslHandshakeRequest, SaslHandshakeResponseInput>({
    apiKey: ApiKey.SaslHandshake,
    minVersion: 0,
    maxVersion: 1,
    requestBytesBorrowed: true,
    handle: () => ({ errorCode: ErrorCode.ILLEGAL_SASL_STATE, mechanisms: [] }),
    errorResponse: (_request, errorCode) => ({ errorCode, mechanisms: [] }),
  });
}

export function saslAuthenticateHandler() {
  return defineHandler<SaslAuthenticateRequest, SaslAuthenticateResponseInput>({
    apiKey: ApiKey.SaslAuthenticate,
    minVersion: 0,
    maxVersion: 2,
    requestBytesBorrowed: true,
    handle: () => ({
      errorCode: ErrorCode.ILLEGAL_SASL_STATE,
      errorMessage: "SaslAuthenticate request received after successful authentication",
      authBytes: Buffer.alloc(0),
    }),
    errorResponse: (_request, errorCode) => ({ errorCode, errorMessage: null, authBytes: Buffer.alloc(0) }),
  });
}
