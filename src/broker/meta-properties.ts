import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { ConfigError, parseProperties } from "../base/index.js";
import { randomUuid } from "../protocol/index.js";

/**
 * `meta.properties` in every log directory, as KRaft's `kafka-storage format` writes it: the
 * cluster id, this node's id, the directory's own id. Brook formats empty directories on first
 * start (a new single-node cluster needs no separate format step) and refuses to start on a
 * directory that belongs to another node or cluster, which protects data from a mis-pointed config.
 */
export const META_PROPERTIES_FILE = "meta.properties";

export interface MetaProperties {
  clusterId: string;
  nodeId: number;
  directoryId: string;
}

export function loadOrFormatLogDirs(
  logDirs: readonly string[],
  nodeId: number,
  clusterIdWanted?: string,
): MetaProperties[] {
  const found = logDirs.map((dir) => readMeta(dir));
  const clusterIds = new Set(found.flatMap((m) => (m === null ? [] : [m.clusterId])));
  if (clusterIdWanted !== undefined) clusterIds.add(clusterIdWanted);
  if (clusterIds.size > 1) {
    throw new ConfigError(
      `log.dirs belong to different clusters (${[...clusterIds].join(", ")}); refusing to start`,
    );
  }
  const clusterId = [...clusterIds][0] ?? randomUuid();
  return logDirs.map((dir, i) => {
    const existing = found[i];
    if (existing != null) {
      if (existing.nodeId !== nodeId) {
        throw new ConfigError(
          `Stored node id ${existing.nodeId} in ${join(dir, META_PROPERTIES_FILE)} doesn't match node.id ${nodeId}; refusing to start`,
        );
      }
      return existing;
    }
    const meta = { clusterId, nodeId, directoryId: randomUuid() };
    writeMeta(dir, meta);
    return meta;
  });
}

/** The cluster id the log directories were formatted for, or null when none is formatted yet. */
export function formattedClusterId(logDirs: readonly string[]): string | null {
  for (const dir of logDirs) {
    const meta = readMeta(dir);
    if (meta !== null) return meta.clusterId;
  }
  return null;
}

function readMeta(dir: string): MetaProperties | null {
  const path = join(dir, META_PROPERTIES_FILE);
  if (!existsSync(path)) return null;
  const props = parseProperties(readFileSync(path, "utf8"));
  const clusterId = props.get("cluster.id");
  const nodeId = Number(props.get("node.id"));
  if (clusterId === undefined || !Number.isInteger(nodeId)) {
    throw new ConfigError(
      `${path} is not a valid meta.properties file (cluster.id and node.id are required)`,
    );
  }
  return { clusterId, nodeId, directoryId: props.get("directory.id") ?? "" };
}

function writeMeta(dir: string, meta: MetaProperties): void {
  mkdirSync(dir, { recursive: true });
  const text = [
    "#",
    `#${new Date().toUTCString()}`,
    `cluster.id=${meta.clusterId}`,
    `directory.id=${meta.directoryId}`,
    `node.id=${meta.nodeId}`,
    "version=1",
    "",
  ].join("\n");
  const tmp = join(dir, `${META_PROPERTIES_FILE}.tmp`);
  writeFileSync(tmp, text, { flush: true });
  renameSync(tmp, join(dir, META_PROPERTIES_FILE));
}
