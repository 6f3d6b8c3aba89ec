/**
 * Turns version sets into the shortest `version` comparison that is right for every version the
 * code can run at: versions outside `possible` are "don't care", so `target = {3..11}` within
 * `possible = {0..11}` becomes `version >= 3`, and a target equal to `possible` becomes `true`.
 */
import type { VersionSet } from "./spec.js";

export const ALWAYS = "true";
export const NEVER = "false";

export function versionCondition(possible: VersionSet, target: VersionSet, variable = "version"): string {
  const wanted = new Set(target);
  const inPossible = possible.filter((v) => wanted.has(v));
  if (inPossible.length === 0) return NEVER;
  if (inPossible.length === possible.length) return ALWAYS;
  const clauses: string[] = [];
  let i = 0;
  while (i < possible.length) {
    if (!wanted.has(possible[i] as number)) {
      i++;
      continue;
    }
    let j = i;
    while (j + 1 < possible.length && wanted.has(possible[j + 1] as number)) j++;
    const lo = possible[i] as number;
    const hi = possible[j] as number;
    const needLo = i > 0;
    const needHi = j < possible.length - 1;
    if (needLo && needHi) {
      clauses.push(lo === hi ? `${variable} === ${lo}` : `(${variable} >= ${lo} && ${variable} <= ${hi})`);
    } else if (needLo) {
      clauses.push(`${variable} >= ${lo}`);
    } else {
      clauses.push(`${variable} <= ${hi}`);
    }
    i = j + 1;
  }
  if (clauses.length === 1) {
    const only = clauses[0] as string;
    return only.startsWith("(") ? only.slice(1, -1) : only;
  }
  return clauses.join(" || ");
}

/** The negation of a condition, as a flipped comparison when it is a single one. */
export function not(condition: string): string {
  const single = /^(\w+) (>=|<=|===) (\d+)$/.exec(condition);
  if (single) {
    const flipped = single[2] === ">=" ? "<" : single[2] === "<=" ? ">" : "!==";
    return `${single[1]} ${flipped} ${single[3]}`;
  }
  return `!(${condition})`;
}

/** Wraps a condition for use inside `&&`. */
export function parenthesize(condition: string): string {
  return /^[\w.]+ (?:>=|<=|===) \d+$/.test(condition) ? condition : `(${condition})`;
}

/** `if (cond) { body }` without the `if` when the condition always holds, nothing when it never does. */
export function guarded(condition: string, body: string[]): string[] {
  if (condition === NEVER || body.length === 0) return [];
  if (condition === ALWAYS) return body;
  return [`if (${condition}) {`, ...indent(body), "}"];
}

/** Two branches on a condition, collapsing to one when the condition is constant. */
export function branch(condition: string, ifTrue: string[], ifFalse: string[]): string[] {
  if (condition === ALWAYS) return ifTrue;
  if (condition === NEVER) return ifFalse;
  if (ifFalse.length === 0) return guarded(condition, ifTrue);
  return [`if (${condition}) {`, ...indent(ifTrue), "} else {", ...indent(ifFalse), "}"];
}

export function indent(lines: string[], by = "  "): string[] {
  return lines.map((l) => (l === "" ? l : by + l));
}
