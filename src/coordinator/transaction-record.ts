import {
  decodeTransactionCoordinatorRecordKey,
  decodeTransactionCoordinatorRecordValue,
  encodeTransactionCoordinatorRecordKey,
  encodeTransactionCoordinatorRecordValue,
  ProtocolDecodeError,
  Reader,
  TransactionCoordinatorRecordType,
  Writer,
} from "../protocol/index.js";
import type { RecordBytes } from "./coordinator-record-codec.js";
import { isTransactionState, type TransactionState } from "./transaction-state.js";

/** A topic and the partitions of it in a transaction. */
export interface TransactionTopicPartitions {
  readonly topic: string;
  readonly partitionIds: readonly number[];
}

/** The persisted state of one transactional id (a `TransactionLogValue`). */
export interface TransactionLogEntry {
  readonly producerId: bigint;
  readonly previousProducerId: bigint;
  readonly nextProducerId: bigint;
  readonly producerEpoch: number;
  readonly transactionTimeoutMs: number;
  readonly state: TransactionState;
  readonly partitions: readonly TransactionTopicPartitions[];
  readonly lastUpdateTimestampMs: number;
  /** -1 when no transaction is in progress. */
  readonly startTimestampMs: number;
  /** 0/1 for classic transactions, 2 for KIP-890's transactions version 2. */
  readonly clientTransactionVersion: number;
}

/**
 * A record of `__transaction_state`: key version 0 (`TransactionLogKey`), value
 * `TransactionLogValue` (version 0, or 1 once a client uses transactions version 2, as Kafka), a
 * null value (tombstone) when the id expired.
 */
export interface TransactionRecord {
  readonly transactionalId: string;
  readonly value: TransactionLogEntry | null;
}

export function encodeTransactionRecord(record: TransactionRecord): RecordBytes {
  const key = new Writer(32 + record.transactionalId.length * 3);
  encodeTransactionCoordinatorRecordKey(key, {
    name: "TransactionLog",
    recordType: TransactionCoordinatorRecordType.TransactionLog,
    key: { transactionalId: record.transactionalId },
  });
  const v = record.value;
  if (v === null) return { key: key.toBuffer(), value: null };
  const value = new Writer(128);
  // Version 1 (flexible, with the previous and next producer ids) only for transactions version 2,
  // as Kafka: version 0 leaves those ids out, and a reload reads them as -1.
  const flexible = v.clientTransactionVersion >= 2;
  encodeTransactionCoordinatorRecordValue(value, {
    name: "TransactionLog",
    version: flexible ? 1 : 0,
    value: {
      producerId: v.producerId,
      previousProducerId: flexible ? v.previousProducerId : -1n,
      nextProducerId: flexible ? v.nextProducerId : -1n,
      producerEpoch: v.producerEpoch,
      transactionTimeoutMs: v.transactionTimeoutMs,
      transactionStatus: v.state,
      // Kafka writes no partition list for Empty.
      transactionPartitions:
        v.state === 0 ? null : v.partitions.map((p) => ({ topic: p.topic, partitionIds: p.partitionIds })),
      transactionLastUpdateTimestampMs: BigInt(v.lastUpdateTimestampMs),
      transactionStartTimestampMs: BigInt(v.startTimestampMs),
      clientTransactionVersion: v.clientTransactionVersion,
    },
  });
  return { key: key.toBuffer(), value: value.toBuffer() };
}

/** Decodes a record of `__transaction_state`; null for a key type this version does not know. */
export function decodeTransactionRecord(bytes: RecordBytes): TransactionRecord | null {
  if (bytes.key.length < 2) throw new ProtocolDecodeError("transaction record key too short for its type");
  const recordType = bytes.key.readInt16BE(0);
  if (recordType !== TransactionCoordinatorRecordType.TransactionLog) return null;
  const key = decodeTransactionCoordinatorRecordKey(new Reader(bytes.key));
  const transactionalId = key.key.transactionalId;
  if (bytes.value === null) return { transactionalId, value: null };
  const { value: v } = decodeTransactionCoordinatorRecordValue(
    new Reader(Buffer.from(bytes.value)),
    recordType,
  );
  if (!isTransactionState(v.transactionStatus))
    throw new ProtocolDecodeError(`unknown transaction status ${v.transactionStatus} of ${transactionalId}`);
  return {
    transactionalId,
    value: {
      producerId: v.producerId,
      previousProducerId: v.previousProducerId,
      nextProducerId: v.nextProducerId,
      producerEpoch: v.producerEpoch,
      transactionTimeoutMs: v.transactionTimeoutMs,
      state: v.transactionStatus,
      partitions: (v.transactionPartitions ?? []).map((p) => ({
        topic: p.topic,
        partitionIds: p.partitionIds,
      })),
      lastUpdateTimestampMs: Number(v.transactionLastUpdateTimestampMs),
      startTimestampMs: Number(v.transactionStartTimestampMs),
      clientTransactionVersion: v.clientTransactionVersion,
    },
  };
}
