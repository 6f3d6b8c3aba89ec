/**
 * Emits Kafka's JSON rendering of the structs that are stored rather than sent: the records of the
 * coordinator topics and of the metadata log, and the data structs (consumer protocol, snapshot
 * header and footer, voters...). Kafka's tools print these as its generated JsonConverters write
 * them (kafka-dump-log.sh's decoders), so Brook's tools need the same: for every struct, a function
 * from a decoded value and its version to a KafkaJson tree (src/protocol/kafka-json.ts) holding a
 * field in exactly the versions Kafka writes it, a tagged one only when it is not its default.
 */
import { guarded, indent, versionCondition } from "./conditions.js";
import { type GeneratedFile, header, type ModuleGroup } from "./emit-modules.js";
import { decodedDefault, type EmitContext } from "./emit-struct.js";
import {
  camelCase,
  type FieldModel,
  type MessageModel,
  mandatoryVersions,
  type StructModel,
  taggedVersions,
} from "./model.js";

interface Family {
  /** Module paths of the structs (records/group/, data/, ...). */
  prefix: string;
  path: string;
  /** The specs it comes from, for the header; null: the files of its modules. */
  sources: string[] | null;
  dispatch: (groups: ModuleGroup[]) => { imports: string[]; lines: string[] };
}

const FAMILIES: readonly Family[] = [
  {
    prefix: "records/group/",
    path: "json/group-coordinator-json.ts",
    sources: ["group-coordinator/*.json"],
    dispatch: (groups) => coordinatorDispatch(groups, "GroupCoordinator", "group-coordinator-records.js"),
  },
  {
    prefix: "records/txn/",
    path: "json/transaction-coordinator-json.ts",
    sources: ["transaction-coordinator/*.json"],
    dispatch: (groups) =>
      coordinatorDispatch(groups, "TransactionCoordinator", "transaction-coordinator-records.js"),
  },
  {
    prefix: "records/metadata/",
    path: "json/metadata-json.ts",
    sources: ["metadata/*.json"],
    dispatch: metadataDispatch,
  },
  {
    prefix: "data/",
    path: "json/data-json.ts",
    sources: null,
    dispatch: () => ({ imports: [], lines: [] }),
  },
];

export function emitJsonModules(groups: ModuleGroup[]): GeneratedFile[] {
  return FAMILIES.map((family) =>
    emitFamily(
      family,
      groups.filter((g) => g.path.startsWith(family.prefix)),
    ),
  );
}

export function jsonFunctionName(typeName: string): string {
  return `${camelCase(typeName)}ToJson`;
}

function emitFamily(family: Family, groups: ModuleGroup[]): GeneratedFile {
  const runtime = new Set<string>(["type KafkaJsonObject"]);
  const imports: string[] = [];
  const body: string[] = [];
  for (const g of groups) {
    const structs = g.messages.flatMap((m) => m.structs);
    imports.push(
      `import type { ${structs.map((s) => s.typeName).join(", ")} } from "../${g.path.replace(/\.ts$/, ".js")}";`,
    );
    for (const s of structs) body.push("", ...emitStructJson(s, runtime));
  }
  const dispatch = family.dispatch(groups);
  const runtimeNames = [...runtime].sort((a, b) =>
    a.replace(/^type /, "").localeCompare(b.replace(/^type /, "")),
  );
  const text = [
    header(family.sources ?? groups.flatMap((g) => g.messages.map((m) => m.file.path))),
    "",
    runtimeNames.every((n) => n.startsWith("type "))
      ? `import type { ${runtimeNames.map((n) => n.replace(/^type /, "")).join(", ")} } from "../../kafka-json.js";`
      : `import { ${runtimeNames.join(", ")} } from "../../kafka-json.js";`,
    ...imports,
    ...dispatch.imports,
    ...body,
    ...(dispatch.lines.length > 0 ? ["", ...dispatch.lines] : []),
    "",
  ].join("\n");
  return { path: family.path, text };
}

function emitStructJson(s: StructModel, runtime: Set<string>): string[] {
  const lines: string[] = ["const o: KafkaJsonObject = {};"];
  for (const f of s.fields) {
    const x = `m.${f.prop}`;
    const value = jsonExpr(s, f, x, runtime, nullable(s, f));
    lines.push(
      ...guarded(versionCondition(s.versions, mandatoryVersions(s, f)), [`o.${f.prop} = ${value};`]),
    );
    const tagged = taggedVersions(s, f);
    if (tagged.length === 0) continue;
    // Kafka writes a tagged field only when it holds something other than its default (past a
    // null default, the value is not null).
    const check = nonDefault(s, f, x);
    const taggedValue = check === `${x} !== null` ? jsonExpr(s, f, x, runtime, false) : value;
    const set = [`if (${check}) o.${f.prop} = ${taggedValue};`];
    lines.push(...guarded(versionCondition(s.versions, tagged), set));
  }
  lines.push("return o;");
  const what = s.isTop ? s.typeName : `${s.specName} of ${s.message.name}`;
  return [
    `/** ${what} at \`version\`, as Kafka's ${s.typeName}JsonConverter writes it. */`,
    `export function ${jsonFunctionName(s.typeName)}(m: ${s.typeName}, version: number): KafkaJsonObject {`,
    ...indent(lines),
    "}",
  ];
}

function nullable(s: StructModel, f: FieldModel): boolean {
  const present = new Set([...mandatoryVersions(s, f), ...taggedVersions(s, f)]);
  return f.nullable.some((v) => present.has(v)) || f.defaultValue.kind === "null";
}

