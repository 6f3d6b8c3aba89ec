import type { DiffContext } from "./diff-context.js";
import type { DifferenceType } from "./difference.js";
import { canonicalJson } from "./json-value.js";
import type { ConstNode, EnumNode, NotNode, NumberNode, StringNode } from "./schema-node.js";

/** Confluent's string, number, enum, const and not rules (`StringSchemaDiff`, `NumberSchemaDiff`, ...). */

type Change = "ADDED" | "REMOVED" | "INCREASED" | "DECREASED";

function limitChange(original: number | undefined, update: number | undefined): Change | undefined {
  if (original === update) return undefined;
  if (original === undefined) return "ADDED";
  if (update === undefined) return "REMOVED";
  return original < update ? "INCREASED" : "DECREASED";
}

/** Reports `<PREFIX>_<CHANGE>` at `keyword` when a numeric limit changed. */
export function compareLimit(
  context: DiffContext,
  keyword: string,
  prefix: string,
  original: number | undefined,
  update: number | undefined,
): void {
  const change = limitChange(original, update);
  if (change) context.add(`${prefix}_${change}` as DifferenceType, keyword);
}

export function compareStringSchemas(context: DiffContext, original: StringNode, update: StringNode): void {
  compareLimit(context, "maxLength", "MAX_LENGTH", original.maxLength, update.maxLength);
  compareLimit(context, "minLength", "MIN_LENGTH", original.minLength, update.minLength);
  if (original.pattern === undefined && update.pattern !== undefined) context.add("PATTERN_ADDED", "pattern");
  else if (original.pattern !== undefined && update.pattern === undefined)
    context.add("PATTERN_REMOVED", "pattern");
  else if (original.pattern !== update.pattern) context.add("PATTERN_CHANGED", "pattern");
}

export function compareNumberSchemas(context: DiffContext, original: NumberNode, update: NumberNode): void {
  compareLimit(context, "maximum", "MAXIMUM", original.maximum, update.maximum);
  compareLimit(context, "minimum", "MINIMUM", original.minimum, update.minimum);
  compareExclusiveMaximum(context, original, update);
  compareLimit(
    context,
    "exclusiveMinimum",
    "EXCLUSIVE_MINIMUM",
    original.exclusiveMinimum,
    update.exclusiveMinimum,
  );
  compareMultipleOf(context, original.multipleOf, update.multipleOf);
  if (original.requiresInteger !== update.requiresInteger) {
    context.add(original.requiresInteger ? "TYPE_EXTENDED" : "TYPE_NARROWED");
  }
}

/**
 * Confluent decides "decreased" by comparing the original's exclusiveMaximum with the update's
 * `maximum` (not its exclusiveMaximum), so a lowered exclusiveMaximum goes unreported when the
 * update's maximum is at least the old limit, and Confluent fails with an internal error when
 * the update has no maximum. Brook keeps the first quirk and reports the second case as
 * EXCLUSIVE_MAXIMUM_DECREASED (incompatible) instead of failing.
 */
function compareExclusiveMaximum(context: DiffContext, original: NumberNode, update: NumberNode): void {
  const before = original.exclusiveMaximum;
  const after = update.exclusiveMaximum;
  if (before === after) return;
  if (before === undefined) {
    context.add("EXCLUSIVE_MAXIMUM_ADDED", "exclusiveMaximum");
    return;
  }
  if (after === undefined) {
    context.add("EXCLUSIVE_MAXIMUM_REMOVED", "exclusiveMaximum");
    return;
  }
  if (before < after) {
    context.add("EXCLUSIVE_MAXIMUM_INCREASED", "exclusiveMaximum");
    return;
  }
  if (update.maximum === undefined || before > update.maximum) {
    context.add("EXCLUSIVE_MAXIMUM_DECREASED", "exclusiveMaximum");
  }
}

/** A decimal as an integer and a power of ten: exact divisibility for values like 0.1. */
function decimal(text: string): { units: bigint; scale: number } {
  const [mantissa = "0", exponentText = "0"] = text.toLowerCase().split("e");
  const [whole = "0", fraction = ""] = mantissa.split(".");
  let scale = fraction.length - Number(exponentText);
  let units = BigInt(`${whole}${fraction}`);
  if (scale < 0) {
    units *= 10n ** BigInt(-scale);
    scale = 0;
  }
  return { units, scale };
}

/** Whether `dividend` is a whole multiple of `divisor` (both non-zero decimals). */
function divides(dividend: string, divisor: string): boolean {
  const a = decimal(dividend);
  const b = decimal(divisor);
  const scale = Math.max(a.scale, b.scale);
  const left = a.units * 10n ** BigInt(scale - a.scale);
  const right = b.units * 10n ** BigInt(scale - b.scale);
  return right !== 0n && left % right === 0n;
}

function compareMultipleOf(
  context: DiffContext,
  original: string | undefined,
  update: string | undefined,
): void {
  if (original === undefined && update === undefined) return;
  if (original !== undefined && update !== undefined && Number(original) === Number(update)) return;
  if (original === undefined) {
    context.add("MULTIPLE_OF_ADDED", "multipleOf");
    return;
  }
  if (update === undefined) {
    context.add("MULTIPLE_OF_REMOVED", "multipleOf");
    return;
  }
  if (divides(update, original)) {
    context.add("MULTIPLE_OF_EXPANDED", "multipleOf");
    return;
  }
  if (divides(original, update)) {
    context.add("MULTIPLE_OF_REDUCED", "multipleOf");
    return;
  }
  context.add("MULTIPLE_OF_CHANGED", "multipleOf");
}

export function compareEnumSchemas(context: DiffContext, original: EnumNode, update: EnumNode): void {
  const before = new Set(original.values.map(canonicalJson));
  const after = new Set(update.values.map(canonicalJson));
  const covers = (a: Set<string>, b: Set<string>) => [...b].every((value) => a.has(value));
  if (covers(before, after) && covers(after, before)) return;
  if (covers(after, before)) context.add("ENUM_ARRAY_EXTENDED", "enum");
  else if (covers(before, after)) context.add("ENUM_ARRAY_NARROWED", "enum");
  else context.add("ENUM_ARRAY_CHANGED", "enum");
}

/** Confluent reports a changed `const` as ENUM_ARRAY_CHANGED. */
export function compareConstSchemas(context: DiffContext, original: ConstNode, update: ConstNode): void {
  if (canonicalJson(original.value) !== canonicalJson(update.value))
    context.add("ENUM_ARRAY_CHANGED", "const");
}

/** `not`: the wrapped schemas are compared the other way round (what the update excludes must shrink). */
export function compareNotSchemas(context: DiffContext, original: NotNode, update: NotNode): void {
  context.at("not", () => {
    const trial = context.subcontext();
    trial.compare(update.mustNotMatch, original.mustNotMatch);
    context.add(trial.isCompatible() ? "NOT_TYPE_NARROWED" : "NOT_TYPE_EXTENDED");
  });
}
