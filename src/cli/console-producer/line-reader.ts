/*
 * Kafka's LineMessageReader (kafka-console-producer.sh's default reader): one record per line,
 * optionally `headers<delimiter>key<separator>value`, with a null marker.
 */

export interface LineReaderSettings {
  parseKey: boolean;
  keySeparator: string;
  parseHeaders: boolean;
  headersDelimiter: string;
  headersSeparator: string;
  headersKeySeparator: string;
  nullMarker: string | null;
  ignoreError: boolean;
}

export interface LineRecord {
  key: string | null;
  value: string | null;
  headers: { key: string; value: string | null }[];
}

/** Kafka's reader errors (a KafkaException in Kafka): the tool stops with the message. */
export class LineReaderError extends Error {}

const DEFAULTS: LineReaderSettings = {
  parseKey: false,
  keySeparator: "\t",
  parseHeaders: false,
  headersDelimiter: "\t",
  headersSeparator: ",",
  headersKeySeparator: ":",
  nullMarker: null,
  ignoreError: false,
};

const isTrue = (v: string) => v.trim().toLowerCase() === "true";

/** The reader's settings from `--property` and `--reader-config` keys, checked as Kafka checks them. */
export function lineReaderSettings(props: ReadonlyMap<string, string>): LineReaderSettings {
  const s: LineReaderSettings = { ...DEFAULTS };
  const get = (k: string) => props.get(k);
  if (get("parse.key") !== undefined) s.parseKey = isTrue(get("parse.key") as string);
  s.keySeparator = get("key.separator") ?? s.keySeparator;
  if (get("parse.headers") !== undefined) s.parseHeaders = isTrue(get("parse.headers") as string);
  s.headersDelimiter = get("headers.delimiter") ?? s.headersDelimiter;
  s.headersSeparator = get("headers.separator") ?? s.headersSeparator;
  s.headersKeySeparator = get("headers.key.separator") ?? s.headersKeySeparator;
  if (get("ignore.error") !== undefined) s.ignoreError = isTrue(get("ignore.error") as string);
  const must = (a: string, b: string, what: string) => {
    if (a === b) throw new LineReaderError(`${what} may not be equal`);
  };
  must(s.headersDelimiter, s.headersSeparator, "headers.delimiter and headers.separator");
  must(s.headersDelimiter, s.headersKeySeparator, "headers.delimiter and headers.key.separator");
  must(s.headersSeparator, s.headersKeySeparator, "headers.separator and headers.key.separator");
  s.nullMarker = get("null.marker") ?? null;
  if (s.nullMarker !== null) {
    must(s.keySeparator, s.nullMarker, "null.marker and key.separator");
    must(s.headersSeparator, s.nullMarker, "null.marker and headers.separator");
    must(s.headersDelimiter, s.nullMarker, "null.marker and headers.delimiter");
    must(s.headersKeySeparator, s.nullMarker, "null.marker and headers.key.separator");
  }
  return s;
}

/** One line (`lineNumber` counts from 1) as the record Kafka's reader makes of it. */
export function parseLine(line: string, lineNumber: number, s: LineReaderSettings): LineRecord {
  const part = (enabled: boolean, start: number, mark: string, name: string): string | null => {
    if (!enabled) return null;
    const index = line.indexOf(mark, start);
    if (index === -1) {
      if (s.ignoreError) return null;
      throw new LineReaderError(`No ${name} found on line number ${lineNumber}: '${line}'`);
    }
    return line.slice(start, index);
  };
  const headers = part(s.parseHeaders, 0, s.headersDelimiter, "headers delimiter");
  const headerOffset = headers === null ? 0 : headers.length + s.headersDelimiter.length;
  const key = part(s.parseKey, headerOffset, s.keySeparator, "key separator");
  const keyOffset = key === null ? 0 : key.length + s.keySeparator.length;
  const value = line.slice(headerOffset + keyOffset);
  const orNull = (v: string | null) => (v === null || v === s.nullMarker ? null : v);
  const record: LineRecord = { key: orNull(key), value: orNull(value), headers: [] };
  if (headers !== null && headers !== s.nullMarker) {
    for (const pair of splitLikeJava(headers, s.headersSeparator)) {
      const i = pair.indexOf(s.headersKeySeparator);
      if (i === -1) {
        if (s.ignoreError) {
          record.headers.push({ key: pair, value: null });
          continue;
        }
        throw new LineReaderError(
          `No header key separator found in pair '${pair}' on line number ${lineNumber}`,
        );
      }
      const headerKey = pair.slice(0, i);
      if (headerKey === s.nullMarker)
        throw new LineReaderError(
          `Header keys should not be equal to the null marker '${s.nullMarker}' as they can't be null`,
        );
      record.headers.push({ key: headerKey, value: orNull(pair.slice(i + s.headersKeySeparator.length)) });
    }
  }
  return record;
}

/** Java's Pattern.split with the separator as a regex, trailing empty strings removed. */
function splitLikeJava(text: string, separator: string): string[] {
  const parts = text.split(new RegExp(separator));
  while (parts.length > 1 && parts[parts.length - 1] === "") parts.pop();
  return parts;
}
