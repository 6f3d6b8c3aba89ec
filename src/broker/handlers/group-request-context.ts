import type { RequestContext as CoordinatorRequestContext } from "../../coordinator/index.js";
import type { RequestContext } from "../api-handler.js";

/**
 * What the group coordinator records about a request's sender: the version, the client id, and the
 * client's address as Kafka renders it (Java's `InetAddress.toString()`: "/127.0.0.1"), which
 * DescribeGroups and `kafka-consumer-groups --describe` show as the member's host.
 */
export function coordinatorContext(context: RequestContext): CoordinatorRequestContext {
  return {
    apiVersion: context.apiVersion,
    clientId: context.clientId ?? "",
    clientHost: `/${clientAddress(context.connection.socket.remoteAddress)}`,
  };
}

/** IPv4 clients of a dual-stack listener show up as "::ffff:a.b.c.d"; Kafka shows them as IPv4. */
function clientAddress(address: string | undefined): string {
  if (address === undefined) return "";
  return address.startsWith("::ffff:") && address.includes(".") ? address.slice("::ffff:".length) : address;
}
