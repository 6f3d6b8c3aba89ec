import { InvalidRecordError } from "./record-errors.js";

/**
 * Walks the records of one magic-2 batch the way Kafka's LogValidator iterates them on produce
 * (DefaultRecordBatch's record iterator over DefaultRecord.readFrom / readPartiallyFrom), without
 * building a record or copying a byte: each varint is read where it lies, keys, values and headers
 * are stepped over by their lengths. The bytes are a batch's records area in place (uncompressed)
 * or its decompressed payload.
 *
 * Structure (InvalidRecordError, Kafka's InvalidRecordException: INVALID_RECORD, naming the record):
 * exactly `recordsCount` records that fill the bytes to their end; each record's length varint
 * covers exactly its fields; lengths of -1 (null) or within the record; header counts and header
 * key lengths not negative; varints no longer than their type (5 bytes, 10 for the timestamp delta)
 * and within 32 bits. What this accepts, `readRecord` decodes.
 *
 * Rules (reported, not thrown, so that every offending record is named as Kafka's RecordErrors do):
 * the offset delta of record i must be i; with `keyRequired`, a key; with `checkTimestamps`, a
 * timestamp (baseTimestamp + delta) of -1 or within [timestampMinMs, timestampMaxMs]. One
 * violation per record at most, in Kafka's order: key, then timestamp, then offset delta.
 *
 * The walk is synchronous and allocates only when a record breaks a rule.
 */
export interface RecordWalkRules {
  readonly keyRequired: boolean;
  readonly checkTimestamps: boolean;
  readonly timestampMinMs: number;
  readonly timestampMaxMs: number;
  /** Violations listed at most (the rest are counted): bounds what a batch of bad records costs. */
  readonly violationsMax: number;
}

export type RecordViolationKind = "keyless" | "timestamp" | "offsetDelta";

export interface RecordViolation {
  /** The record's index in its batch (Kafka's batch_index). */
  readonly index: number;
  readonly kind: RecordViolationKind;
  /** The record's timestamp (kind "timestamp") or offset delta (kind "offsetDelta"); else 0. */
  readonly value: number;
}

export interface RecordWalk {
  /** The largest record timestamp (baseTimestamp + delta), as Kafka recomputes maxTimestamp. */
  maxTimestampMs: number;
  /**
   * False when a timestamp delta needed more than 49 bits or a timestamp passes 2^53 (year
   * 287,396): maxTimestampMs is then approximate.
   */
  maxTimestampExact: boolean;
  /** Records that break a rule, in record order, at most `violationsMax`; null when none did. */
  violations: RecordViolation[] | null;
  /** Every record that broke a rule, listed or not. */
  violationCount: number;
}

/** length, attributes, timestampDelta, offsetDelta, key length, value length, header count. */
const RECORD_BODY_BYTES_MIN = 6;
/** A header's key length and value length varints. */
const HEADER_BYTES_MIN = 2;
/** 7-bit groups of a varlong that still fit a double exactly (49 bits). */
const VARLONG_NUMBER_BYTES_MAX = 7;
const VARLONG_BYTES_MAX = 10;

/**
 * Where the last varint read by a helper ended, and whether the last varlong needed more than 49
 * bits: a second return value without an allocation (walks are synchronous).
 */
const cursor = { pos: 0, wide: false };

/**
 * Walks `recordsCount` records in `buf[start, end)`. `baseTimestampMs` is the batch's
 * baseTimestamp (a number: timestamps in milliseconds stay far below 2^53).
 *
 * This is the produce path's per-record cost, so the first pass is written for speed: each varint
 * is read inline where it is one or two bytes (every field of a record up to 8 KiB), through
 * `readVarintLong` otherwise, and the rules are folded into a few flags and the smallest and
 * largest timestamp deltas (integers, no per-record timestamp arithmetic). Only when a flag or the
 * timestamp range says some record may break a rule does `collectViolations` walk again to name
 * them, in Kafka's precedence.
 *
 * The inline reads do not check each byte against the record's end: a byte past the buffer reads
 * as undefined and fails `< 0x80` (taking the checked path), and a field that runs past its
 * record's end moves `pos` past it, which every later length check and the final
 * `pos !== recordEnd` refuse. No record that overruns its length is accepted.
 */
