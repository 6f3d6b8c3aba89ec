import { type AlterConfigsRequest, type AlterConfigsResponseInput, ApiKey } from "../../protocol/index.js";
import { defineHandler } from "../api-handler.js";
import type { Broker } from "../broker.js";
import { AlterConfigOp, alterConfigs, everyResourceFailed } from "../config-alteration.js";

/**
 * AlterConfigs (v0-2), the legacy API: the configs given replace the resource's whole set of
 * overrides (a topic override not named is removed). Validated as a whole, committed to the
 * metadata log, then applied to the partition logs; validateOnly checks without committing.
 */
export function alterConfigsHandler(broker: Broker) {
  return defineHandler<AlterConfigsRequest, AlterConfigsResponseInput>({
    apiKey: ApiKey.AlterConfigs,
    minVersion: 0,
    maxVersion: 2,
    async handle(request) {
      const responses = await alterConfigs(
        broker,
        request.resources.map((r) => ({
          resourceType: r.resourceType,
          resourceName: r.resourceName,
          configs: r.configs.map((c) => ({ name: c.name, op: AlterConfigOp.SET, value: c.value })),
        })),
        { validateOnly: request.validateOnly, legacy: true },
      );
      return { throttleTimeMs: 0, responses };
    },
    errorResponse: (request, errorCode) => everyResourceFailed(request.resources, errorCode),
  });
}
