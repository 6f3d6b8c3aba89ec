import { randomBytes } from "node:crypto";

/**
 * Kafka UUIDs (topic ids, directory ids) are 16 bytes on the wire. Brook holds them as Kafka
 * prints them: URL-safe base64 without padding, 22 characters, so they compare with `===` and
 * read the same in logs as in Kafka's tools.
 */
export type Uuid = string;

export const ZERO_UUID: Uuid = "AAAAAAAAAAAAAAAAAAAAAA";

export function uuidToBytes(uuid: Uuid, target: Buffer, at: number): void {
  const bytes = Buffer.from(uuid, "base64url");
  if (bytes.length !== 16) throw new RangeError(`not a Kafka UUID: ${uuid}`);
  bytes.copy(target, at);
}

export function uuidFromBytes(source: Buffer, at: number): Uuid {
  return source.toString("base64url", at, at + 16);
}

/** A random (version 4) UUID that is neither zero nor Kafka's reserved metadata topic id. */
export function randomUuid(source: () => Buffer = () => randomBytes(16)): Uuid {
  for (;;) {
    const bytes = Buffer.from(source());
    bytes[6] = ((bytes[6] ?? 0) & 0x0f) | 0x40;
    bytes[8] = ((bytes[8] ?? 0) & 0x3f) | 0x80;
    const uuid = bytes.toString("base64url");
    // Kafka reserves the zero UUID and the metadata topic's id (1); a random v4 can't be 1, only zero-like.
    if (uuid !== ZERO_UUID) return uuid;
  }
}