export function walkRecords(
  buf: Buffer,
  start: number,
  end: number,
  recordsCount: number,
  baseTimestampMs: number,
  rules: RecordWalkRules,
): RecordWalk {
  const keyRequired = rules.keyRequired;
  let keylessSeen = false;
  let offsetDeltaWrong = false;
  let wide = false;
  let minTimestampDelta = Number.POSITIVE_INFINITY;
  let maxTimestampDelta = Number.NEGATIVE_INFINITY;
  let pos = start;
  let b0 = 0;
  let b1 = 0;
  let raw = 0;
  for (let index = 0; index < recordsCount; index++) {
    if (pos >= end) {
      throw new InvalidRecordError(
        `Incorrect declared batch size, premature EOF reached: record ${index} of ${recordsCount} is missing`,
        index,
      );
    }
    // Each varint below: one byte, two bytes, or the checked general path.
    let length: number;
    b0 = buf[pos] as number;
    if (b0 < 0x80) {
      length = (b0 >>> 1) ^ -(b0 & 1);
      pos += 1;
    } else {
      b1 = buf[pos + 1] as number;
      if (b1 < 0x80) {
        raw = (b0 & 0x7f) | (b1 << 7);
        length = (raw >>> 1) ^ -(raw & 1);
        pos += 2;
      } else {
        length = readVarintLong(buf, pos, end, index);
        pos = cursor.pos;
      }
    }
    if (length < RECORD_BODY_BYTES_MIN || length > end - pos) {
      throw new InvalidRecordError(
        `Invalid record size: record ${index} declares ${length} bytes, ${end - pos} remain`,
        index,
      );
    }
    const recordEnd = pos + length;
    pos++; // attributes: unused in magic 2
    let timestampDelta: number;
    b0 = buf[pos] as number;
    if (b0 < 0x80) {
      timestampDelta = (b0 >>> 1) ^ -(b0 & 1);
      pos += 1;
    } else {
      b1 = buf[pos + 1] as number;
      if (b1 < 0x80) {
        raw = (b0 & 0x7f) | (b1 << 7);
        timestampDelta = (raw >>> 1) ^ -(raw & 1);
        pos += 2;
      } else {
        cursor.wide = false;
        timestampDelta = readVarlongNumber(buf, pos, recordEnd, index);
        pos = cursor.pos;
        wide ||= cursor.wide;
      }
    }
    let offsetDelta: number;
    b0 = buf[pos] as number;
    if (b0 < 0x80) {
      offsetDelta = (b0 >>> 1) ^ -(b0 & 1);
      pos += 1;
    } else {
      b1 = buf[pos + 1] as number;
      if (b1 < 0x80) {
        raw = (b0 & 0x7f) | (b1 << 7);
        offsetDelta = (raw >>> 1) ^ -(raw & 1);
        pos += 2;
      } else {
        offsetDelta = readVarintLong(buf, pos, recordEnd, index);
        pos = cursor.pos;
      }
    }
    let keyLength: number;
    b0 = buf[pos] as number;
    if (b0 < 0x80) {
      keyLength = (b0 >>> 1) ^ -(b0 & 1);
      pos += 1;
    } else {
      b1 = buf[pos + 1] as number;
      if (b1 < 0x80) {
        raw = (b0 & 0x7f) | (b1 << 7);
        keyLength = (raw >>> 1) ^ -(raw & 1);
        pos += 2;
      } else {
        keyLength = readVarintLong(buf, pos, recordEnd, index);
        pos = cursor.pos;
      }
    }
    if (keyLength > recordEnd - pos || keyLength < -1) throw badLength("key", keyLength, index);
    if (keyLength > 0) pos += keyLength;
    let valueLength: number;
    b0 = buf[pos] as number;
    if (b0 < 0x80) {
      valueLength = (b0 >>> 1) ^ -(b0 & 1);
      pos += 1;
    } else {
      b1 = buf[pos + 1] as number;
      if (b1 < 0x80) {
        raw = (b0 & 0x7f) | (b1 << 7);
        valueLength = (raw >>> 1) ^ -(raw & 1);
        pos += 2;
      } else {
        valueLength = readVarintLong(buf, pos, recordEnd, index);
        pos = cursor.pos;
      }
    }
    if (valueLength > recordEnd - pos || valueLength < -1) throw badLength("value", valueLength, index);
    if (valueLength > 0) pos += valueLength;
    let headerCount: number;
    b0 = buf[pos] as number;
    if (b0 < 0x80) {
      headerCount = (b0 >>> 1) ^ -(b0 & 1);
      pos += 1;
    } else {
      headerCount = readVarintLong(buf, pos, recordEnd, index);
      pos = cursor.pos;
    }
    if (headerCount !== 0) {
      if (headerCount < 0 || headerCount * HEADER_BYTES_MIN > recordEnd - pos) {
        throw new InvalidRecordError(
          `Found invalid number of record headers ${headerCount} in record ${index}`,
          index,
        );
      }
      for (let h = 0; h < headerCount; h++) {
        let headerKeyLength: number;
        b0 = buf[pos] as number;
        if (b0 < 0x80) {
          headerKeyLength = (b0 >>> 1) ^ -(b0 & 1);
          pos += 1;
        } else {
          headerKeyLength = readVarintLong(buf, pos, recordEnd, index);
          pos = cursor.pos;
        }
        if (headerKeyLength < 0 || headerKeyLength > recordEnd - pos) {
          throw badLength("header key", headerKeyLength, index);
        }
        pos += headerKeyLength;
        let headerValueLength: number;
        b0 = buf[pos] as number;
        if (b0 < 0x80) {
          headerValueLength = (b0 >>> 1) ^ -(b0 & 1);
          pos += 1;
        } else {
          headerValueLength = readVarintLong(buf, pos, recordEnd, index);
          pos = cursor.pos;
        }
        if (headerValueLength > recordEnd - pos || headerValueLength < -1) {
          throw badLength("header value", headerValueLength, index);
        }
        if (headerValueLength > 0) pos += headerValueLength;
      }
    }
    if (pos !== recordEnd) {
      throw new InvalidRecordError(
        `Invalid record size: record ${index} declares ${length} bytes but its fields take ${length + pos - recordEnd}`,
        index,
      );
    }
    if (timestampDelta > maxTimestampDelta) maxTimestampDelta = timestampDelta;
    if (timestampDelta < minTimestampDelta) minTimestampDelta = timestampDelta;
    if (keyLength === -1 && keyRequired) keylessSeen = true;
    if (offsetDelta !== index) offsetDeltaWrong = true;
  }
  if (pos !== end) {
    throw new InvalidRecordError(
      `Incorrect declared batch size, records still remaining in file: ${end - pos} bytes follow the last of ${recordsCount} records`,
      recordsCount - 1,
    );
  }
  const maxTimestampMs = recordsCount > 0 ? baseTimestampMs + maxTimestampDelta : -1;
  const walk: RecordWalk = {
    maxTimestampMs,
    maxTimestampExact: !wide && Number.isSafeInteger(baseTimestampMs) && Number.isSafeInteger(maxTimestampMs),
    violations: null,
    violationCount: 0,
  };
  const timestampsSuspect =
    rules.checkTimestamps &&
    recordsCount > 0 &&
    (baseTimestampMs + minTimestampDelta < rules.timestampMinMs ||
      baseTimestampMs + maxTimestampDelta > rules.timestampMaxMs);
  if (keylessSeen || offsetDeltaWrong || timestampsSuspect) {
    collectViolations(buf, start, recordsCount, baseTimestampMs, rules, walk);
  }
  return walk;
}

