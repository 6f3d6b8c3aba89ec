import {
  ApiKey,
  type IncrementalAlterConfigsRequest,
  type IncrementalAlterConfigsResponseInput,
} from "../../protocol/index.js";
import { defineHandler } from "../api-handler.js";
import type { Broker } from "../broker.js";
import { alterConfigs, everyResourceFailed } from "../config-alteration.js";

/**
 * IncrementalAlterConfigs (v0-1, KIP-339): SET, DELETE, and APPEND / SUBTRACT on list configs
 * (cleanup.policy, the throttled-replica lists). The resulting set of overrides is validated as a
 * whole, committed to the metadata log and applied to the partition logs; validateOnly checks
 * without committing.
 */
export function incrementalAlterConfigsHandler(broker: Broker) {
  return defineHandler<IncrementalAlterConfigsRequest, IncrementalAlterConfigsResponseInput>({
    apiKey: ApiKey.IncrementalAlterConfigs,
    minVersion: 0,
    maxVersion: 1,
    async handle(request) {
      const responses = await alterConfigs(
        broker,
        request.resources.map((r) => ({
          resourceType: r.resourceType,
          resourceName: r.resourceName,
          configs: r.configs.map((c) => ({ name: c.name, op: c.configOperation, value: c.value })),
        })),
        { validateOnly: request.validateOnly, legacy: false },
      );
      return { throttleTimeMs: 0, responses };
    },
    errorResponse: (request, errorCode) => everyResourceFailed(request.resources, errorCode),
  });
}