function jsonExpr(
  s: StructModel,
  f: FieldModel,
  x: string,
  runtime: Set<string>,
  mayBeNull: boolean,
): string {
  const t = f.type;
  const orNull = (expr: string) => (mayBeNull ? `${x} === null ? null : ${expr}` : expr);
  if (t.kind === "struct") return orNull(`${jsonFunctionName(t.struct.typeName)}(${x}, version)`);
  if (t.kind === "primitive") {
    if (t.name === "records")
      throw new Error(`${s.message.file.path}: records fields have no JSON form here`);
    if (t.name === "float64") {
      runtime.add("jsonDouble");
      return `jsonDouble(${x})`;
    }
    return x;
  }
  const element = t.element;
  if (element.kind === "struct") {
    return orNull(`${x}.map((e) => ${jsonFunctionName(element.struct.typeName)}(e, version))`);
  }
  if (element.name === "records") throw new Error(`${s.message.file.path}: records arrays have no JSON form`);
  if (element.name === "float64") {
    runtime.add("jsonDouble");
    return orNull(`${x}.map((e) => jsonDouble(e))`);
  }
  return orNull(`[...${x}]`);
}

/** An expression true when `x` differs from the field's default (Kafka's generateNonDefaultValueCheck). */
function nonDefault(s: StructModel, f: FieldModel, x: string): string {
  const d = f.defaultValue;
  const t = f.type;
  const isBytes = t.kind === "primitive" && t.name === "bytes";
  if (t.kind === "array" || isBytes) {
    if (d.kind === "null") return `${x} !== null`;
    return nullable(s, f) ? `(${x} === null || ${x}.length !== 0)` : `${x}.length !== 0`;
  }
  if (t.kind === "struct") {
    if (d.kind === "null") return `${x} !== null`;
    throw new Error(`${s.message.file.path}: a tagged struct with a non-null default is not supported`);
  }
  const scratch: EmitContext = {
    runtime: new Set(),
    writerValue: false,
    uuid: false,
    constants: new Map(),
    helpers: new Set(),
  };
  return `${x} !== ${decodedDefault(f, scratch)}`;
}

function coordinatorDispatch(
  groups: ModuleGroup[],
  prefix: string,
  framing: string,
): { imports: string[]; lines: string[] } {
  const pairs = groups
    .map((g) => {
      const key = g.messages.find((m) => m.name.endsWith("Key"));
      const value = g.messages.find((m) => m.name.endsWith("Value"));
      if (key === undefined || value === undefined) throw new Error(`${g.path}: key/value pair incomplete`);
      return { key, value, name: key.name.replace(/Key$/, "") };
    })
    .sort((a, b) => (a.key.valid[0] ?? 0) - (b.key.valid[0] ?? 0));
  const lines: string[] = [
    `/** A record key as Kafka's tools print it: the key at its record type (the key's version). */`,
    `export function ${camelCase(prefix)}RecordKeyToJson(k: ${prefix}RecordKey): KafkaJsonObject {`,
    "  switch (k.name) {",
  ];
  for (const p of pairs) {
    lines.push(`    case ${JSON.stringify(p.name)}:`);
    lines.push(`      return ${jsonFunctionName(p.key.name)}(k.key, k.recordType);`);
  }
  lines.push("  }", "}", "");
  lines.push(
    "/** A record value as Kafka's tools print it, at its version. */",
    `export function ${camelCase(prefix)}RecordValueToJson(v: ${prefix}RecordValue): KafkaJsonObject {`,
    "  switch (v.name) {",
  );
  for (const p of pairs) {
    lines.push(`    case ${JSON.stringify(p.name)}:`);
    lines.push(`      return ${jsonFunctionName(p.value.name)}(v.value, v.version);`);
  }
  lines.push("  }", "}");
  return {
    imports: [`import type { ${prefix}RecordKey, ${prefix}RecordValue } from "../records/${framing}";`],
    lines,
  };
}

/** Kafka's MetadataRecordType names: the spec name in upper snake case (MessageGenerator.toSnakeCase). */
export function metadataTypeName(specName: string): string {
  let out = "";
  let previousUpper = true;
  for (const c of specName) {
    const upper = c >= "A" && c <= "Z";
    if (upper && !previousUpper) out += "_";
    out += c.toUpperCase();
    previousUpper = upper;
  }
  return out;
}

function metadataDispatch(groups: ModuleGroup[]): { imports: string[]; lines: string[] } {
  const records: MessageModel[] = groups
    .flatMap((g) => g.messages)
    .sort((a, b) => (a.spec.apiKey ?? 0) - (b.spec.apiKey ?? 0));
  const lines: string[] = [
    "/** Kafka's MetadataRecordType name of each metadata record (what its tools print as the type). */",
    'export const METADATA_RECORD_TYPE_NAMES: Readonly<Record<MetadataRecord["type"], string>> = {',
    ...records.map((m) => `  ${m.name}: ${JSON.stringify(metadataTypeName(m.name))},`),
    "};",
    "",
    "/** A metadata record's data as Kafka's MetadataJsonConverters write it, at the record's version. */",
    "export function metadataRecordToJson(record: MetadataRecord): KafkaJsonObject {",
    "  switch (record.type) {",
  ];
  for (const m of records) {
    lines.push(`    case ${JSON.stringify(m.name)}:`);
    lines.push(`      return ${jsonFunctionName(m.name)}(record.data, record.version);`);
  }
  lines.push("  }", "}");
  return { imports: [`import type { MetadataRecord } from "../records/metadata-records.js";`], lines };
}