function badLength(field: string, length: number, index: number): InvalidRecordError {
  return new InvalidRecordError(`Invalid ${field} size ${length} in record ${index}`, index);
}

/**
 * The second pass, over records the first found well formed: names each record that breaks a
 * rule (one violation per record: key, then timestamp, then offset delta, as Kafka checks them).
 * Only the fields before the key are read; the rest of each record is skipped by its length.
 */
function collectViolations(
  buf: Buffer,
  start: number,
  recordsCount: number,
  baseTimestampMs: number,
  rules: RecordWalkRules,
  walk: RecordWalk,
): void {
  let pos = start;
  for (let index = 0; index < recordsCount; index++) {
    const length = readVarint(buf, pos, buf.length, index);
    const recordEnd = cursor.pos + length;
    const timestampDelta = readVarlong(buf, cursor.pos + 1, recordEnd, index);
    const offsetDelta = readVarint(buf, cursor.pos, recordEnd, index);
    const keyLength = readVarint(buf, cursor.pos, recordEnd, index);
    pos = recordEnd;
    const timestamp = baseTimestampMs + timestampDelta;
    if (rules.keyRequired && keyLength === -1) {
      addViolation(walk, rules, index, "keyless", 0);
    } else if (
      rules.checkTimestamps &&
      timestamp !== -1 &&
      (timestamp < rules.timestampMinMs || timestamp > rules.timestampMaxMs)
    ) {
      addViolation(walk, rules, index, "timestamp", timestamp);
    } else if (offsetDelta !== index) {
      addViolation(walk, rules, index, "offsetDelta", offsetDelta);
    }
  }
}

function addViolation(
  walk: RecordWalk,
  rules: RecordWalkRules,
  index: number,
  kind: RecordViolationKind,
  value: number,
): void {
  walk.violationCount++;
  if (walk.violationCount > rules.violationsMax) return;
  walk.violations ??= [];
  walk.violations.push({ index, kind, value });
}

