import type { RequestContext as CoordinatorRequestContext } from "../../coordinator/index.js";
import type { RequestContext } from "../api-handler.js";

/**
 * What the group coordinator records about a request's sender: the version, the client id, and the
 * client's address as Kafka renders it (Java's `InetAddress.toString()`: "/127.0.0.1", an IPv6 one in full), which
 * DescribeGroups and `kafka-consumer-groups --describe` show as the member's host.
 */
export function coordinatorContext(context: RequestContext): CoordinatorRequestContext {
  return {
    apiVersion: context.apiVersion,
    clientId: context.clientId ?? "",
    clientHost: `/${context.connection.hostAddress}`,
  };
}
