import { ProtocolEncodeError } from "../protocol-error.js";
import { NO_SEQUENCE } from "./batch-header.js";
import { encodeRecordBatch } from "./record-batch.js";
import { CorruptRecordError } from "./record-errors.js";

/**
 * Control records: the records of a batch whose control attribute is set. Their key is
 *   version int16 (0) | type int16
 * and the type says what the value holds. Transaction markers (types 0 abort, 1 commit) end a
 * producer's transaction on a partition; their value is
 *   version int16 (0) | coordinatorEpoch int32
 * Later key or value versions may append fields; readers take the fields they know and ignore the
 * rest, as Kafka does. KRaft's types (leader change, snapshot header/footer, kraft version, voters)
 * carry generated messages as values; only the key is read here for them.
 */
export const ControlRecordType = {
  ABORT: 0,
  COMMIT: 1,
  LEADER_CHANGE: 2,
  SNAPSHOT_HEADER: 3,
  SNAPSHOT_FOOTER: 4,
  KRAFT_VERSION: 5,
  KRAFT_VOTERS: 6,
} as const;
export type ControlRecordType = (typeof ControlRecordType)[keyof typeof ControlRecordType];

export const CONTROL_RECORD_KEY_VERSION = 0;
export const END_TXN_MARKER_VERSION = 0;
const CONTROL_RECORD_KEY_BYTES = 4;
const END_TXN_MARKER_VALUE_BYTES = 6;

export interface ControlRecordKey {
  version: number;
  /** A ControlRecordType, or a type this version does not know. */
  type: number;
}

export interface EndTxnMarker {
  type: typeof ControlRecordType.ABORT | typeof ControlRecordType.COMMIT;
  coordinatorEpoch: number;
}

export function encodeControlRecordKey(type: number, version = CONTROL_RECORD_KEY_VERSION): Buffer {
  const key = Buffer.allocUnsafe(CONTROL_RECORD_KEY_BYTES);
  key.writeInt16BE(version, 0);
  key.writeInt16BE(type, 2);
  return key;
}

export function decodeControlRecordKey(key: Buffer | null): ControlRecordKey {
  if (key === null || key.length < CONTROL_RECORD_KEY_BYTES) {
    throw new CorruptRecordError(`control record key of ${key?.length ?? "null"} bytes is too short`);
  }
  const version = key.readInt16BE(0);
  if (version < 0) throw new CorruptRecordError(`negative control record key version ${version}`);
  return { version, type: key.readInt16BE(2) };
}

export function encodeEndTxnMarkerValue(coordinatorEpoch: number): Buffer {
  const value = Buffer.allocUnsafe(END_TXN_MARKER_VALUE_BYTES);
  value.writeInt16BE(END_TXN_MARKER_VERSION, 0);
  value.writeInt32BE(coordinatorEpoch, 2);
  return value;
}

/** Decodes a transaction marker from a control record's key and value. */
export function decodeEndTxnMarker(key: Buffer | null, value: Buffer | null): EndTxnMarker {
  const { type } = decodeControlRecordKey(key);
  if (type !== ControlRecordType.ABORT && type !== ControlRecordType.COMMIT) {
    throw new CorruptRecordError(`control record type ${type} is not a transaction marker`);
  }
  if (value === null || value.length < END_TXN_MARKER_VALUE_BYTES) {
    throw new CorruptRecordError(`transaction marker value of ${value?.length ?? "null"} bytes is too short`);
  }
  const version = value.readInt16BE(0);
  if (version < 0) throw new CorruptRecordError(`negative transaction marker version ${version}`);
  return { type, coordinatorEpoch: value.readInt32BE(2) };
}

export interface EndTxnMarkerBatchInput {
  type: EndTxnMarker["type"];
  coordinatorEpoch: number;
  producerId: bigint;
  producerEpoch: number;
  timestamp: bigint;
  baseOffset?: bigint;
  partitionLeaderEpoch?: number;
}

/**
 * A control batch holding one transaction marker, as the broker appends it for WriteTxnMarkers:
 * transactional, uncompressed, no sequence, CreateTime, one record at offsetDelta 0 with no headers.
 */
export function encodeEndTxnMarkerBatch(input: EndTxnMarkerBatchInput): Buffer {
  if (input.type !== ControlRecordType.ABORT && input.type !== ControlRecordType.COMMIT) {
    throw new ProtocolEncodeError(`control record type ${input.type} is not a transaction marker`);
  }
  return encodeRecordBatch({
    records: [
      {
        key: encodeControlRecordKey(input.type),
        value: encodeEndTxnMarkerValue(input.coordinatorEpoch),
        timestamp: input.timestamp,
      },
    ],
    ...(input.baseOffset === undefined ? {} : { baseOffset: input.baseOffset }),
    ...(input.partitionLeaderEpoch === undefined ? {} : { partitionLeaderEpoch: input.partitionLeaderEpoch }),
    isTransactional: true,
    isControl: true,
    producerId: input.producerId,
    producerEpoch: input.producerEpoch,
    baseSequence: NO_SEQUENCE,
  });
}
