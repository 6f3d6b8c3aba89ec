import {
  ControlRecordType,
  decodeControlRecordKey,
  decodeEndTxnMarker,
  decodeKRaftVersionRecord,
  decodeSnapshotFooterRecord,
  decodeSnapshotHeaderRecord,
  decodeVotersRecord,
  kafkaJsonText,
  kRaftVersionRecordToJson,
  Reader,
  type Record,
  snapshotFooterRecordToJson,
  snapshotHeaderRecordToJson,
  votersRecordToJson,
} from "../../protocol/index.js";

/** Kafka's ControlRecordType names by type id (the keys of Brook's table are those names). */
const TYPE_NAMES = new Map<number, string>(Object.entries(ControlRecordType).map(([name, id]) => [id, name]));

/**
 * What DumpLogSegments prints after a control record's metadata: a transaction marker's type and
 * coordinator epoch, KRaft's snapshot and voter records as JSON, any other type by name and id.
 * KRaft reads their values at version 0 and prints them at the version they carry.
 */
export function controlRecordText(record: Record): string {
  const { type } = decodeControlRecordKey(record.key);
  const value = new Reader(record.value ?? Buffer.alloc(0));
  switch (type) {
    case ControlRecordType.ABORT:
    case ControlRecordType.COMMIT: {
      const marker = decodeEndTxnMarker(record.key, record.value);
      return ` endTxnMarker: ${TYPE_NAMES.get(marker.type)} coordinatorEpoch: ${marker.coordinatorEpoch}`;
    }
    case ControlRecordType.SNAPSHOT_HEADER: {
      const header = decodeSnapshotHeaderRecord(value, 0);
      return ` SnapshotHeader ${kafkaJsonText(snapshotHeaderRecordToJson(header, header.version))}`;
    }
    case ControlRecordType.SNAPSHOT_FOOTER: {
      const footer = decodeSnapshotFooterRecord(value, 0);
      return ` SnapshotFooter ${kafkaJsonText(snapshotFooterRecordToJson(footer, footer.version))}`;
    }
    case ControlRecordType.KRAFT_VERSION: {
      const kraft = decodeKRaftVersionRecord(value, 0);
      return ` KRaftVersion ${kafkaJsonText(kRaftVersionRecordToJson(kraft, kraft.version))}`;
    }
    case ControlRecordType.KRAFT_VOTERS: {
      const voters = decodeVotersRecord(value, 0);
      return ` KRaftVoters ${kafkaJsonText(votersRecordToJson(voters, voters.version))}`;
    }
    default:
      return ` controlType: ${TYPE_NAMES.get(type) ?? "UNKNOWN"}(${type})`;
  }
}
