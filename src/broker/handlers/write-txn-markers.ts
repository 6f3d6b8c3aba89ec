import {
  AclOperation,
  ApiKey,
  type WriteTxnMarkersRequest,
  type WriteTxnMarkersResponseInput,
} from "../../protocol/index.js";
import { defineHandler } from "../api-handler.js";
import type {
  AuthorizerAccess,
  BrokerSettings,
  GroupAccess,
  MetadataView,
  PartitionAccess,
} from "../handler-context.js";
import { writeTxnMarkerLocally } from "../txn-marker-writer.js";

/**
 * WriteTxnMarkers 0-1 (inter-broker): a transaction coordinator on another broker has this
 * broker, the partitions' leader, append COMMIT/ABORT control batches (acks=all); markers on
 * `__consumer_offsets` also complete the transactional offsets there.
 */
export function writeTxnMarkersHandler(
  broker: MetadataView &
    Pick<PartitionAccess, "replicaManager"> &
    Pick<GroupAccess, "groupCoordinator"> &
    BrokerSettings &
    AuthorizerAccess,
) {
  return defineHandler<WriteTxnMarkersRequest, WriteTxnMarkersResponseInput>({
    apiKey: ApiKey.WriteTxnMarkers,
    minVersion: 0,
    maxVersion: 1,
    async handle(request, context) {
      // Kafka's: ALTER on the cluster (its denial not logged), else CLUSTER_ACTION.
      const authorizer = broker.authorizer;
      if (authorizer !== null && !authorizer.authorizeCluster(context, AclOperation.ALTER, false))
        authorizer.requireCluster(context, AclOperation.CLUSTER_ACTION);
      const markers = await Promise.all(
        request.markers.map(async (m) => ({
          producerId: m.producerId,
          topics: await Promise.all(
            m.topics.map(async (t) => ({
              name: t.name,
              partitions: await Promise.all(
                t.partitionIndexes.map(async (p) => ({
                  partitionIndex: p,
                  errorCode: await writeTxnMarkerLocally(
                    broker,
                    {
                      producerId: m.producerId,
                      producerEpoch: m.producerEpoch,
                      coordinatorEpoch: m.coordinatorEpoch,
                      committed: m.transactionResult,
                    },
                    t.name,
                    p,
                  ),
                })),
              ),
            })),
          ),
        })),
      );
      return { markers };
    },
    errorResponse: (request, errorCode) => ({
      markers: request.markers.map((m) => ({
        producerId: m.producerId,
        topics: m.topics.map((t) => ({
          name: t.name,
          partitions: t.partitionIndexes.map((p) => ({ partitionIndex: p, errorCode })),
        })),
      })),
    }),
  });
}
