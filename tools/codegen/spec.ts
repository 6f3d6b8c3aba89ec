/**
 * Reading Kafka's JSON message specs (JSON with `//` comments) into plain typed objects, and
 * Kafka's version-range syntax ("0+", "3-5", "7", "none") into explicit version sets.
 */
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative } from "node:path";

export interface FieldSpecJson {
  name: string;
  type: string;
  versions?: string;
  nullableVersions?: string;
  taggedVersions?: string;
  tag?: number;
  default?: string | number | boolean;
  ignorable?: boolean;
  mapKey?: boolean;
  entityType?: string;
  zeroCopy?: boolean;
  flexibleVersions?: string;
  about?: string;
  fields?: FieldSpecJson[];
}

export interface StructSpecJson {
  name: string;
  versions: string;
  fields: FieldSpecJson[];
}

export interface MessageSpecJson {
  apiKey?: number;
  type: "request" | "response" | "header" | "data" | "metadata";
  name: string;
  validVersions: string;
  flexibleVersions: string;
  deprecatedVersions?: string;
  latestVersionUnstable?: boolean;
  listeners?: string[];
  fields: FieldSpecJson[];
  commonStructs?: StructSpecJson[];
}

export interface SpecFile {
  /** Path relative to the specs root, with forward slashes: `message/ProduceRequest.json`. */
  path: string;
  /** The folder: message, group-coordinator, transaction-coordinator, metadata, raft. */
  folder: string;
  spec: MessageSpecJson;
}

/** Removes `//` comments that are not inside a JSON string. */
export function stripJsonComments(text: string): string {
  let out = "";
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (inString) {
      out += c;
      if (c === "\\") {
        out += text[i + 1] ?? "";
        i++;
      } else if (c === '"') {
        inString = false;
      }
    } else if (c === '"') {
      inString = true;
      out += c;
    } else if (c === "/" && text[i + 1] === "/") {
      while (i < text.length && text[i] !== "\n") i++;
      out += "\n";
    } else {
      out += c;
    }
  }
  return out;
}

export function loadSpecs(root: string): SpecFile[] {
  const files: SpecFile[] = [];
  for (const folder of readdirSync(root).sort()) {
    const dir = join(root, folder);
    if (!statSync(dir).isDirectory()) continue;
    for (const name of readdirSync(dir).sort()) {
      if (!name.endsWith(".json")) continue;
      const full = join(dir, name);
      const spec = JSON.parse(stripJsonComments(readFileSync(full, "utf8"))) as MessageSpecJson;
      files.push({ path: relative(root, full).split("\\").join("/"), folder, spec });
    }
  }
  return files;
}

/**
 * Versions are a sorted list of distinct version numbers. Open ranges ("3+") are cut at the
 * highest valid version of the message they belong to, which is all the generator ever needs.
 */
export type VersionSet = readonly number[];

export function parseVersions(
  text: string | undefined,
  fallback: VersionSet | null,
  max: number,
): VersionSet {
  if (text === undefined || text === "") {
    if (fallback === null) throw new Error("missing version range");
    return fallback;
  }
  if (text === "none") return [];
  const plus = /^(\d+)\+$/.exec(text);
  if (plus) return range(Number(plus[1]), max);
  const span = /^(\d+)-(\d+)$/.exec(text);
  if (span) return range(Number(span[1]), Math.min(Number(span[2]), max));
  if (/^\d+$/.test(text)) return Number(text) <= max ? [Number(text)] : [];
  throw new Error(`invalid version range ${JSON.stringify(text)}`);
}

function range(lo: number, hi: number): number[] {
  const out: number[] = [];
  for (let v = lo; v <= hi; v++) out.push(v);
  return out;
}

export function intersect(a: VersionSet, b: VersionSet): VersionSet {
  const set = new Set(b);
  return a.filter((v) => set.has(v));
}

export function subtract(a: VersionSet, b: VersionSet): VersionSet {
  const set = new Set(b);
  return a.filter((v) => !set.has(v));
}

export function union(a: VersionSet, b: VersionSet): VersionSet {
  return [...new Set([...a, ...b])].sort((x, y) => x - y);
}

export function contains(a: VersionSet, b: VersionSet): boolean {
  const set = new Set(a);
  return b.every((v) => set.has(v));
}
