import { CONSUMER_PROTOCOL_TYPE } from "../../coordinator/index.js";
import {
  consumerProtocolAssignmentToJson,
  consumerProtocolSubscriptionToJson,
  decodeConsumerProtocolAssignment,
  decodeConsumerProtocolSubscription,
  decodeGroupCoordinatorRecordKey,
  decodeGroupCoordinatorRecordValue,
  GroupCoordinatorRecordType,
  type GroupCoordinatorRecordValue,
  groupCoordinatorRecordKeyToJson,
  groupCoordinatorRecordValueToJson,
  type KafkaJson,
  type KafkaJsonObject,
  kafkaJsonText,
  Reader,
} from "../../protocol/index.js";
import { DumpLogError } from "./dump-output.js";
import type { RecordDecoder } from "./record-decoders.js";

/**
 * `--offsets-decoder`: `__consumer_offsets` records as Kafka's OffsetsMessageParser prints them:
 * the key as `{"type":"<record type>","data":{...}}`, the value as `{"version":"<v>","data":{...}}`
 * or `<DELETE>` for a tombstone, each struct as Kafka's JsonConverters write it, and a classic
 * consumer group's member subscriptions and assignments decoded in place of their bytes. Records
 * are read with the group coordinator's record codecs (the generated ones it is built on, which
 * also know the KIP-848 record types Brook's coordinator does not keep). A record that does not
 * decode prints as an error in place of its key, and the dump goes on; a record without a key
 * ends it, as in Kafka.
 */
export const offsetsDecoder: RecordDecoder = {
  parse(record) {
    if (record.key === null) {
      throw new DumpLogError(
        `Failed to decode message at offset ${record.offset} using offset topic decoder (message had a missing key)`,
      );
    }
    try {
      return render(record.key, record.value);
    } catch (error) {
      if (error instanceof UnknownRecordType) {
        return {
          key: `Unknown record type ${error.recordType} at offset ${record.offset}, skipping.`,
          payload: null,
        };
      }
      const why = error instanceof Error ? error.message : String(error);
      return { key: `Error at offset ${record.offset}, skipping. ${why}`, payload: null };
    }
  },
};

class UnknownRecordType extends Error {
  readonly recordType: number;

  constructor(recordType: number) {
    super(`unknown record type ${recordType}`);
    this.recordType = recordType;
  }
}

const RECORD_TYPES: ReadonlySet<number> = new Set(Object.values(GroupCoordinatorRecordType));

function render(key: Buffer, value: Buffer | null): { key: string; payload: string } {
  // Kafka's CoordinatorRecordSerde: the key's int16 is the record type, which picks both schemas.
  const recordType = readVersion(key, "key");
  if (!RECORD_TYPES.has(recordType)) throw new UnknownRecordType(recordType);
  const decodedKey = readMessage(recordType, "key", () => decodeGroupCoordinatorRecordKey(new Reader(key)));
  const keyText = kafkaJsonText({
    type: String(recordType),
    data: groupCoordinatorRecordKeyToJson(decodedKey),
  });
  if (value === null) return { key: keyText, payload: "<DELETE>" };
  const version = readVersion(value, "value");
  const decodedValue = readMessage(version, "value", () =>
    decodeGroupCoordinatorRecordValue(new Reader(value), recordType),
  );
  return {
    key: keyText,
    payload: kafkaJsonText({ version: String(version), data: valueJson(decodedValue) }),
  };
}

function readVersion(bytes: Buffer, name: string): number {
  if (bytes.length < 2) throw new Error(`Could not read version from ${name}'s buffer.`);
  return bytes.readInt16BE(0);
}

function readMessage<T>(version: number, name: string, read: () => T): T {
  try {
    return read();
  } catch (error) {
    const why = error instanceof Error ? error.message : String(error);
    throw new Error(`Could not read record with version ${version} from ${name}'s buffer due to: ${why}.`, {
      cause: error,
    });
  }
}

function valueJson(value: GroupCoordinatorRecordValue): KafkaJsonObject {
  const json = groupCoordinatorRecordValueToJson(value);
  if (value.name !== "GroupMetadata" || value.value.protocolType !== CONSUMER_PROTOCOL_TYPE) return json;
  // A consumer group's member metadata is the consumer protocol's: print it decoded, as Kafka does.
  const members = json.members as KafkaJsonObject[];
  value.value.members.forEach((member, i) => {
    const node = members[i] as KafkaJsonObject;
    node.subscription = decodedOr(member.subscription, (r, v) =>
      consumerProtocolSubscriptionToJson(decodeConsumerProtocolSubscription(r, v), v),
    );
    node.assignment = decodedOr(member.assignment, (r, v) =>
      consumerProtocolAssignmentToJson(decodeConsumerProtocolAssignment(r, v), v),
    );
  });
  return json;
}

/** The version-prefixed struct in `bytes` as JSON, or the bytes themselves when they do not read. */
function decodedOr(bytes: Buffer, read: (r: Reader, version: number) => KafkaJson): KafkaJson {
  try {
    const r = new Reader(bytes);
    return read(r, r.int16());
  } catch {
    return bytes;
  }
}
