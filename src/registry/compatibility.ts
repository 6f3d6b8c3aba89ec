import type {
  CheckRoles,
  CompatibilityIssue,
  CompatibilityPolicy,
  ParsedSchema,
  SchemaFormat,
} from "./formats/schema-format.js";
import type { CompatibilityLevel } from "./schema-types.js";

/** A registered version as a compatibility check sees it. */
export interface PriorVersion {
  version: number;
  schema: string;
  parsed: ParsedSchema;
}

export interface CompatibilityResult {
  compatible: boolean;
  /** Confluent's verbose messages: the issues, then oldSchemaVersion, oldSchema, compatibility. */
  messages: string[];
}

const NEW_READS_OLD: CheckRoles = { reader: "new", writer: "old" };
const OLD_READS_NEW: CheckRoles = { reader: "old", writer: "new" };

function quote(text: string): string {
  return `'${text}'`;
}

export function formatIssue(issue: CompatibilityIssue): string {
  const parts = [`errorType:${quote(issue.errorType)}`, `description:${quote(issue.description)}`];
  if (issue.additionalInfo !== undefined) parts.push(`additionalInfo:${quote(issue.additionalInfo)}`);
  return `{${parts.join(", ")}}`;
}

/** Issues of one candidate against one prior version under the level's direction. */
function issuesAgainst(
  format: SchemaFormat,
  level: CompatibilityLevel,
  candidate: ParsedSchema,
  prior: ParsedSchema,
  policy: CompatibilityPolicy,
): CompatibilityIssue[] {
  if (candidate.schemaType !== prior.schemaType) {
    return [
      {
        errorType: "TYPE_MISMATCH",
        description: `Incompatible because of different schema type (new ${candidate.schemaType}, old ${prior.schemaType})`,
      },
    ];
  }
  const backward = level.startsWith("BACKWARD") || level.startsWith("FULL");
  const forward = level.startsWith("FORWARD") || level.startsWith("FULL");
  const issues: CompatibilityIssue[] = [];
  if (backward) issues.push(...format.check(candidate, prior, NEW_READS_OLD, policy));
  if (forward) issues.push(...format.check(prior, candidate, OLD_READS_NEW, policy));
  return issues;
}

/**
 * Confluent's rule for which versions a level checks: NONE nothing, the plain levels the latest
 * live version, the transitive ones every live version. Versions are checked newest first and
 * the first failing one is reported, as Confluent does. `priors` are live versions, oldest first.
 */
export function checkCompatibility(
  format: SchemaFormat,
  level: CompatibilityLevel,
  candidate: ParsedSchema,
  priors: readonly PriorVersion[],
  policy: CompatibilityPolicy = "STRICT",
): CompatibilityResult {
  if (level === "NONE" || priors.length === 0) return { compatible: true, messages: [] };
  const selected = level.endsWith("_TRANSITIVE") ? priors : priors.slice(-1);
  for (let i = selected.length - 1; i >= 0; i--) {
    const prior = selected[i]!;
    const issues = issuesAgainst(format, level, candidate, prior.parsed, policy);
    if (issues.length > 0) {
      return {
        compatible: false,
        messages: [
          ...issues.map(formatIssue),
          `{oldSchemaVersion: ${prior.version}}`,
          `{oldSchema: ${quote(prior.schema)}}`,
          `{compatibility: ${quote(level)}}`,
        ],
      };
    }
  }
  return { compatible: true, messages: [] };
}
