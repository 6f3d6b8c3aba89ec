/**
 * Emits the framing of Kafka's internal records: metadata log records (uvarint frame version, type
 * and version) and the key/value records of the coordinator topics (int16 record type or version).
 */
import { type GeneratedFile, header, type ModuleGroup } from "./emit-modules.js";
import type { MessageModel } from "./model.js";

export function emitMetadataRecords(groups: ModuleGroup[]): GeneratedFile {
  const records = groups
    .filter((g) => g.path.startsWith("records/metadata/"))
    .flatMap((g) => g.messages.map((m) => ({ m, module: g.path })))
    .sort((a, b) => (a.m.spec.apiKey ?? 0) - (b.m.spec.apiKey ?? 0));
  const lines: string[] = [header(["metadata/*.json"]), ""];
  lines.push(`import { ProtocolDecodeError } from "../../protocol-error.js";`);
  lines.push(`import type { Reader } from "../../reader.js";`);
  lines.push(`import type { Writer } from "../../writer.js";`);
  for (const { m, module } of records) {
    lines.push(
      `import { decode${m.name}, encode${m.name}, type ${m.name}, type ${m.name}Input } from "./metadata/${module.split("/").pop()?.replace(/\.ts$/, ".js")}";`,
    );
  }
  lines.push(
    "",
    "/** The frame version Kafka writes in front of every metadata record (0 was KRaft's 2.8 preview). */",
    "export const METADATA_RECORD_FRAME_VERSION = 1;",
    "",
    "/** Metadata record types (the `apiKey` of each metadata record spec). */",
    "export const MetadataRecordType = {",
  );
  for (const { m } of records) lines.push(`  ${m.name}: ${m.spec.apiKey},`);
  lines.push(
    "} as const;",
    "export type MetadataRecordType = (typeof MetadataRecordType)[keyof typeof MetadataRecordType];",
    "",
  );
  lines.push("/** A decoded metadata record: its type, the version it was written at, and its data. */");
  lines.push("export type MetadataRecord =");
  for (const { m } of records) {
    lines.push(`  | { type: ${JSON.stringify(m.name)}; version: number; data: ${m.name} }`);
  }
  lines.push(";", "", "export type MetadataRecordInput =");
  for (const { m } of records) {
    lines.push(`  | { type: ${JSON.stringify(m.name)}; version: number; data: ${m.name}Input }`);
  }
  lines.push(";", "", ...emitMetadataCodecs(records));
  return { path: "records/metadata-records.ts", text: lines.join("\n") };
}

function emitMetadataCodecs(records: { m: MessageModel; module: string }[]): string[] {
  const lines: string[] = [];
  lines.push(
    "/** Writes one metadata record value: frame version, type and version as unsigned varints, then the data. */",
    "export function encodeMetadataRecord(w: Writer, record: MetadataRecordInput): void {",
    "  w.unsignedVarint(METADATA_RECORD_FRAME_VERSION);",
    "  switch (record.type) {",
  );
  for (const { m } of records) {
    lines.push(
      `    case ${JSON.stringify(m.name)}:`,
      `      w.unsignedVarint(${m.spec.apiKey}).unsignedVarint(record.version);`,
      `      encode${m.name}(w, record.data, record.version);`,
      "      return;",
    );
  }
  lines.push(
    "  }",
    "}",
    "",
    "/** Reads one metadata record value; the reader must hold exactly that value (trailing bytes are an error, as in Kafka). */",
    "export function decodeMetadataRecord(r: Reader): MetadataRecord {",
    "  const frameVersion = r.unsignedVarint();",
    "  if (frameVersion !== METADATA_RECORD_FRAME_VERSION) {",
    // biome-ignore lint/suspicious/noTemplateCurlyInString: this is generated source text
    "    throw new ProtocolDecodeError(`unsupported metadata record frame version ${frameVersion}`);",
    "  }",
    "  const type = r.unsignedVarint();",
    "  const version = r.unsignedVarint();",
    "  let record: MetadataRecord;",
    "  switch (type) {",
  );
  for (const { m } of records) {
    lines.push(
      `    case ${m.spec.apiKey}:`,
      `      record = { type: ${JSON.stringify(m.name)}, version, data: decode${m.name}(r, version) };`,
      "      break;",
    );
  }
  lines.push(
    "    default:",
    // biome-ignore lint/suspicious/noTemplateCurlyInString: this is generated source text
    "      throw new ProtocolDecodeError(`unknown metadata record type ${type}`);",
    "  }",
    "  if (r.remaining !== 0) {",
    // biome-ignore lint/suspicious/noTemplateCurlyInString: this is generated source text
    "    throw new ProtocolDecodeError(`${r.remaining} bytes of garbage after metadata record ${record.type}`);",
    "  }",
    "  return record;",
    "}",
    "",
  );
  return lines;
}

/**
 * Coordinator topics (__consumer_offsets, __transaction_state): the key is an int16 record type
 * (the version of the key schema) then the key; the value is an int16 version then the value;
 * a null value is a tombstone.
 */
