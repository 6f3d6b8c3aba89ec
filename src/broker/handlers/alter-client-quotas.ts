import { lookup } from "node:dns/promises";
import { isIP } from "node:net";
import {
  alterClientQuotas,
  type ClientQuotaAlteration,
  type ClientQuotaAlterationResult,
  ClientQuotaEntityType,
} from "../../metadata/index.js";
import {
  AclOperation,
  type AlterClientQuotasRequest,
  type AlterClientQuotasResponseInput,
  ApiKey,
} from "../../protocol/index.js";
import { defineHandler } from "../api-handler.js";
import type { AuthorizerAccess, ControllerAccess, MetadataView } from "../handler-context.js";

/** AlterClientQuotas has no timeout of its own: a forward waits as long as Kafka's inter-broker requests. */
const FORWARD_TIMEOUT_MS = 30_000;

/**
 * AlterClientQuotas (v0-1): sets and removes client quotas (producer_byte_rate,
 * consumer_byte_rate, request_percentage, controller_mutation_rate on user and client-id
 * entities; connection_creation_rate on IP entities). As in KRaft, the request always goes to the
 * active controller (validateOnly too), which checks each entity with Kafka's messages and
 * commits ClientQuota records; every broker applies them from the metadata log.
 */
export function alterClientQuotasHandler(broker: MetadataView & ControllerAccess & AuthorizerAccess) {
  return defineHandler<AlterClientQuotasRequest, AlterClientQuotasResponseInput>({
    apiKey: ApiKey.AlterClientQuotas,
    minVersion: 0,
    maxVersion: 1,
    async handle(request, context) {
      if (broker.forwarder.shouldForward(context))
        return broker.forwarder.forward<AlterClientQuotasResponseInput>(context, request, FORWARD_TIMEOUT_MS);
      broker.authorizer?.requireCluster(context, AclOperation.ALTER_CONFIGS);
      if (request.entries.length === 0) return { throttleTimeMs: 0, entries: [] };
      const alterations: ClientQuotaAlteration[] = request.entries.map((e) => ({
        entity: e.entity,
        ops: e.ops.map((op) => ({ key: op.key, value: op.remove ? null : op.value })),
      }));
      const resolvable = await resolvableHosts(alterations);
      const validIp = (name: string) => resolvable.has(name);
      const results = await broker.decide("alter client quotas", (image) => {
        const outcome = alterClientQuotas(image.clientQuotas, alterations, validIp);
        return { records: request.validateOnly ? [] : outcome.records, result: outcome.results };
      });
      return { throttleTimeMs: 0, entries: results.map(toEntry) };
    },
    errorResponse: (request, errorCode, _context, errorMessage) => ({
      throttleTimeMs: 0,
      entries: request.entries.map((e) => ({
        errorCode,
        errorMessage: errorMessage ?? null,
        entity: e.entity,
      })),
    }),
  });
}

function toEntry(result: ClientQuotaAlterationResult) {
  return {
    errorCode: result.errorCode,
    errorMessage: result.errorMessage,
    entity: [...result.entity].map(([entityType, entityName]) => ({ entityType, entityName })),
  };
}

/**
 * The IP entity names that are addresses or resolve (Kafka's InetAddress.getByName check), looked
 * up before the controller decides, which it does synchronously.
 */
async function resolvableHosts(alterations: readonly ClientQuotaAlteration[]): Promise<Set<string>> {
  const names = new Set<string>();
  for (const a of alterations)
    for (const e of a.entity)
      if (e.entityType === ClientQuotaEntityType.ip && e.entityName !== null && e.entityName !== "")
        names.add(e.entityName);
  const resolvable = new Set<string>();
  await Promise.all(
    [...names].map(async (name) => {
      if (isIP(name) !== 0) {
        resolvable.add(name);
        return;
      }
      try {
        await lookup(name);
        resolvable.add(name);
      } catch {
        // Not resolvable: the controller refuses it with Kafka's message.
      }
    }),
  );
  return resolvable;
}
