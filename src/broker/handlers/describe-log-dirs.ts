import { statfsSync } from "node:fs";
import { dirname, resolve } from "node:path";
import {
  AclOperation,
  ApiKey,
  CLUSTER_NAME,
  type DescribeLogDirsRequest,
  type DescribeLogDirsResponseDescribeLogDirsPartitionInput,
  type DescribeLogDirsResponseDescribeLogDirsResultInput,
  type DescribeLogDirsResponseInput,
  ErrorCode,
  ResourceType,
} from "../../protocol/index.js";
import type { Partition } from "../../replication/index.js";
import { defineHandler } from "../api-handler.js";
import type { AuthorizerAccess, BrokerSettings, PartitionAccess } from "../handler-context.js";

/**
 * DescribeLogDirs (v1-4; Kafka 4 dropped v0): for each configured log dir, the partitions this
 * broker hosts there (all, or those asked) with their size on disk; the offset lag is how far the
 * log end is behind the high watermark (never, for a leader: 0), and Brook has no future logs
 * (AlterReplicaLogDirs). v3 adds a top-level error code, v4 the volume's total and usable bytes. A
 * log dir that failed (log-manager.ts) is listed with KAFKA_STORAGE_ERROR and no partitions.
 * The metadata log is not a partition of the cluster and is not listed, as in KRaft.
 */
export function describeLogDirsHandler(broker: PartitionAccess & BrokerSettings & AuthorizerAccess) {
  return defineHandler<DescribeLogDirsRequest, DescribeLogDirsResponseInput>({
    apiKey: ApiKey.DescribeLogDirs,
    minVersion: 1,
    maxVersion: 4,
    handle(request, context) {
      // Kafka's: DESCRIBE on the cluster, else CLUSTER_AUTHORIZATION_FAILED and no dirs.
      broker.authorizer?.require(context, AclOperation.DESCRIBE, ResourceType.CLUSTER, CLUSTER_NAME);
      const wanted =
        request.topics === null
          ? null
          : new Set(request.topics.flatMap((t) => t.partitions.map((p) => `${t.topic}\u0000${p}`)));
      const byDir = new Map<string, Partition[]>();
      for (const partition of broker.replicaManager.all()) {
        if (partition.log.isOffline) continue;
        if (wanted !== null && !wanted.has(`${partition.topic}\u0000${partition.partitionIndex}`)) continue;
        const dir = dirname(resolve(partition.log.dir));
        const list = byDir.get(dir) ?? [];
        if (list.length === 0) byDir.set(dir, list);
        list.push(partition);
      }
      const results = broker.config.logDirs.map((d) =>
        // An offline dir (a disk that failed) is listed with KAFKA_STORAGE_ERROR and nothing else, as in Kafka.
        broker.replicaManager.isLogDirOnline(resolve(d))
          ? describeDir(resolve(d), byDir.get(resolve(d)) ?? [])
          : { errorCode: ErrorCode.KAFKA_STORAGE_ERROR, logDir: resolve(d), topics: [] },
      );
      return { throttleTimeMs: 0, errorCode: ErrorCode.NONE, results };
    },
    errorResponse: (_request, errorCode) => ({ throttleTimeMs: 0, errorCode, results: [] }),
  });
}

function describeDir(
  logDir: string,
  partitions: readonly Partition[],
): DescribeLogDirsResponseDescribeLogDirsResultInput {
  let totalBytes: bigint;
  let usableBytes: bigint;
  try {
    const stats = statfsSync(logDir, { bigint: true });
    totalBytes = stats.blocks * stats.bsize;
    usableBytes = stats.bavail * stats.bsize;
  } catch {
    return { errorCode: ErrorCode.KAFKA_STORAGE_ERROR, logDir, topics: [] };
  }
  const byTopic = new Map<string, DescribeLogDirsResponseDescribeLogDirsPartitionInput[]>();
  for (const p of [...partitions].sort((a, b) => a.partitionIndex - b.partitionIndex)) {
    const lag = p.highWatermark - p.log.logEndOffset;
    const entry = {
      partitionIndex: p.partitionIndex,
      partitionSize: BigInt(p.log.sizeBytes),
      offsetLag: lag > 0n ? lag : 0n,
      isFutureKey: false,
    };
    const list = byTopic.get(p.topic) ?? [];
    if (list.length === 0) byTopic.set(p.topic, list);
    list.push(entry);
  }
  const topics = [...byTopic].map(([name, list]) => ({ name, partitions: list }));
  return { errorCode: ErrorCode.NONE, logDir, topics, totalBytes, usableBytes };
}
