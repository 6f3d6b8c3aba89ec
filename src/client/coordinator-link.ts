import { ErrorCode, KafkaError } from "../protocol/index.js";
import { requestCoordinator } from "./admin-groups.js";
import { errorMessageOf } from "./admin-results.js";
import { isConnectionFailure } from "./client-error.js";
import type { ClusterView } from "./cluster-view.js";
import type { KafkaConnection } from "./kafka-connection.js";

/** FindCoordinator's key types. */
export const CoordinatorKeyType = { group: 0, transaction: 1 } as const;
export type CoordinatorKeyType = (typeof CoordinatorKeyType)[keyof typeof CoordinatorKeyType];

/** Answers after which the coordinator is looked up again. */
export const COORDINATOR_MOVED: ReadonlySet<number> = new Set([
  ErrorCode.COORDINATOR_NOT_AVAILABLE,
  ErrorCode.NOT_COORDINATOR,
  ErrorCode.COORDINATOR_LOAD_IN_PROGRESS,
]);

/**
 * The way to one coordinator (a group's or a transactional id's): found with FindCoordinator on
 * any broker, remembered, and forgotten when the connection fails or the broker says it is not
 * (or not yet) the coordinator, so that the next attempt looks it up again.
 */
export class CoordinatorLink {
  private readonly cluster: ClusterView;
  private readonly keyType: CoordinatorKeyType;
  private readonly key: string;
  private readonly requestTimeoutMs: number;
  private coordinatorId: number | null = null;

  constructor(cluster: ClusterView, keyType: CoordinatorKeyType, key: string, requestTimeoutMs: number) {
    this.cluster = cluster;
    this.keyType = keyType;
    this.key = key;
    this.requestTimeoutMs = requestTimeoutMs;
  }

  /** The coordinator's node id if known. */
  get nodeId(): number | null {
    return this.coordinatorId;
  }

  forget(): void {
    this.coordinatorId = null;
  }

  /**
   * Runs one request on the coordinator's connection. A lost connection or a coordinator that
   * moved forgets the coordinator and comes back as errorCode null or the answer's code; other
   * failures throw.
   */
  async attempt<T>(
    work: (connection: KafkaConnection) => Promise<{ errorCode: number; value: T }>,
  ): Promise<{ errorCode: number | null; value: T | null }> {
    try {
      const outcome = await work(await this.connection());
      if (COORDINATOR_MOVED.has(outcome.errorCode)) this.coordinatorId = null;
      return outcome;
    } catch (error) {
      if (
        isConnectionFailure(error) ||
        (error instanceof KafkaError && COORDINATOR_MOVED.has(error.errorCode))
      ) {
        this.coordinatorId = null;
        return { errorCode: null, value: null };
      }
      throw error;
    }
  }

  /** The coordinator's connection, found first if not known. */
  async connection(): Promise<KafkaConnection> {
    if (this.coordinatorId === null) {
      const brokers = (await this.cluster.refresh([])).brokers;
      const any = brokers[Math.floor(Math.random() * brokers.length)];
      if (any === undefined) throw new KafkaError(ErrorCode.COORDINATOR_NOT_AVAILABLE);
      const connection = await this.cluster.connection(any.nodeId, "coordinator");
      const found = await requestCoordinator(connection, this.key, this.requestTimeoutMs, this.keyType);
      if (found.broker === null) {
        const code =
          found.errorCode === ErrorCode.NONE ? ErrorCode.COORDINATOR_NOT_AVAILABLE : found.errorCode;
        throw new KafkaError(code, errorMessageOf(code, found.errorMessage) ?? undefined);
      }
      this.cluster.learnBroker(found.broker);
      this.coordinatorId = found.broker.nodeId;
    }
    return this.cluster.connection(this.coordinatorId, "coordinator");
  }
}
