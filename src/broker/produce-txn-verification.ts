import { assert } from "../base/index.js";
import {
  BATCH_HEADER_BYTES,
  batchIsTransactional,
  batchMagic,
  batchProducerEpoch,
  batchProducerId,
  ErrorCode,
  KafkaError,
  type ProduceRequest,
} from "../protocol/index.js";
import type { Partition } from "../replication/index.js";
import type { PartitionAccess, TransactionVerification } from "./handler-context.js";
import { verificationError } from "./txn-verification.js";

/** Produce v11+ knows TRANSACTION_ABORTABLE (KIP-890); older producers get INVALID_TXN_STATE. */
const FIRST_ABORTABLE_PRODUCE_VERSION = 11;
/** Produce v12+ is a TV2 producer's: the leader adds the partition to the transaction itself. */
export const FIRST_IMPLICIT_ADD_PRODUCE_VERSION = 12;

/** A verified partition's token, checked again just before its append. */
export interface VerifiedPartition {
  readonly partition: Partition;
  readonly producerId: bigint;
  readonly guard: object;
}

/** Per partition of the request ("topic\0index"): the error to answer, or the token to append with. */
export type ProduceVerification = ReadonlyMap<string, number | VerifiedPartition>;

export const partitionKey = (topic: string, index: number): string => `${topic}\0${index}`;

interface Candidate {
  readonly key: string;
  readonly topic: string;
  readonly index: number;
  readonly partition: Partition;
  readonly producerId: bigint;
  readonly producerEpoch: number;
}

/**
 * Kafka's RequestUtils.hasTransactionalRecords: whether a partition's first batch is
 * transactional. Such a produce without a transactional id is refused whole
 * (TRANSACTIONAL_ID_AUTHORIZATION_FAILED, as KafkaApis does): no coordinator would ever end the
 * transaction it starts.
 */
export function hasTransactionalRecords(request: ProduceRequest): boolean {
  for (const topic of request.topicData)
    for (const p of topic.partitionData) {
      const records = p.records;
      if (records === null || records.length < BATCH_HEADER_BYTES || batchMagic(records) !== 2) continue;
      if (batchIsTransactional(records)) return true;
    }
  return false;
}

/**
 * KIP-890 on a partition leader: a transactional batch of a producer that has no transaction open
 * on the partition (at this epoch) would start one there; the coordinator is asked first whether
 * the partition is in the producer's transaction (part 1: verify; part 2, Produce v12+: add it).
 * Without that check a produce the coordinator never heard of (a late retry, a buggy client)
 * starts a transaction no marker will ever end, and the partition's LSO hangs.
 *
 * Returns null when no partition needs it (non-transactional produce, or every transaction
 * already open here): the handler then stays synchronous.
 */
export function verifyTransactionalProduce(
  broker: Pick<PartitionAccess, "replicaManager"> & TransactionVerification,
  request: ProduceRequest,
  apiVersion: number,
): Promise<ProduceVerification> | null {
  const transactionalId = request.transactionalId;
  if (transactionalId === null) return null;
  const candidates: Candidate[] = [];
  for (const topic of request.topicData) {
    for (const p of topic.partitionData) {
      const records = p.records;
      // Malformed or non-v2 data is refused by the append's own validation.
      if (records === null || records.length < BATCH_HEADER_BYTES || batchMagic(records) !== 2) continue;
      if (!batchIsTransactional(records)) continue;
      const producerId = batchProducerId(records);
      const producerEpoch = batchProducerEpoch(records);
      const partition = broker.replicaManager.get(topic.name, p.index);
      if (partition === undefined || producerId < 0n) continue;
      if (partition.producerState.hasOngoingTransaction(producerId, producerEpoch)) continue;
      candidates.push({
        key: partitionKey(topic.name, p.index),
        topic: topic.name,
        index: p.index,
        partition,
        producerId,
        producerEpoch,
      });
    }
  }
  if (candidates.length === 0) return null;
  return verifyCandidates(broker, transactionalId, candidates, apiVersion);
}

async function verifyCandidates(
  broker: TransactionVerification,
  transactionalId: string,
  candidates: readonly Candidate[],
  apiVersion: number,
): Promise<ProduceVerification> {
  const guards = candidates.map((c) => c.partition.producerState.startVerification(c.producerId));
  const verdicts = new Map<string, number | VerifiedPartition>();
  // One request per producer id and epoch (a request normally has exactly one).
  const groups = new Map<string, number[]>();
  candidates.forEach((c, i) => {
    const group = `${c.producerId}:${c.producerEpoch}`;
    groups.set(group, [...(groups.get(group) ?? []), i]);
  });
  await Promise.all(
    [...groups.values()].map(async (members) => {
      const first = candidates[members[0] as number] as Candidate;
      let codes: number[];
      try {
        codes = await broker.transactionVerifier.verify({
          transactionalId,
          producerId: first.producerId,
          producerEpoch: first.producerEpoch,
          partitions: members.map((i) => ({
            topic: (candidates[i] as Candidate).topic,
            partition: (candidates[i] as Candidate).index,
          })),
          add: apiVersion >= FIRST_IMPLICIT_ADD_PRODUCE_VERSION,
        });
      } catch {
        codes = members.map(() => ErrorCode.COORDINATOR_NOT_AVAILABLE);
      }
      assert(codes.length === members.length, "one verification answer per partition");
      members.forEach((i, j) => {
        const c = candidates[i] as Candidate;
        const code = codes[j] as number;
        if (code === ErrorCode.NONE)
          verdicts.set(c.key, {
            partition: c.partition,
            producerId: c.producerId,
            guard: guards[i] as object,
          });
        else {
          c.partition.producerState.endVerification(c.producerId, guards[i] as object);
          verdicts.set(
            c.key,
            verificationError(
              code,
              apiVersion,
              FIRST_ABORTABLE_PRODUCE_VERSION,
              ErrorCode.NOT_ENOUGH_REPLICAS,
            ),
          );
        }
      });
    }),
  );
  return verdicts;
}

/**
 * Just before the append: throws what the partition answers when its verification failed, or
 * when a marker for the producer was written since (the transaction it was verified for ended).
 */
export function checkVerified(verdict: number | VerifiedPartition | undefined): void {
  if (verdict === undefined) return;
  if (typeof verdict === "number")
    throw new KafkaError(verdict, "the partition is not part of the producer's ongoing transaction");
  if (!verdict.partition.producerState.isVerified(verdict.producerId, verdict.guard))
    throw new KafkaError(
      ErrorCode.INVALID_TXN_STATE,
      "the producer's transaction ended while its produce was being verified",
    );
}

/** After the append (written or refused): the token is spent. */
export function endVerified(verdict: number | VerifiedPartition | undefined): void {
  if (verdict !== undefined && typeof verdict !== "number")
    verdict.partition.producerState.endVerification(verdict.producerId, verdict.guard);
}
