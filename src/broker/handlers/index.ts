import type { AnyApiHandler } from "../api-handler.js";
import { consumerGroupsEnabled } from "../group-coordination.js";
import type { HandlerContext } from "../handler-context.js";
import { transactionVersionFeature } from "../transaction-version.js";
import { addOffsetsToTxnHandler } from "./add-offsets-to-txn.js";
import { addPartitionsToTxnHandler } from "./add-partitions-to-txn.js";
import { allocateProducerIdsHandler } from "./allocate-producer-ids.js";
import { alterClientQuotasHandler } from "./alter-client-quotas.js";
import { alterConfigsHandler } from "./alter-configs.js";
import { alterPartitionHandler } from "./alter-partition.js";
import { apiVersionsHandler } from "./api-versions.js";
import { consumerGroupDescribeHandler } from "./consumer-group-describe.js";
import { consumerGroupHeartbeatHandler } from "./consumer-group-heartbeat.js";
import { createAclsHandler } from "./create-acls.js";
import { createPartitionsHandler } from "./create-partitions.js";
import { createTopicsHandler } from "./create-topics.js";
import { deleteAclsHandler } from "./delete-acls.js";
import { deleteGroupsHandler } from "./delete-groups.js";
import { deleteRecordsHandler } from "./delete-records.js";
import { deleteTopicsHandler } from "./delete-topics.js";
import { describeAclsHandler } from "./describe-acls.js";
import { describeClientQuotasHandler } from "./describe-client-quotas.js";
import { describeClusterHandler } from "./describe-cluster.js";
import { describeConfigsHandler } from "./describe-configs.js";
import { describeGroupsHandler } from "./describe-groups.js";
import { describeLogDirsHandler } from "./describe-log-dirs.js";
import { describeProducersHandler } from "./describe-producers.js";
import { describeTopicPartitionsHandler } from "./describe-topic-partitions.js";
import { describeTransactionsHandler } from "./describe-transactions.js";
import { electLeadersHandler } from "./elect-leaders.js";
import { endTxnHandler } from "./end-txn.js";
import { fetchHandler } from "./fetch.js";
import { findCoordinatorHandler } from "./find-coordinator.js";
import { heartbeatHandler } from "./heartbeat.js";
import { incrementalAlterConfigsHandler } from "./incremental-alter-configs.js";
import { initProducerIdHandler } from "./init-producer-id.js";
import { joinGroupHandler } from "./join-group.js";
import { leaveGroupHandler } from "./leave-group.js";
import { listGroupsHandler } from "./list-groups.js";
import { listOffsetsHandler } from "./list-offsets.js";
import { listTransactionsHandler } from "./list-transactions.js";
import { metadataHandler } from "./metadata.js";
import { offsetCommitHandler } from "./offset-commit.js";
import { offsetDeleteHandler } from "./offset-delete.js";
import { offsetFetchHandler } from "./offset-fetch.js";
import { offsetForLeaderEpochHandler } from "./offset-for-leader-epoch.js";
import {
  alterPartitionReassignmentsHandler,
  listPartitionReassignmentsHandler,
} from "./partition-reassignments.js";
import { produceHandler } from "./produce.js";
import { saslAuthenticateHandler, saslHandshakeHandler } from "./sasl.js";
import { syncGroupHandler } from "./sync-group.js";
import { txnOffsetCommitHandler } from "./txn-offset-commit.js";
import {
  alterUserScramCredentialsHandler,
  describeUserScramCredentialsHandler,
} from "./user-scram-credentials.js";
import { writeTxnMarkersHandler } from "./write-txn-markers.js";

/** Every API the broker serves; ApiVersions advertises exactly these. */
export function brokerHandlers(broker: HandlerContext): AnyApiHandler[] {
  return [
    apiVersionsHandler(
      () => broker.advertisedVersions(),
      () => [transactionVersionFeature(broker)],
    ),
    saslHandshakeHandler(),
    saslAuthenticateHandler(),
    metadataHandler(broker),
    produceHandler(broker),
    fetchHandler(broker),
    listOffsetsHandler(broker),
    createTopicsHandler(broker),
    deleteTopicsHandler(broker),
    createPartitionsHandler(broker),
    describeClusterHandler(broker),
    describeConfigsHandler(broker),
    alterConfigsHandler(broker),
    incrementalAlterConfigsHandler(broker),
    deleteRecordsHandler(broker),
    offsetForLeaderEpochHandler(broker),
    describeLogDirsHandler(broker),
    describeTopicPartitionsHandler(broker),
    initProducerIdHandler(broker),
    allocateProducerIdsHandler(broker),
    alterPartitionHandler(broker),
    electLeadersHandler(broker),
    alterPartitionReassignmentsHandler(broker),
    listPartitionReassignmentsHandler(broker),
    describeProducersHandler(broker),
    // client quotas (issue 17)
    describeClientQuotasHandler(broker),
    alterClientQuotasHandler(broker),
    // SCRAM users
    describeUserScramCredentialsHandler(broker),
    alterUserScramCredentialsHandler(broker),
    // ACLs
    describeAclsHandler(broker),
    createAclsHandler(broker),
    deleteAclsHandler(broker),
    // consumer groups (issue 5)
    findCoordinatorHandler(broker),
    joinGroupHandler(broker),
    syncGroupHandler(broker),
    heartbeatHandler(broker),
    leaveGroupHandler(broker),
    offsetCommitHandler(broker),
    offsetFetchHandler(broker),
    listGroupsHandler(broker),
    describeGroupsHandler(broker),
    deleteGroupsHandler(broker),
    offsetDeleteHandler(broker),
    // KIP-848 consumer groups, offered only when the rebalance protocols include "consumer"
    ...(consumerGroupsEnabled(broker.config)
      ? [consumerGroupHeartbeatHandler(broker), consumerGroupDescribeHandler(broker)]
      : []),
    // transactions (issue 11)
    addPartitionsToTxnHandler(broker),
    addOffsetsToTxnHandler(broker),
    endTxnHandler(broker),
    txnOffsetCommitHandler(broker),
    writeTxnMarkersHandler(broker),
    describeTransactionsHandler(broker),
    listTransactionsHandler(broker),
  ];
}
