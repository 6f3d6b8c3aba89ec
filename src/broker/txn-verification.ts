import { BrokerConnections, type BrokerEndpoint } from "../client/index.js";
import { TRANSACTION_VERSION_EPOCH_BUMP } from "../coordinator/index.js";
import { type AddPartitionsToTxnResponse, ApiKey, ErrorCode } from "../protocol/index.js";
import type {
  BrokerSettings,
  MetadataView,
  TransactionAccess,
  TransactionVerifier,
  TxnVerificationRequest,
} from "./handler-context.js";
import { TRANSACTION_STATE_TOPIC } from "./transaction-coordination.js";

/** AddPartitionsToTxn v5: the broker-to-coordinator form that knows TRANSACTION_ABORTABLE. */
const VERIFY_API_VERSION = 5;
const VERIFY_REQUEST_TIMEOUT_MS = 30_000;
/** Named like Brook's other inter-broker clients, which are exempt from quotas. */
const VERIFY_CLIENT_ID_PREFIX = "brook-txn-verify-";

type VerifierBroker = MetadataView & Pick<TransactionAccess, "transactionCoordinator"> & BrokerSettings;

/**
 * Kafka's AddPartitionsToTxnManager, without its batching: the transactional id's coordinator is
 * the leader of its `__transaction_state` partition; this broker's own runtime answers in
 * process, another broker over Brook's client (AddPartitionsToTxn v5, verifyOnly unless adding).
 */
export class BrokerTransactionVerifier implements TransactionVerifier {
  private readonly broker: VerifierBroker;
  private readonly endpointOf: (brokerId: number) => BrokerEndpoint | null;
  private readonly connections: BrokerConnections;

  constructor(broker: VerifierBroker, endpointOf: (brokerId: number) => BrokerEndpoint | null) {
    this.broker = broker;
    this.endpointOf = endpointOf;
    this.connections = new BrokerConnections({
      clientId: `${VERIFY_CLIENT_ID_PREFIX}${broker.nodeId}`,
      requestTimeoutMs: VERIFY_REQUEST_TIMEOUT_MS,
    });
  }

  close(): void {
    this.connections.close();
  }

  async verify(request: TxnVerificationRequest): Promise<number[]> {
    const all = (errorCode: number) => request.partitions.map(() => errorCode);
    const runtime = this.broker.transactionCoordinator;
    const partition = runtime.partitionFor(request.transactionalId);
    const leader = this.broker.image.partition(TRANSACTION_STATE_TOPIC, partition)?.leader ?? -1;
    if (leader < 0) return all(ErrorCode.COORDINATOR_NOT_AVAILABLE);
    if (leader === this.broker.nodeId) {
      if (!request.add) return runtime.verifyPartitions(request);
      const answer = await runtime.addPartitions({
        ...request,
        clientTransactionVersion: TRANSACTION_VERSION_EPOCH_BUMP,
      });
      return all(answer.errorCode);
    }
    const endpoint = this.endpointOf(leader);
    if (endpoint === null) return all(ErrorCode.COORDINATOR_NOT_AVAILABLE);
    const topics = new Map<string, number[]>();
    for (const tp of request.partitions)
      topics.set(tp.topic, [...(topics.get(tp.topic) ?? []), tp.partition]);
    let response: AddPartitionsToTxnResponse;
    try {
      response = await this.connections.request<AddPartitionsToTxnResponse>(
        endpoint,
        ApiKey.AddPartitionsToTxn,
        VERIFY_API_VERSION,
        {
          transactions: [
            {
              transactionalId: request.transactionalId,
              producerId: request.producerId,
              producerEpoch: request.producerEpoch,
              verifyOnly: !request.add,
              topics: [...topics].map(([name, partitions]) => ({ name, partitions })),
            },
          ],
        },
      );
    } catch {
      return all(ErrorCode.NETWORK_EXCEPTION);
    }
    if (response.errorCode !== ErrorCode.NONE) return all(response.errorCode);
    const results = response.resultsByTransaction.find((t) => t.transactionalId === request.transactionalId);
    return request.partitions.map(
      (tp) =>
        results?.topicResults
          .find((t) => t.name === tp.topic)
          ?.resultsByPartition.find((p) => p.partitionIndex === tp.partition)?.partitionErrorCode ??
        ErrorCode.UNKNOWN_SERVER_ERROR,
    );
  }
}

/**
 * The coordinator's answer as the producer gets it (Kafka's AddPartitionsToTxnManager and
 * ReplicaManager): PRODUCER_FENCED is INVALID_PRODUCER_EPOCH (what Produce answers a stale epoch
 * with); TRANSACTION_ABORTABLE is INVALID_TXN_STATE for versions before `firstAbortableVersion`;
 * a coordinator that cannot answer now is `retriable`, an error old clients retry without a
 * metadata refresh (NOT_ENOUGH_REPLICAS for Produce).
 */
export function verificationError(
  errorCode: number,
  apiVersion: number,
  firstAbortableVersion: number,
  retriable: number,
): number {
  switch (errorCode) {
    case ErrorCode.PRODUCER_FENCED:
      return ErrorCode.INVALID_PRODUCER_EPOCH;
    case ErrorCode.TRANSACTION_ABORTABLE:
      return apiVersion < firstAbortableVersion ? ErrorCode.INVALID_TXN_STATE : errorCode;
    case ErrorCode.CONCURRENT_TRANSACTIONS:
    case ErrorCode.NETWORK_EXCEPTION:
    case ErrorCode.COORDINATOR_LOAD_IN_PROGRESS:
    case ErrorCode.COORDINATOR_NOT_AVAILABLE:
    case ErrorCode.NOT_COORDINATOR:
      return retriable;
    default:
      return errorCode;
  }
}
