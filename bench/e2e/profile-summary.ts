/**
 * Summarises a V8 CPU profile (`node --cpu-prof` writes `*.cpuprofile`): the functions with the most
 * self time and the most inclusive time, as `function file:line`, mapped back to the TypeScript
 * source through the compiled files' source maps when there are any.
 *
 *   node dist/bench/e2e/profile-summary.js PROFILE.cpuprofile [--top 25] [--callers FUNCTION]
 */
import { existsSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";

interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
  columnNumber: number;
}

interface ProfileNode {
  id: number;
  callFrame: CallFrame;
  children?: number[];
}

interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
  startTime: number;
  endTime: number;
}

const BASE64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/** Generated line -> sorted [generatedColumn, sourceIndex, sourceLine] segments (all 0-based). */
type LineMap = [number, number, number][][];

function decodeMappings(mappings: string): LineMap {
  const lines: LineMap = [];
  let source = 0;
  let sourceLine = 0;
  let sourceColumn = 0;
  for (const line of mappings.split(";")) {
    const segments: [number, number, number][] = [];
    let column = 0;
    for (const segment of line.split(",")) {
      if (segment === "") continue;
      const fields: number[] = [];
      let value = 0;
      let shift = 0;
      for (const ch of segment) {
        const digit = BASE64.indexOf(ch);
        value += (digit & 31) << shift;
        if (digit & 32) shift += 5;
        else {
          fields.push(value & 1 ? -(value >>> 1) : value >>> 1);
          value = 0;
          shift = 0;
        }
      }
      column += fields[0] ?? 0;
      if (fields.length >= 4) {
        source += fields[1] as number;
        sourceLine += fields[2] as number;
        sourceColumn += fields[3] as number;
        segments.push([column, source, sourceLine]);
      }
    }
    lines.push(segments);
  }
  void sourceColumn;
  return lines;
}

const sourceMaps = new Map<string, { sources: string[]; lines: LineMap } | null>();

/** `file:line` of a call frame, in the TypeScript source when a source map says where. */
function locate(frame: CallFrame): string {
  if (!frame.url.startsWith("file://"))
    return frame.url === "" ? "(native)" : `${frame.url}:${frame.lineNumber + 1}`;
  const path = fileURLToPath(frame.url);
  let map = sourceMaps.get(path);
  if (map === undefined) {
    map = null;
    if (existsSync(`${path}.map`)) {
      const raw = JSON.parse(readFileSync(`${path}.map`, "utf8")) as { sources: string[]; mappings: string };
      map = { sources: raw.sources, lines: decodeMappings(raw.mappings) };
    }
    sourceMaps.set(path, map);
  }
  const short = (p: string) => p.replace(/^.*?\/(src|bench|test|tools|node_modules)\//, "$1/");
  const segments = map?.lines[frame.lineNumber];
  if (map === null || segments === undefined || segments.length === 0)
    return `${short(path)}:${frame.lineNumber + 1}`;
  let best = segments[0] as [number, number, number];
  for (const s of segments) if (s[0] <= frame.columnNumber) best = s;
  return `${short(map.sources[best[1]] ?? path)}:${best[2] + 1}`;
}

function main(): void {
  const file = process.argv[2];
  if (file === undefined) throw new Error("usage: profile-summary PROFILE.cpuprofile [--top N]");
  const topAt = process.argv.indexOf("--top");
  const top = topAt > 0 ? Number(process.argv[topAt + 1]) : 25;
  const profile = JSON.parse(readFileSync(file, "utf8")) as CpuProfile;
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const selfUs = new Map<number, number>();
  profile.samples.forEach((id, i) => {
    selfUs.set(id, (selfUs.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0));
  });
  const totalUs = profile.endTime - profile.startTime;
  const key = (n: ProfileNode) => `${n.callFrame.functionName || "(anonymous)"} ${locate(n.callFrame)}`;
  const self = new Map<string, number>();
  const inclusive = new Map<string, number>();
  // Inclusive time: each sample counts once for every distinct function on its stack.
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  for (const [id, us] of selfUs) {
    const node = byId.get(id) as ProfileNode;
    self.set(key(node), (self.get(key(node)) ?? 0) + us);
    const seen = new Set<string>();
    for (let at: number | undefined = id; at !== undefined; at = parent.get(at)) {
      const k = key(byId.get(at) as ProfileNode);
      if (seen.has(k)) continue;
      seen.add(k);
      inclusive.set(k, (inclusive.get(k) ?? 0) + us);
    }
  }
  const print = (title: string, m: Map<string, number>) => {
    console.log(`\n${title} (of ${(totalUs / 1e6).toFixed(2)} s profiled)`);
    const rows = [...m.entries()].sort((a, b) => b[1] - a[1]).slice(0, top);
    for (const [k, us] of rows)
      console.log(
        `${((100 * us) / totalUs).toFixed(1).padStart(5)} %  ${(us / 1000).toFixed(0).padStart(6)} ms  ${k}`,
      );
  };
  console.log(`# ${file}`);
  print("self time", self);
  print("inclusive time", inclusive);
  const callersOf = process.argv.indexOf("--callers");
  if (callersOf > 0) printCallers(profile, byId, parent, selfUs, process.argv[callersOf + 1] ?? "", totalUs);
}

/** `--callers NAME`: the stacks (5 frames up) through which samples reach functions named NAME. */
function printCallers(
  profile: CpuProfile,
  byId: Map<number, ProfileNode>,
  parent: Map<number, number>,
  selfUs: Map<number, number>,
  name: string,
  totalUs: number,
): void {
  const stacks = new Map<string, number>();
  for (const [id, us] of selfUs) {
    // Find the NAME frame on this sample's stack, then describe the frames above it.
    let at: number | undefined = id;
    while (at !== undefined && byId.get(at)?.callFrame.functionName !== name) at = parent.get(at);
    if (at === undefined) continue;
    const frames: string[] = [];
    for (let up = parent.get(at), n = 0; up !== undefined && n < 5; up = parent.get(up), n++) {
      const f = (byId.get(up) as ProfileNode).callFrame;
      frames.push(`${f.functionName || "(anonymous)"} ${locate(f)}`);
    }
    const k = frames.join(" <- ");
    stacks.set(k, (stacks.get(k) ?? 0) + us);
  }
  console.log(`\ncallers of ${name} (${profile.nodes.length} nodes)`);
  for (const [k, us] of [...stacks.entries()].sort((a, b) => b[1] - a[1]).slice(0, 10))
    console.log(`${((100 * us) / totalUs).toFixed(1).padStart(5)} %  ${k}`);
}

main();
