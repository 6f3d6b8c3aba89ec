import type { ConsumerRecord } from "../../client/index.js";

/*
 * Kafka's DefaultMessageFormatter (kafka-console-consumer.sh's output): per record, the chosen
 * columns in a fixed order (timestamp, partition, offset, delivery, epoch, headers, key, value),
 * each followed by key.separator when another column follows, the value by line.separator.
 * Deserializers are not supported: keys, values and header values print as their bytes (UTF-8).
 */

export interface FormatterSettings {
  printTimestamp: boolean;
  printKey: boolean;
  printValue: boolean;
  printPartition: boolean;
  printOffset: boolean;
  printDelivery: boolean;
  printEpoch: boolean;
  printHeaders: boolean;
  keySeparator: Buffer;
  lineSeparator: Buffer;
  headersSeparator: Buffer;
  nullLiteral: Buffer;
}

const BOOLEAN_KEYS = {
  "print.timestamp": "printTimestamp",
  "print.key": "printKey",
  "print.value": "printValue",
  "print.partition": "printPartition",
  "print.offset": "printOffset",
  "print.delivery": "printDelivery",
  "print.epoch": "printEpoch",
  "print.headers": "printHeaders",
} as const;
const BYTES_KEYS = {
  "key.separator": "keySeparator",
  "line.separator": "lineSeparator",
  "headers.separator": "headersSeparator",
  "null.literal": "nullLiteral",
} as const;

/** The formatter's settings from --property values (Kafka's configure: "true" in any case is true). */
export function formatterSettings(properties: ReadonlyMap<string, string>): FormatterSettings {
  const s: FormatterSettings = {
    printTimestamp: false,
    printKey: false,
    printValue: true,
    printPartition: false,
    printOffset: false,
    printDelivery: false,
    printEpoch: false,
    printHeaders: false,
    keySeparator: Buffer.from("\t"),
    lineSeparator: Buffer.from("\n"),
    headersSeparator: Buffer.from(","),
    nullLiteral: Buffer.from("null"),
  };
  for (const [key, value] of properties) {
    if (key in BOOLEAN_KEYS)
      s[BOOLEAN_KEYS[key as keyof typeof BOOLEAN_KEYS]] = value.trim().toLowerCase() === "true";
    else if (key in BYTES_KEYS) s[BYTES_KEYS[key as keyof typeof BYTES_KEYS]] = Buffer.from(value, "utf8");
  }
  return s;
}

/** One record's output, as DefaultMessageFormatter.writeTo writes it. */
export function formatRecord(record: ConsumerRecord, s: FormatterSettings): Buffer {
  const parts: Buffer[] = [];
  const text = (t: string) => parts.push(Buffer.from(t, "utf8"));
  const separator = (column: boolean) => parts.push(column ? s.keySeparator : s.lineSeparator);
  const bytes = (b: Buffer | null) => parts.push(b ?? s.nullLiteral);
  if (s.printTimestamp) {
    text(`${record.timestampType}:${record.timestamp}`);
    separator(
      s.printPartition ||
        s.printOffset ||
        s.printDelivery ||
        s.printEpoch ||
        s.printHeaders ||
        s.printKey ||
        s.printValue,
    );
  }
  if (s.printPartition) {
    text(`Partition:${record.partition}`);
    separator(
      s.printOffset || s.printDelivery || s.printEpoch || s.printHeaders || s.printKey || s.printValue,
    );
  }
  if (s.printOffset) {
    text(`Offset:${record.offset}`);
    separator(s.printDelivery || s.printEpoch || s.printHeaders || s.printKey || s.printValue);
  }
  if (s.printDelivery) {
    // Only share groups count deliveries.
    text("Delivery:NOT_PRESENT");
    separator(s.printEpoch || s.printHeaders || s.printKey || s.printValue);
  }
  if (s.printEpoch) {
    text(`Epoch:${record.leaderEpoch >= 0 ? record.leaderEpoch : "NOT_PRESENT"}`);
    separator(s.printHeaders || s.printKey || s.printValue);
  }
  if (s.printHeaders) {
    if (record.headers.length === 0) text("NO_HEADERS");
    record.headers.forEach((h, i) => {
      text(`${h.key}:`);
      bytes(h.value);
      if (i < record.headers.length - 1) parts.push(s.headersSeparator);
    });
    separator(s.printKey || s.printValue);
  }
  if (s.printKey) {
    bytes(record.key);
    separator(s.printValue);
  }
  if (s.printValue) {
    bytes(record.value);
    parts.push(s.lineSeparator);
  }
  return Buffer.concat(parts);
}