export function emitCoordinatorRecords(groups: ModuleGroup[], sub: "group" | "txn"): GeneratedFile {
  const prefix = sub === "group" ? "GroupCoordinator" : "TransactionCoordinator";
  const folder = sub === "group" ? "group-coordinator" : "transaction-coordinator";
  const pairs = groups
    .filter((g) => g.path.startsWith(`records/${sub}/`))
    .map((g) => {
      const key = g.messages.find((m) => m.name.endsWith("Key"));
      const value = g.messages.find((m) => m.name.endsWith("Value"));
      if (key === undefined || value === undefined) throw new Error(`${g.path}: key/value pair incomplete`);
      return { key, value, name: key.name.replace(/Key$/, ""), module: g.path };
    })
    .sort((a, b) => (a.key.valid[0] ?? 0) - (b.key.valid[0] ?? 0));
  const lines: string[] = [header([`${folder}/*.json`]), ""];
  lines.push(`import { ProtocolDecodeError } from "../../protocol-error.js";`);
  lines.push(`import type { Reader } from "../../reader.js";`);
  lines.push(`import type { Writer } from "../../writer.js";`);
  for (const p of pairs) {
    const k = p.key.name;
    const v = p.value.name;
    lines.push(
      `import { decode${k}, decode${v}, encode${k}, encode${v}, type ${k}, type ${k}Input, type ${v}, type ${v}Input } from "./${sub}/${p.module.split("/").pop()?.replace(/\.ts$/, ".js")}";`,
    );
  }
  lines.push(
    "",
    `/** ${prefix} record types: the key schema version, which selects the key and value schemas. */`,
  );
  lines.push(`export const ${prefix}RecordType = {`);
  for (const p of pairs) {
    const types = p.key.valid;
    types.forEach((t, i) => {
      const suffix = i === types.length - 1 ? "" : `V${t}`;
      lines.push(`  ${p.name}${suffix}: ${t},`);
    });
  }
  lines.push("} as const;", "");
  lines.push(`export type ${prefix}RecordKey =`);
  for (const p of pairs)
    lines.push(`  | { name: ${JSON.stringify(p.name)}; recordType: number; key: ${p.key.name} }`);
  lines.push(";", "", `export type ${prefix}RecordKeyInput =`);
  for (const p of pairs)
    lines.push(`  | { name: ${JSON.stringify(p.name)}; recordType: number; key: ${p.key.name}Input }`);
  lines.push(";", "", `export type ${prefix}RecordValue =`);
  for (const p of pairs)
    lines.push(`  | { name: ${JSON.stringify(p.name)}; version: number; value: ${p.value.name} }`);
  lines.push(";", "", `export type ${prefix}RecordValueInput =`);
  for (const p of pairs) {
    lines.push(`  | { name: ${JSON.stringify(p.name)}; version: number; value: ${p.value.name}Input }`);
  }
  lines.push(
    ";",
    "",
    ...emitCoordinatorKeyCodecs(prefix, folder, pairs),
    ...emitCoordinatorValueCodecs(prefix, folder, pairs),
  );
  const name = sub === "group" ? "group-coordinator-records.ts" : "transaction-coordinator-records.ts";
  return { path: `records/${name}`, text: lines.join("\n") };
}

interface CoordinatorPair {
  key: MessageModel;
  value: MessageModel;
  name: string;
  module: string;
}

function emitCoordinatorKeyCodecs(prefix: string, folder: string, pairs: CoordinatorPair[]): string[] {
  const lines: string[] = [];
  lines.push(
    "/** Writes a record key: the int16 record type, then the key at that version. */",
    `export function encode${prefix}RecordKey(w: Writer, k: ${prefix}RecordKeyInput): void {`,
    "  w.int16(k.recordType);",
    "  switch (k.name) {",
  );
  for (const p of pairs) {
    lines.push(
      `    case ${JSON.stringify(p.name)}:`,
      `      encode${p.key.name}(w, k.key, k.recordType);`,
      "      return;",
    );
  }
  lines.push("  }", "}", "");
  lines.push(
    "/** Reads a record key; an unknown record type throws (the loader decides whether to skip it). */",
    `export function decode${prefix}RecordKey(r: Reader): ${prefix}RecordKey {`,
    "  const recordType = r.int16();",
    "  switch (recordType) {",
  );
  for (const p of pairs) {
    for (const t of p.key.valid) lines.push(`    case ${t}:`);
    lines.push(
      `      return { name: ${JSON.stringify(p.name)}, recordType, key: decode${p.key.name}(r, recordType) };`,
    );
  }
  lines.push(
    "    default:",
    `      throw new ProtocolDecodeError(\`unknown ${folder} record type \${recordType}\`);`,
    "  }",
    "}",
    "",
  );
  return lines;
}

function emitCoordinatorValueCodecs(prefix: string, folder: string, pairs: CoordinatorPair[]): string[] {
  const lines: string[] = [];
  lines.push(
    "/** Writes a record value: the int16 value version, then the value at that version. */",
    `export function encode${prefix}RecordValue(w: Writer, v: ${prefix}RecordValueInput): void {`,
    "  w.int16(v.version);",
    "  switch (v.name) {",
  );
  for (const p of pairs) {
    lines.push(
      `    case ${JSON.stringify(p.name)}:`,
      `      encode${p.value.name}(w, v.value, v.version);`,
      "      return;",
    );
  }
  lines.push("  }", "}", "");
  lines.push(
    "/** Reads the value of a record whose key had `recordType` (a null value, a tombstone, is the caller's case). */",
    `export function decode${prefix}RecordValue(r: Reader, recordType: number): ${prefix}RecordValue {`,
    "  const version = r.int16();",
    "  switch (recordType) {",
  );
  for (const p of pairs) {
    for (const t of p.key.valid) lines.push(`    case ${t}:`);
    lines.push(
      `      return { name: ${JSON.stringify(p.name)}, version, value: decode${p.value.name}(r, version) };`,
    );
  }
  lines.push(
    "    default:",
    `      throw new ProtocolDecodeError(\`unknown ${folder} record type \${recordType}\`);`,
    "  }",
    "}",
    "",
  );
  return lines;
}
