import { ProtocolDecodeError, Reader } from "../protocol/index.js";

/** The protocol type of Kafka consumers (and the only one whose subscriptions Brook reads). */
export const CONSUMER_PROTOCOL_TYPE = "consumer";

/** A subscription listing more topics than this is treated as unreadable, not allocated. */
export const SUBSCRIPTION_TOPICS_MAX = 1_000_000;

/**
 * The topics a consumer subscribes to, read from its JoinGroup protocol metadata
 * (`ConsumerProtocolSubscription`): `int16 version`, then `[]string topics`, the prefix that every
 * version shares. As Kafka does, only that prefix is read, so a future version still yields its
 * topics; the user data, owned partitions, generation and rack that follow are ignored.
 *
 * Returns null when the bytes are not a subscription (a negative version, a truncated or
 * oversized list): Kafka then treats the group's subscriptions as unknown.
 */
export function subscribedTopics(metadata: Buffer): string[] | null {
  try {
    const r = new Reader(metadata);
    const version = r.int16();
    if (version < 0) return null;
    const count = r.int32();
    if (count < 0 || count > SUBSCRIPTION_TOPICS_MAX) return null;
    // Each topic takes at least its int16 length: a count the bytes cannot hold is malformed.
    if (count * 2 > r.remaining) return null;
    const topics: string[] = [];
    for (let i = 0; i < count; i++) topics.push(r.string());
    return topics;
  } catch (error) {
    if (error instanceof ProtocolDecodeError) return null;
    throw error;
  }
}
