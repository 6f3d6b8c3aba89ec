import type { AdminClient } from "../../client/index.js";
import {
  type AccessControlEntry,
  type AclBinding,
  type AclBindingFilter,
  ANY_BINDING_FILTER,
  ANY_ENTRY_FILTER,
  accessControlEntryString,
  type KafkaError,
  patternTypeName,
  type ResourcePattern,
  resourcePatternString,
} from "../../protocol/index.js";
import {
  CommandError,
  failureText,
  helpText,
  type ParsedOptions,
  runAdminTool,
  type ToolIo,
  UsageError,
} from "../options/index.js";
import {
  filterAcls,
  isSpecificPatternType,
  patternTypeOption,
  principalsOption,
  resourceFilters,
} from "./acl-selection.js";
import { parseAclsCommandLine } from "./arguments.js";
import { HELP_MESSAGE, OPTION_SPECS } from "./option-specs.js";

/** The tool's streams, and standard input's next line (null at its end) for --remove's question. */
export interface AclsIo extends ToolIo {
  readLine(): Promise<string | null>;
}

/** An entry per line, each after a tab, as AclCommand prints a set of them (its lines end with " \n"). */
function entryLines(entries: readonly AccessControlEntry[]): string {
  return entries.map((e) => `\t${accessControlEntryString(e)}`).join("\n");
}

/** The first failure of a batch, as Kafka's `all().get()` throws it. */
function throwFirst(errors: readonly (KafkaError | null)[]): void {
  const error = errors.find((e) => e !== null);
  if (error !== undefined && error !== null) throw error;
}

async function addAcls(options: ParsedOptions, admin: AdminClient, io: AclsIo): Promise<void> {
  const patternType = patternTypeOption(options);
  if (!isSpecificPatternType(patternType)) {
    throw new UsageError(
      `A '--resource-pattern-type' value of '${patternTypeName(patternType)}' is not valid when adding acls.`,
    );
  }
  const selected = filterAcls(options);
  if (selected.some((s) => s.entries.length === 0)) {
    throw new UsageError(
      "You must specify one of: --allow-principal, --deny-principal when trying to add ACLs.",
    );
  }
  for (const { filter, entries } of selected) {
    const pattern = filter as ResourcePattern;
    io.out(`Adding ACLs for resource \`${resourcePatternString(pattern)}\`: \n ${entryLines(entries)} \n\n`);
    const results = await admin.createAcls(entries.map((entry) => ({ pattern, entry })));
    throwFirst(results.map((r) => r.error));
  }
}

/** AclCommand's confirmAction: --force, or the question on stdout and `y` (any case) read back. */
async function confirmed(options: ParsedOptions, question: string, io: AclsIo): Promise<boolean> {
  if (options.has("force")) return true;
  io.out(`${question}\n`);
  const answer = await io.readLine();
  if (answer === null) {
    // Scala's StdIn.readLine() is null at the end of the input, and Kafka calls a method on it.
    throw new CommandError(
      'Cannot invoke "String.equalsIgnoreCase(String)" because the return value of "scala.io.StdIn$.readLine()" is null',
      "java.lang.NullPointerException",
    );
  }
  return answer.toLowerCase() === "y";
}

async function removeAcls(options: ParsedOptions, admin: AdminClient, io: AclsIo): Promise<void> {
  for (const { filter, entries } of filterAcls(options)) {
    const filterText = resourcePatternString(filter);
    const question =
      entries.length === 0
        ? `Are you sure you want to delete all ACLs for resource filter \`${filterText}\`? (y/n)`
        : `Are you sure you want to remove ACLs: \n ${entryLines(entries)} \n from resource filter \`${filterText}\`? (y/n)`;
    if (!(await confirmed(options, question, io))) continue;
    const filters: AclBindingFilter[] =
      entries.length === 0
        ? [{ patternFilter: filter, entryFilter: ANY_ENTRY_FILTER }]
        : entries.map((entry) => ({ patternFilter: filter, entryFilter: entry }));
    const results = await admin.deleteAcls(filters);
    throwFirst(results.map((r) => r.error));
  }
}

