import {
  ApiKey,
  type IncrementalAlterConfigsRequest,
  type IncrementalAlterConfigsResponseInput,
} from "../../protocol/index.js";
import { defineHandler } from "../api-handler.js";
import { alterConfigsAuthorized, everyResourceFailed } from "../config-alteration.js";
import { ConfigResourceKind } from "../config-resource.js";
import type { AuthorizerAccess, BrokerSettings, ControllerAccess, MetadataView } from "../handler-context.js";

/**
 * IncrementalAlterConfigs (v0-1, KIP-339): SET, DELETE, and APPEND / SUBTRACT on list configs
 * (cleanup.policy, the throttled-replica lists). The resulting set of overrides is validated as a
 * whole, committed to the metadata log and applied to the partition logs; validateOnly checks
 * without committing.
 */
/** AlterConfigs has no timeout of its own: a forward waits as long as Kafka's inter-broker requests. */
const FORWARD_TIMEOUT_MS = 30_000;

export function incrementalAlterConfigsHandler(
  broker: MetadataView & ControllerAccess & BrokerSettings & AuthorizerAccess,
) {
  return defineHandler<IncrementalAlterConfigsRequest, IncrementalAlterConfigsResponseInput>({
    apiKey: ApiKey.IncrementalAlterConfigs,
    minVersion: 0,
    maxVersion: 1,
    async handle(request, context) {
      // Topic configs are the controller's; broker resources are this broker's own.
      if (
        !request.validateOnly &&
        request.resources.some((r) => r.resourceType === ConfigResourceKind.TOPIC)
      ) {
        if (broker.forwarder.shouldForward(context))
          return broker.forwarder.forward<IncrementalAlterConfigsResponseInput>(
            context,
            request,
            FORWARD_TIMEOUT_MS,
          );
      }
      const responses = await alterConfigsAuthorized(
        broker,
        context,
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
