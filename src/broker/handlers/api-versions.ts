import {
  ApiKey,
  type ApiVersionsRequest,
  type ApiVersionsResponseInput,
  ErrorCode,
} from "../../protocol/index.js";
import { defineHandler } from "../api-handler.js";

/** A feature as ApiVersions v3+ lists it: the levels this broker supports and the finalized one. */
export interface AdvertisedFeature {
  readonly name: string;
  readonly minVersion: number;
  readonly maxVersion: number;
  /** The cluster's finalized level; 0 is not listed (the feature is off). */
  readonly finalizedLevel: number;
}

/** Before v4, a supported feature whose min level is 0 is left out: old clients refuse it (KIP-1004). */
const FIRST_VERSION_WITH_MIN_ZERO_FEATURES = 4;

/**
 * ApiVersions: the first request of every modern client. Always answered (never a closed
 * connection: librdkafka 2.0 marks the broker failed otherwise), with the ranges of the handlers
 * that are registered. v3+ also carries the client's software name and version (KIP-511), which
 * the connection keeps for the console. v3+ lists the features (`transaction.version`: clients
 * use transactions version 2 only when its finalized level is 2).
 */
export function apiVersionsHandler(
  advertised: () => { apiKey: number; minVersion: number; maxVersion: number }[],
  features: () => readonly AdvertisedFeature[] = () => [],
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
      if (context.apiVersion < 3)
        return { errorCode: ErrorCode.NONE, apiKeys: advertised(), throttleTimeMs: 0 };
      const listed = features();
      return {
        errorCode: ErrorCode.NONE,
        apiKeys: advertised(),
        throttleTimeMs: 0,
        supportedFeatures: listed
          .filter((f) => f.minVersion > 0 || context.apiVersion >= FIRST_VERSION_WITH_MIN_ZERO_FEATURES)
          .map((f) => ({ name: f.name, minVersion: f.minVersion, maxVersion: f.maxVersion })),
        // Brook's features change only with a restart (or a FeatureLevel record); one epoch will do.
        finalizedFeaturesEpoch: 0n,
        finalizedFeatures: listed
          .filter((f) => f.finalizedLevel > 0)
          .map((f) => ({
            name: f.name,
            minVersionLevel: f.finalizedLevel,
            maxVersionLevel: f.finalizedLevel,
          })),
      };
    },
    errorResponse: (_request, errorCode) => ({ errorCode, apiKeys: advertised() }),
  });
}
