import { hostname } from "node:os";
import {
  ApiKey,
  type DescribeClusterRequest,
  type DescribeClusterResponseDescribeClusterBrokerInput,
  type DescribeClusterResponseInput,
  ErrorCode,
} from "../../protocol/index.js";
import { defineHandler, type RequestContext } from "../api-handler.js";
import { AUTHORIZED_OPERATIONS_OMITTED, clusterAuthorizedOperations } from "../authorized-operations.js";
import type { AuthorizerAccess, BrokerSettings, MetadataView } from "../handler-context.js";

/** KIP-919 endpoint types. */
const EndpointType = { BROKER: 1, CONTROLLER: 2 } as const;
const ENDPOINT_TYPE_NAMES = new Map<number, string>([
  [EndpointType.BROKER, "BROKER"],
  [EndpointType.CONTROLLER, "CONTROLLER"],
]);

/**
 * DescribeCluster (v0-1, KIP-700, KIP-919): the cluster id, a live controller id (a combined node
 * names itself) and the nodes on the listener the request came in on. As in Kafka, a broker
 * listener describes brokers and a controller listener describes controllers; asking the wrong one
 * is MISMATCHED_ENDPOINT_TYPE (INVALID_REQUEST at v0, where the request cannot name a type), an
 * unknown type UNSUPPORTED_ENDPOINT_TYPE. Any client may ask, as Kafka's brokers answer it;
 * ClusterAuthorizedOperations, when asked for, is what the client may do on the cluster (every
 * operation without an authorizer, 0 without DESCRIBE on the cluster).
 */
export function describeClusterHandler(broker: MetadataView & BrokerSettings & AuthorizerAccess) {
  return defineHandler<DescribeClusterRequest, DescribeClusterResponseInput>({
    apiKey: ApiKey.DescribeCluster,
    minVersion: 0,
    maxVersion: 1,
    handle(request, context) {
      const onController = broker.config.controllerListenerNames.includes(context.listenerName);
      const expected = onController ? EndpointType.CONTROLLER : EndpointType.BROKER;
      const requested = ENDPOINT_TYPE_NAMES.get(request.endpointType);
      const v0 = context.apiVersion === 0;
      if (requested === undefined) {
        return {
          throttleTimeMs: 0,
          errorCode: v0 ? ErrorCode.INVALID_REQUEST : ErrorCode.UNSUPPORTED_ENDPOINT_TYPE,
          errorMessage: `Unsupported endpoint type ${request.endpointType}`,
          clusterId: "",
        };
      }
      if (request.endpointType !== expected) {
        return {
          throttleTimeMs: 0,
          errorCode: v0 ? ErrorCode.INVALID_REQUEST : ErrorCode.MISMATCHED_ENDPOINT_TYPE,
          errorMessage: `The request was sent to an endpoint of type ${ENDPOINT_TYPE_NAMES.get(expected)}, but we wanted an endpoint of type ${requested}`,
          clusterId: "",
        };
      }
      return {
        throttleTimeMs: 0,
        errorCode: ErrorCode.NONE,
        errorMessage: null,
        endpointType: request.endpointType,
        clusterId: broker.clusterId,
        controllerId: onController ? broker.nodeId : broker.activeControllerId,
        brokers: onController ? controllerNodes(broker, context) : brokerNodes(broker, context),
        clusterAuthorizedOperations: request.includeClusterAuthorizedOperations
          ? clusterAuthorizedOperations(broker.authorizer, context)
          : AUTHORIZED_OPERATIONS_OMITTED,
      };
    },
    errorResponse: (_r, errorCode) => ({ throttleTimeMs: 0, errorCode, clusterId: "" }),
  });
}

/** Live (unfenced) brokers with an endpoint on the request's listener. */
function brokerNodes(
  broker: MetadataView,
  context: RequestContext,
): DescribeClusterResponseDescribeClusterBrokerInput[] {
  return broker.image.liveBrokers().flatMap((b) => {
    const e = b.endPoints.find((x) => x.name === context.listenerName);
    return e === undefined ? [] : [{ brokerId: b.id, host: e.host, port: e.port, rack: b.rack }];
  });
}

/** The controllers: this combined node, at its controller listener's bound address. */
function controllerNodes(
  broker: MetadataView,
  context: RequestContext,
): DescribeClusterResponseDescribeClusterBrokerInput[] {
  const bound = broker.listeners.find((l) => l.name === context.listenerName);
  if (bound === undefined) return [];
  const host = bound.host === "" || bound.host === "0.0.0.0" ? hostname() : bound.host;
  return [{ brokerId: broker.nodeId, host, port: bound.boundPort, rack: null }];
}