/**
 * A zigzag varint (int32) at `pos`; sets `cursor.pos` past it. For the second pass, over records
 * the first pass checked; one or two bytes are read as walkRecords reads them inline.
 */
function readVarint(buf: Buffer, pos: number, limit: number, index: number): number {
  const b0 = buf[pos] as number;
  if (b0 < 0x80) {
    cursor.pos = pos + 1;
    return (b0 >>> 1) ^ -(b0 & 1);
  }
  const b1 = buf[pos + 1] as number;
  if (b1 < 0x80) {
    const raw = (b0 & 0x7f) | (b1 << 7);
    cursor.pos = pos + 2;
    return (raw >>> 1) ^ -(raw & 1);
  }
  return readVarintLong(buf, pos, limit, index);
}

/** Up to four bytes (28 bits) with int32 arithmetic, the fifth through the exact path. */
function readVarintLong(buf: Buffer, pos: number, limit: number, index: number): number {
  const fastEnd = Math.min(limit, pos + 4);
  let raw = 0;
  for (let p = pos, shift = 0; p < fastEnd; p++, shift += 7) {
    const b = buf[p] as number;
    raw |= (b & 0x7f) << shift;
    if (b < 0x80) {
      cursor.pos = p + 1;
      return (raw >>> 1) ^ -(raw & 1);
    }
  }
  return readVarintFive(buf, pos, limit, index);
}

function readVarintFive(buf: Buffer, pos: number, limit: number, index: number): number {
  let raw = 0;
  let scale = 1;
  for (let i = 0; i < 5; i++, scale *= 128) {
    if (pos >= limit) throw new InvalidRecordError(`a varint runs past the end of record ${index}`, index);
    const b = buf[pos++] as number;
    raw += (b & 0x7f) * scale;
    if (b < 0x80) {
      if (raw > 0xffffffff)
        throw new InvalidRecordError(`a varint exceeds 32 bits in record ${index}`, index);
      cursor.pos = pos;
      return raw % 2 === 0 ? raw / 2 : -(raw + 1) / 2;
    }
  }
  throw new InvalidRecordError(`a varint is longer than 5 bytes in record ${index}`, index);
}

/** A zigzag varlong at `pos` as a number, for the second pass as readVarint. */
function readVarlong(buf: Buffer, pos: number, limit: number, index: number): number {
  const b0 = buf[pos] as number;
  if (b0 < 0x80) {
    cursor.pos = pos + 1;
    return (b0 >>> 1) ^ -(b0 & 1);
  }
  const b1 = buf[pos + 1] as number;
  if (b1 < 0x80) {
    const raw = (b0 & 0x7f) | (b1 << 7);
    cursor.pos = pos + 2;
    return (raw >>> 1) ^ -(raw & 1);
  }
  return readVarlongNumber(buf, pos, limit, index);
}

const MAX_SAFE_BIGINT = BigInt(Number.MAX_SAFE_INTEGER);

/** A varlong of 3 or more bytes, as a number: exact up to 2^53, approximate beyond (sets `cursor.wide`). */
function readVarlongNumber(buf: Buffer, pos: number, limit: number, index: number): number {
  let raw = 0;
  let scale = 1;
  const fastEnd = Math.min(limit, pos + VARLONG_NUMBER_BYTES_MAX);
  for (let p = pos; p < fastEnd; p++) {
    const b = buf[p] as number;
    raw += (b & 0x7f) * scale;
    if (b < 0x80) {
      cursor.pos = p + 1;
      return raw % 2 === 0 ? raw / 2 : -(raw + 1) / 2;
    }
    scale *= 128;
  }
  return readVarlongWide(buf, pos, limit, index);
}

function readVarlongWide(buf: Buffer, pos: number, limit: number, index: number): number {
  let raw = 0n;
  for (let i = 0; i < VARLONG_BYTES_MAX; i++) {
    if (pos >= limit) throw new InvalidRecordError(`a varlong runs past the end of record ${index}`, index);
    const b = buf[pos++] as number;
    raw |= BigInt(b & 0x7f) << BigInt(7 * i);
    if (b < 0x80) {
      if (raw > 0xffffffffffffffffn) {
        throw new InvalidRecordError(`a varlong exceeds 64 bits in record ${index}`, index);
      }
      cursor.pos = pos;
      const value = (raw >> 1n) ^ -(raw & 1n);
      // Approximate only beyond 2^53: an 8-byte varlong of a 50-bit delta is still exact.
      cursor.wide = value > MAX_SAFE_BIGINT || value < -MAX_SAFE_BIGINT;
      return Number(value);
    }
  }
  throw new InvalidRecordError(`a varlong is longer than 10 bytes in record ${index}`, index);
}