/**
 * The ACLs of the resources named (all of them when none is), by resource. Kafka collects them in
 * hash maps and sets whose order changes from one JVM to the next; Brook prints the resources
 * sorted (type, name, pattern type) and each resource's entries in the order the broker gave them.
 */
async function aclsByResource(
  options: ParsedOptions,
  admin: AdminClient,
): Promise<Map<string, AclBinding[]>> {
  const filters = resourceFilters(options, false);
  const bindings: AclBinding[] = [];
  if (filters.length === 0) bindings.push(...(await admin.describeAcls(ANY_BINDING_FILTER)));
  for (const patternFilter of filters)
    bindings.push(...(await admin.describeAcls({ patternFilter, entryFilter: ANY_ENTRY_FILTER })));
  const sorted = bindings.sort(
    (a, b) =>
      a.pattern.resourceType - b.pattern.resourceType ||
      (a.pattern.name < b.pattern.name ? -1 : a.pattern.name > b.pattern.name ? 1 : 0) ||
      a.pattern.patternType - b.pattern.patternType,
  );
  const byResource = new Map<string, AclBinding[]>();
  for (const binding of sorted) {
    const key = resourcePatternString(binding.pattern);
    const same = byResource.get(key) ?? [];
    const entry = accessControlEntryString(binding.entry);
    if (!same.some((b) => accessControlEntryString(b.entry) === entry)) same.push(binding);
    byResource.set(key, same);
  }
  return byResource;
}

function printResourceAcls(byResource: ReadonlyMap<string, readonly AclBinding[]>, io: AclsIo): void {
  for (const [resource, bindings] of byResource) {
    io.out(`Current ACLs for resource \`${resource}\`: \n ${entryLines(bindings.map((b) => b.entry))} \n\n`);
  }
}

async function listAcls(options: ParsedOptions, admin: AdminClient, io: AclsIo): Promise<void> {
  const principals = principalsOption(options, "principal");
  const byResource = await aclsByResource(options, admin);
  if (principals.length === 0) {
    printResourceAcls(byResource, io);
    return;
  }
  for (const principal of principals) {
    io.out(`ACLs for principal \`${principal}\`\n`);
    const theirs = new Map<string, AclBinding[]>();
    for (const [resource, bindings] of byResource) {
      const matching = bindings.filter((b) => b.entry.principal === principal);
      if (matching.length > 0) theirs.set(resource, matching);
    }
    printResourceAcls(theirs, io);
  }
}

/**
 * A failure as AclCommand prints it on stdout: the exception's message, then its stack trace, of
 * which Brook prints the first line (a broker's error comes wrapped in the ExecutionException of
 * the admin client's future).
 */
function printFailure(error: unknown, io: ToolIo): number {
  const message = failureText(error);
  const trace =
    error instanceof CommandError
      ? error.javaClass === undefined
        ? ""
        : `${error.javaClass}: ${message}\n`
      : `java.util.concurrent.ExecutionException: ${message}\n`;
  io.out(`Error while executing ACL command: ${message}\n${trace}`);
  return 1;
}

/**
 * `brook acls ...`: kafka-acls.sh for Brook (add, remove and list ACLs over the Kafka protocol, as
 * Kafka 4.0's AclCommand does: its options, output and exit codes). Returns the exit code.
 */
export function runAclsCommand(argv: readonly string[], io: AclsIo, version: () => string): Promise<number> {
  return runAdminTool(
    {
      parse: () => parseAclsCommandLine(argv),
      help: (message) => helpText(message, OPTION_SPECS),
      helpMessage: HELP_MESSAGE,
      clientId: "brook-acls",
      bootstrap: (options) =>
        (options.value("bootstrap-server") ?? options.value("bootstrap-controller")) as string,
      run: (options, admin) => {
        if (options.has("add")) return addAcls(options, admin, io);
        if (options.has("remove")) return removeAcls(options, admin, io);
        return listAcls(options, admin, io);
      },
      failed: (error) => printFailure(error, io),
    },
    io,
    version,
  );
}
