/**
 * A small path router: routes are `METHOD /literal/:param/...` patterns matched segment by
 * segment against the URL-decoded path. It tells "no such path" (404) from "path exists, not
 * with this method" (405), as Jersey does.
 */

export interface RouteMatch<H> {
  handler: H;
  params: Record<string, string>;
}

interface Route<H> {
  method: string;
  segments: string[];
  handler: H;
}

export type RouteResult<H> =
  | { kind: "found"; match: RouteMatch<H> }
  | { kind: "no-path" }
  | { kind: "no-method" };

export class Router<H> {
  private readonly routes: Route<H>[] = [];

  add(method: string, pattern: string, handler: H): this {
    this.routes.push({ method, segments: splitPath(pattern), handler });
    return this;
  }

  /** `segments` are already URL-decoded path segments. */
  resolve(method: string, segments: readonly string[]): RouteResult<H> {
    let pathMatched = false;
    for (const route of this.routes) {
      const params = matchSegments(route.segments, segments);
      if (!params) continue;
      pathMatched = true;
      if (route.method === method) return { kind: "found", match: { handler: route.handler, params } };
    }
    return pathMatched ? { kind: "no-method" } : { kind: "no-path" };
  }
}

export function splitPath(path: string): string[] {
  return path.split("/").filter((segment) => segment !== "");
}

function matchSegments(
  pattern: readonly string[],
  segments: readonly string[],
): Record<string, string> | undefined {
  if (pattern.length !== segments.length) return undefined;
  const params: Record<string, string> = {};
  for (let i = 0; i < pattern.length; i++) {
    const expected = pattern[i]!;
    const actual = segments[i]!;
    if (expected.startsWith(":")) params[expected.slice(1)] = actual;
    else if (expected !== actual) return undefined;
  }
  return params;
}
