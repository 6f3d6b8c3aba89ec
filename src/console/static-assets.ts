import { existsSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { BrookError } from "../base/index.js";

/** The page's files: a fixed list, so no request path ever reaches the file system. */
const ASSET_FILES = [
  ["index.html", "text/html; charset=utf-8"],
  ["app.js", "text/javascript; charset=utf-8"],
  ["style.css", "text/css; charset=utf-8"],
] as const;

/** Largest asset loaded: they are small hand-written files, held in memory. */
export const STATIC_ASSET_BYTES_MAX = 1024 * 1024;

export interface StaticAsset {
  contentType: string;
  body: Buffer;
}

/**
 * Where the page's files are: `static/` beside this module (dist/src/console/static, which the
 * build copies; src/console/static when run from source), the same folder seen from the bundle
 * (dist/src/cli/brook.js, where this module's code ends up), else the source folder seen from dist
 * (a build made with plain `tsc`, which copies nothing). Null when none exists.
 */
export function findStaticDir(): string | null {
  const candidates = [
    new URL("./static/", import.meta.url),
    new URL("../console/static/", import.meta.url),
    new URL("../../../src/console/static/", import.meta.url),
  ];
  for (const url of candidates) {
    const dir = fileURLToPath(url);
    if (existsSync(join(dir, "index.html"))) return dir;
  }
  return null;
}

/** The page's files, read once at start, by URL path (`/` is index.html). */
export function loadStaticAssets(dir: string): Map<string, StaticAsset> {
  const assets = new Map<string, StaticAsset>();
  for (const [file, contentType] of ASSET_FILES) {
    const path = join(dir, file);
    if (statSync(path).size > STATIC_ASSET_BYTES_MAX)
      throw new BrookError("BRK_ERR_CONSOLE_ASSET", `${path} is larger than ${STATIC_ASSET_BYTES_MAX} bytes`);
    assets.set(`/${file}`, { contentType, body: readFileSync(path) });
  }
  const index = assets.get("/index.html");
  if (index !== undefined) assets.set("/", index);
  return assets;
}
