import {
  ApiKey,
  type ApiVersionsRequest,
  type ApiVersionsResponseInput,
  ErrorCode,
} from "../../protocol/index.js";
import { defineHandler } from "../api-handler.js";

/**
 * ApiVersions: the first request of every modern client. Always answered (never a closed
 * connection: librdkafka 2.0 marks the broker failed otherwise), with the ranges of the handlers
 * that are registered. v3+ also carries the client's software name and version (KIP-511), which
 * the connection keeps for the console.
 */
export function apiVersionsHandler(
  advertised: () => { apiKey: number; minVersion: number; maxVersion: number }[],
) {
  return defineHandler<ApiVersionsRequest, ApiVersionsResponseInput>({
    apiKey: ApiKey.ApiVersions,
    minVersion: 0,
    maxVersion: 4,
    handle(request, context) {
      if (context.apiVersion >= 3) {
        context.connection.attributes.set("clientSoftwareName", request.clientSoftwareName);
        context.connection.attributes.set("clientSoftwareVersion", request.clientSoftwareVersion);
        const valid = /^[a-zA-Z0-9](?:[a-zA-Z0-9\-.]*[a-zA-Z0-9])?$/;
        if (!valid.test(request.clientSoftwareName) || !valid.test(request.clientSoftwareVersion)) {
          return { errorCode: ErrorCode.INVALID_REQUEST, apiKeys: advertised() };
        }
      }
      return { errorCode: ErrorCode.NONE, apiKeys: advertised(), throttleTimeMs: 0 };
    },
    errorResponse: (_request, errorCode) => ({ errorCode, apiKeys: advertised() }),
  });
}
