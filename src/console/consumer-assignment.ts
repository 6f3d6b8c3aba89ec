import { ProtocolDecodeError, Reader } from "../protocol/index.js";

/** Topics one decoded assignment may list before it is treated as unreadable. */
export const ASSIGNMENT_TOPICS_MAX = 100_000;

export interface AssignedTopic {
  topic: string;
  partitions: number[];
}

/**
 * The partitions a consumer was given, read from its SyncGroup assignment
 * (`ConsumerProtocolAssignment`: int16 version, [string topic, [int32 partition]], then user data
 * the console ignores). Every version starts with that prefix. Returns null when the bytes are not
 * a consumer assignment (another protocol type, or malformed): the console shows it as unknown.
 */
export function decodeConsumerAssignment(bytes: Buffer): AssignedTopic[] | null {
  if (bytes.length === 0) return [];
  try {
    const r = new Reader(bytes);
    if (r.int16() < 0) return null;
    const topicCount = r.arrayLength(6);
    if (topicCount > ASSIGNMENT_TOPICS_MAX) return null;
    const topics: AssignedTopic[] = [];
    for (let i = 0; i < topicCount; i++) {
      const topic = r.string();
      const partitionCount = r.arrayLength(4);
      const partitions: number[] = [];
      for (let j = 0; j < partitionCount; j++) partitions.push(r.int32());
      topics.push({ topic, partitions });
    }
    return topics;
  } catch (error) {
    if (error instanceof ProtocolDecodeError) return null;
    throw error;
  }
}
