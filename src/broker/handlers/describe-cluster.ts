import {
  ApiKey,
  type DescribeClusterRequest,
  type DescribeClusterResponseInput,
  ErrorCode,
} from "../../protocol/index.js";
import { defineHandler } from "../api-handler.js";
import type { Broker } from "../broker.js";

/** DescribeCluster: the brokers (endpoints of the listener used), cluster id and controller (KIP-700). */
export function describeClusterHandler(broker: Broker) {
  return defineHandler<DescribeClusterRequest, DescribeClusterResponseInput>({
    apiKey: ApiKey.DescribeCluster,
    minVersion: 0,
    maxVersion: 1,
    handle(request, context) {
      // endpointType 1 = brokers; 2 = controllers, which a combined single node also is.
      if (context.apiVersion >= 1 && request.endpointType !== 1 && request.endpointType !== 2) {
        return {
          throttleTimeMs: 0,
          errorCode: ErrorCode.UNSUPPORTED_ENDPOINT_TYPE,
          errorMessage: `Unsupported endpoint type ${request.endpointType}`,
          endpointType: request.endpointType,
          clusterId: broker.clusterId,
        };
      }
      const brokers = broker.image.liveBrokers().flatMap((b) => {
        const e = b.endPoints.find((x) => x.name === context.listenerName) ?? b.endPoints[0];
        return e === undefined ? [] : [{ brokerId: b.id, host: e.host, port: e.port, rack: b.rack }];
      });
      return {
        throttleTimeMs: 0,
        errorCode: ErrorCode.NONE,
        errorMessage: null,
        endpointType: request.endpointType,
        clusterId: broker.clusterId,
        controllerId: broker.nodeId,
        brokers,
        clusterAuthorizedOperations: request.includeClusterAuthorizedOperations ? 0 : -2147483648,
      };
    },
    errorResponse: (_r, errorCode) => ({ throttleTimeMs: 0, errorCode, clusterId: broker.clusterId }),
  });
}
