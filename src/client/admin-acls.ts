import {
  type AclBinding,
  type AclBindingFilter,
  ApiKey,
  type CreateAclsResponse,
  type DeleteAclsResponse,
  type DescribeAclsResponse,
  ErrorCode,
  KafkaError,
} from "../protocol/index.js";
import { errorMessageOf } from "./admin-results.js";
import { type AdminCallOptions, type AdminTransport, shouldRetry } from "./admin-transport.js";

/* The admin client's ACL operations (Kafka's Admin createAcls, describeAcls, deleteAcls). */

/** One binding's answer to createAcls: null error when it was created (or existed already). */
export interface AclCreationResult {
  readonly binding: AclBinding;
  readonly error: KafkaError | null;
}

/** One filter's answer to deleteAcls: the bindings it matched and removed, or the filter's error. */
export interface AclDeletionResult {
  readonly filter: AclBindingFilter;
  readonly error: KafkaError | null;
  readonly deleted: readonly AclBinding[];
}

const errorOf = (code: number, message: string | null) =>
  code === ErrorCode.NONE ? null : new KafkaError(code, errorMessageOf(code, message) ?? undefined);

/** Creates ACLs; each binding gets its own result, in order (a binding given twice is sent once). */
export async function createAcls(
  t: AdminTransport,
  bindings: readonly AclBinding[],
  options: AdminCallOptions = {},
): Promise<AclCreationResult[]> {
  const unique = [...new Map(bindings.map((b) => [JSON.stringify(b), b])).values()];
  if (unique.length === 0) return [];
  const deadline = t.deadline(options);
  const response = await t.withBroker(deadline, null, (connection, timeoutMs) =>
    connection.request<CreateAclsResponse>(
      ApiKey.CreateAcls,
      connection.negotiatedVersion(ApiKey.CreateAcls, 3, 1),
      {
        creations: unique.map((b) => ({
          resourceType: b.pattern.resourceType,
          resourceName: b.pattern.name,
          resourcePatternType: b.pattern.patternType,
          principal: b.entry.principal,
          host: b.entry.host,
          operation: b.entry.operation,
          permissionType: b.entry.permissionType,
        })),
      },
      { timeoutMs },
    ),
  );
  const byKey = new Map(
    unique.map((b, i) => {
      const r = response.results[i];
      const error =
        r === undefined
          ? new KafkaError(ErrorCode.UNKNOWN_SERVER_ERROR, "the broker's answer did not include this ACL")
          : errorOf(r.errorCode, r.errorMessage);
      return [JSON.stringify(b), error] as const;
    }),
  );
  return bindings.map((binding) => ({ binding, error: byKey.get(JSON.stringify(binding)) ?? null }));
}

/** The ACLs matching a filter; throws the broker's error (SECURITY_DISABLED, CLUSTER_AUTHORIZATION_FAILED). */
export async function describeAcls(
  t: AdminTransport,
  filter: AclBindingFilter,
  options: AdminCallOptions = {},
): Promise<AclBinding[]> {
  const deadline = t.deadline(options);
  for (;;) {
    const response = await t.withBroker(deadline, null, (connection, timeoutMs) =>
      connection.request<DescribeAclsResponse>(
        ApiKey.DescribeAcls,
        connection.negotiatedVersion(ApiKey.DescribeAcls, 3, 1),
        {
          resourceTypeFilter: filter.patternFilter.resourceType,
          resourceNameFilter: filter.patternFilter.name,
          patternTypeFilter: filter.patternFilter.patternType,
          principalFilter: filter.entryFilter.principal,
          hostFilter: filter.entryFilter.host,
          operation: filter.entryFilter.operation,
          permissionType: filter.entryFilter.permissionType,
        },
        { timeoutMs },
      ),
    );
    if (response.errorCode === ErrorCode.NONE) {
      return response.resources.flatMap((r) =>
        r.acls.map((a) => ({
          pattern: { resourceType: r.resourceType, name: r.resourceName, patternType: r.patternType },
          entry: {
            principal: a.principal,
            host: a.host,
            operation: a.operation,
            permissionType: a.permissionType,
          },
        })),
      );
    }
    if (!shouldRetry(response.errorCode) || deadline.expired())
      throw errorOf(response.errorCode, response.errorMessage) as KafkaError;
    await deadline.sleep(t.retryBackoffMs);
  }
}

/** Deletes the ACLs matching each filter; one result per filter, in order. */
export async function deleteAcls(
  t: AdminTransport,
  filters: readonly AclBindingFilter[],
  options: AdminCallOptions = {},
): Promise<AclDeletionResult[]> {
  if (filters.length === 0) return [];
  const deadline = t.deadline(options);
  const response = await t.withBroker(deadline, null, (connection, timeoutMs) =>
    connection.request<DeleteAclsResponse>(
      ApiKey.DeleteAcls,
      connection.negotiatedVersion(ApiKey.DeleteAcls, 3, 1),
      {
        filters: filters.map((f) => ({
          resourceTypeFilter: f.patternFilter.resourceType,
          resourceNameFilter: f.patternFilter.name,
          patternTypeFilter: f.patternFilter.patternType,
          principalFilter: f.entryFilter.principal,
          hostFilter: f.entryFilter.host,
          operation: f.entryFilter.operation,
          permissionType: f.entryFilter.permissionType,
        })),
      },
      { timeoutMs },
    ),
  );
  return filters.map((filter, i) => {
    const r = response.filterResults[i];
    if (r === undefined)
      return {
        filter,
        error: new KafkaError(
          ErrorCode.UNKNOWN_SERVER_ERROR,
          "the broker's answer did not include this filter",
        ),
        deleted: [],
      };
    return {
      filter,
      error: errorOf(r.errorCode, r.errorMessage),
      deleted: r.matchingAcls.map((m) => ({
        pattern: { resourceType: m.resourceType, name: m.resourceName, patternType: m.patternType },
        entry: {
          principal: m.principal,
          host: m.host,
          operation: m.operation,
          permissionType: m.permissionType,
        },
      })),
    };
  });
}
