import { type AlterConfigsRequest, type AlterConfigsResponseInput, ApiKey } from "../../protocol/index.js";
import { defineHandler } from "../api-handler.js";
import { AlterConfigOp, alterConfigsAuthorized, everyResourceFailed } from "../config-alteration.js";
import { ConfigResourceKind } from "../config-resource.js";
import type { AuthorizerAccess, BrokerSettings, ControllerAccess, MetadataView } from "../handler-context.js";

/**
 * AlterConfigs (v0-2), the legacy API: the configs given replace the resource's whole set of
 * overrides (a topic override not named is removed). Validated as a whole, committed to the
 * metadata log, then applied to the partition logs; validateOnly checks without committing.
 */
/** AlterConfigs has no timeout of its own: a forward waits as long as Kafka's inter-broker requests. */
const FORWARD_TIMEOUT_MS = 30_000;

export function alterConfigsHandler(
  broker: MetadataView & ControllerAccess & BrokerSettings & AuthorizerAccess,
) {
  return defineHandler<AlterConfigsRequest, AlterConfigsResponseInput>({
    apiKey: ApiKey.AlterConfigs,
    minVersion: 0,
    maxVersion: 2,
    async handle(request, context) {
      // Topic configs are the controller's; broker resources are this broker's own.
      if (
        !request.validateOnly &&
        request.resources.some((r) => r.resourceType === ConfigResourceKind.TOPIC)
      ) {
        if (broker.forwarder.shouldForward(context))
          return broker.forwarder.forward<AlterConfigsResponseInput>(context, request, FORWARD_TIMEOUT_MS);
      }
      const responses = await alterConfigsAuthorized(
        broker,
        context,
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
