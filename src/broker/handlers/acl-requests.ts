import {
  type AclBindingFilter,
  operationOf,
  patternTypeOf,
  permissionTypeOf,
  resourceTypeOf,
} from "../../protocol/index.js";
import { NO_RESPONSE, type RequestContext } from "../api-handler.js";

/* What DescribeAcls, CreateAcls and DeleteAcls share: reading their filters and codes as Kafka does. */

/** An ACL filter or creation as the wire carries it. */
interface WireAclCodes {
  readonly resourceTypeFilter?: number;
  readonly resourceType?: number;
  readonly patternTypeFilter?: number;
  readonly resourcePatternType?: number;
  readonly operation: number;
  readonly permissionType: number;
}

/**
 * Whether a filter or creation names the UNKNOWN code (0) of a type, pattern, operation or
 * permission: Kafka's request classes refuse that while parsing (IllegalArgumentException), and
 * a request that does not parse closes its connection.
 */
export function hasUnknownCode(item: WireAclCodes): boolean {
  return (
    (item.resourceTypeFilter ?? item.resourceType) === 0 ||
    (item.patternTypeFilter ?? item.resourcePatternType) === 0 ||
    item.operation === 0 ||
    item.permissionType === 0
  );
}

/** The connection closed, as for any request Kafka cannot parse. */
export function unparseable(context: RequestContext): typeof NO_RESPONSE {
  context.connection.close();
  return NO_RESPONSE;
}

/** A DescribeAcls or DeleteAcls filter, with codes Kafka does not define read as UNKNOWN. */
export function bindingFilterOf(f: {
  resourceTypeFilter: number;
  resourceNameFilter: string | null;
  patternTypeFilter: number;
  principalFilter: string | null;
  hostFilter: string | null;
  operation: number;
  permissionType: number;
}): AclBindingFilter {
  return {
    patternFilter: {
      resourceType: resourceTypeOf(f.resourceTypeFilter),
      name: f.resourceNameFilter,
      patternType: patternTypeOf(f.patternTypeFilter),
    },
    entryFilter: {
      principal: f.principalFilter,
      host: f.hostFilter,
      operation: operationOf(f.operation),
      permissionType: permissionTypeOf(f.permissionType),
    },
  };
}
