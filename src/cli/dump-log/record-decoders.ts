import {
  decodeTransactionRecord,
  TRANSACTION_STATE_NAMES,
  TransactionState,
} from "../../coordinator/index.js";
import {
  decodeMetadataRecord,
  kafkaJsonText,
  METADATA_RECORD_TYPE_NAMES,
  metadataRecordToJson,
  Reader,
  type Record,
} from "../../protocol/index.js";
import { DumpLogError } from "./dump-output.js";

/**
 * What a data record prints as (Kafka's DumpLogSegments.MessageParser): its key and payload,
 * each left out when null. One decoder per option: plain text, `--offsets-decoder`
 * (offsets-decoder.ts), `--transaction-log-decoder`, `--cluster-metadata-decoder`.
 */
export interface RecordDecoder {
  parse(record: Record): { key: string | null; payload: string | null };
}

/** Kafka's StringDecoder for keys and values: the bytes as UTF-8 text. */
export const stringDecoder: RecordDecoder = {
  parse: (record) => ({
    key: record.key === null ? null : record.key.toString("utf8"),
    payload: record.value === null ? null : record.value.toString("utf8"),
  }),
};

function message(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/**
 * `__transaction_state` records as Kafka's TransactionLog.formatRecordKeyAndValue prints them,
 * decoded by the transaction coordinator's own codec. A record it cannot read ends the dump, as in
 * Kafka.
 */
export const transactionLogDecoder: RecordDecoder = {
  parse(record) {
    const key = record.key;
    if (key === null || key.length < 2) {
      throw new DumpLogError(
        `Failed to decode message at offset ${record.offset} using transaction log decoder (message had a missing key)`,
      );
    }
    let decoded: ReturnType<typeof decodeTransactionRecord>;
    try {
      decoded = decodeTransactionRecord({ key, value: record.value });
    } catch (error) {
      throw new DumpLogError(
        `Failed to decode message at offset ${record.offset} using transaction log decoder: ${message(error)}`,
        { cause: error },
      );
    }
    if (decoded === null) return { key: `unknown::version=${key.readInt16BE(0)}`, payload: null };
    const keyText = `transaction_metadata::transactionalId=${decoded.transactionalId}`;
    const v = decoded.value;
    if (v === null) return { key: keyText, payload: "<DELETE>" };
    // Kafka reads no partitions for an Empty transaction, whatever the value holds.
    const partitions =
      v.state === TransactionState.Empty
        ? []
        : v.partitions.flatMap((t) => t.partitionIds.map((p) => `${t.topic}-${p}`));
    return {
      key: keyText,
      payload:
        `producerId:${v.producerId},producerEpoch:${v.producerEpoch},state=${TRANSACTION_STATE_NAMES[v.state]},` +
        `partitions=[${partitions.join(",")}],txnLastUpdateTimestamp=${v.lastUpdateTimestampMs},` +
        `txnTimeoutMs=${v.transactionTimeoutMs}`,
    };
  },
};

/**
 * Metadata log records as Kafka's ClusterMetadataLogMessageParser prints them: no key, the record
 * as JSON (its MetadataRecordType name, version and data); one that does not decode is reported
 * in its place and the dump goes on.
 */
export const clusterMetadataDecoder: RecordDecoder = {
  parse(record) {
    let payload: string;
    try {
      if (record.value === null) throw new Error("the record has no value");
      const decoded = decodeMetadataRecord(new Reader(record.value));
      payload = kafkaJsonText({
        type: METADATA_RECORD_TYPE_NAMES[decoded.type],
        version: decoded.version,
        data: metadataRecordToJson(decoded),
      });
    } catch (error) {
      payload = `Error at ${record.offset}, skipping. ${message(error)}`;
    }
    return { key: null, payload };
  },
};
