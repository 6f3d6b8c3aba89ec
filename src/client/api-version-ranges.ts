import { type ApiVersionsResponseApiVersion, apiSpec } from "../protocol/index.js";
import { ClientError, ClientErrorCode } from "./client-error.js";

/**
 * The API versions a broker advertised in its ApiVersions answer, and the choice of a version for
 * each request: the highest that the broker, Brook's codecs and the caller all accept.
 */
export class ApiVersionRanges {
  private readonly ranges = new Map<number, { minVersion: number; maxVersion: number }>();

  constructor(apiKeys: readonly ApiVersionsResponseApiVersion[]) {
    for (const { apiKey, minVersion, maxVersion } of apiKeys)
      this.ranges.set(apiKey, { minVersion, maxVersion });
  }

  /** The broker's range for an API, or undefined when it does not serve the API. */
  range(apiKey: number): { minVersion: number; maxVersion: number } | undefined {
    return this.ranges.get(apiKey);
  }

  /**
   * The highest version in [wantedMin, wantedMax] that the broker and the codecs support. Throws
   * BRK_ERR_CLIENT_UNSUPPORTED_VERSION when there is none.
   */
  negotiate(apiKey: number, wantedMax: number, wantedMin = 0): number {
    const broker = this.ranges.get(apiKey);
    const codec = apiSpec(apiKey);
    const name = codec?.name ?? `api key ${apiKey}`;
    if (broker === undefined || codec === undefined) {
      throw new ClientError(ClientErrorCode.unsupportedVersion, `the broker does not serve ${name}`);
    }
    const version = Math.min(wantedMax, broker.maxVersion, codec.maxVersion);
    const floor = Math.max(wantedMin, broker.minVersion, codec.minVersion);
    if (version < floor) {
      throw new ClientError(
        ClientErrorCode.unsupportedVersion,
        `no common version of ${name}: the broker serves ${broker.minVersion}-${broker.maxVersion}, ` +
          `wanted ${wantedMin}-${wantedMax}`,
      );
    }
    return version;
  }
}
