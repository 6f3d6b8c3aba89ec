import {
  type AccessControlEntry,
  AclOperation,
  AclPermissionType,
  CLUSTER_NAME,
  operationByName,
  operationName,
  PatternType,
  parseKafkaPrincipal,
  pascalCase,
  type ResourcePatternFilter,
  ResourceType,
  resourceTypeName,
  supportedOperations,
  WILDCARD_HOST,
} from "../../protocol/index.js";
import { CONVERSION_EXCEPTION, CommandError, type ParsedOptions, UsageError } from "../options/index.js";

/*
 * What a kafka-acls.sh command line selects (AclCommand's getResourceFilter, getAcl,
 * getResourceFilterToAcls): resource patterns or pattern filters, and the access control entries
 * to add or remove on each.
 */

export interface FilterAcls {
  readonly filter: ResourcePatternFilter;
  readonly entries: readonly AccessControlEntry[];
}

const CLUSTER_FILTER: ResourcePatternFilter = {
  resourceType: ResourceType.CLUSTER,
  name: CLUSTER_NAME,
  patternType: PatternType.LITERAL,
};

/** --resource-pattern-type as PatternTypeConverter reads it: any case, UNKNOWN refused; LITERAL by default. */
export function patternTypeOption(options: ParsedOptions): number {
  const text = options.value("resource-pattern-type");
  if (text === undefined) return PatternType.LITERAL;
  const code = (PatternType as Record<string, number>)[text.toUpperCase()];
  if (code === undefined || code === PatternType.UNKNOWN) {
    throw new CommandError(
      `Cannot parse argument '${text}' of option resource-pattern-type`,
      CONVERSION_EXCEPTION,
    );
  }
  return code;
}

/** The resources named, as Kafka's getResourceFilter gathers them; none may be fatal (`dieIfNone`). */
export function resourceFilters(options: ParsedOptions, dieIfNone: boolean): ResourcePatternFilter[] {
  const patternType = patternTypeOption(options);
  const filters = new Map<string, ResourcePatternFilter>();
  const add = (resourceType: number, name: string) =>
    filters.set(`${resourceType}\u0000${name}`, { resourceType, name, patternType });
  for (const topic of options.values("topic")) add(ResourceType.TOPIC, topic.trim());
  if (patternType === PatternType.LITERAL && (options.has("cluster") || options.has("idempotent")))
    filters.set(`${ResourceType.CLUSTER}\u0000${CLUSTER_NAME}`, CLUSTER_FILTER);
  for (const group of options.values("group")) add(ResourceType.GROUP, group.trim());
  // Kafka leaves transactional ids as given (it trims every other name).
  for (const id of options.values("transactional-id")) add(ResourceType.TRANSACTIONAL_ID, id);
  for (const token of options.values("delegation-token")) add(ResourceType.DELEGATION_TOKEN, token.trim());
  for (const user of options.values("user-principal")) add(ResourceType.USER, user.trim());
  if (filters.size === 0 && dieIfNone) {
    throw new UsageError(
      "You must provide at least one resource: --topic <topic> or --cluster or --group <group> or --delegation-token <Delegation Token ID>",
    );
  }
  return [...filters.values()];
}

/** The principals of an option, parsed as Kafka parses them (`type:name`), as their strings. */
export function principalsOption(options: ParsedOptions, name: string): string[] {
  const principals = new Set<string>();
  for (const text of options.values(name)) {
    try {
      const p = parseKafkaPrincipal(text.trim());
      principals.add(`${p.principalType}:${p.name}`);
    } catch (error) {
      throw new CommandError((error as Error).message, "java.lang.IllegalArgumentException");
    }
  }
  return [...principals];
}

function hostsOption(options: ParsedOptions, hostOption: string, principalOption: string): string[] {
  if (options.has(hostOption)) return [...new Set(options.values(hostOption).map((h) => h.trim()))];
  return options.has(principalOption) ? [WILDCARD_HOST] : [];
}

/** Kafka's getAcl: every allowed and denied principal, from every host, for every operation. */
function entriesFor(options: ParsedOptions, operations: readonly number[]): AccessControlEntry[] {
  const entries: AccessControlEntry[] = [];
  const cross = (principalOption: string, hostOption: string, permissionType: number) => {
    const principals = principalsOption(options, principalOption);
    const hosts = hostsOption(options, hostOption, principalOption);
    for (const principal of principals)
      for (const operation of operations)
        for (const host of hosts) entries.push({ principal, host, operation, permissionType });
  };
  cross("allow-principal", "allow-host", AclPermissionType.ALLOW);
  cross("deny-principal", "deny-host", AclPermissionType.DENY);
  return dedupe(entries);
}

function dedupe(entries: readonly AccessControlEntry[]): AccessControlEntry[] {
  return [...new Map(entries.map((e) => [JSON.stringify(e), e])).values()];
}

/**
 * Kafka's getResourceFilterToAcls: the --operation's ACLs on every resource named, or --producer's
 * (WRITE, DESCRIBE, CREATE on topics; WRITE, DESCRIBE on transactional ids; IDEMPOTENT_WRITE on the
 * cluster with --idempotent) and --consumer's (READ, DESCRIBE on topics, READ on groups); each
 * checked against what its resource type supports.
 */
export function filterAcls(options: ParsedOptions): FilterAcls[] {
  const byFilter = new Map<string, FilterAcls>();
  const keyOf = (f: ResourcePatternFilter) => `${f.resourceType}\u0000${f.patternType}\u0000${f.name}`;
  const put = (filter: ResourcePatternFilter, entries: readonly AccessControlEntry[], merge: boolean) => {
    const previous = merge ? (byFilter.get(keyOf(filter))?.entries ?? []) : [];
    byFilter.set(keyOf(filter), { filter, entries: dedupe([...previous, ...entries]) });
  };
  const producer = options.has("producer");
  const consumer = options.has("consumer");
  if (!producer && !consumer) {
    const operations = options.values("operation");
    const entries = entriesFor(
      options,
      (operations.length === 0 ? ["All"] : operations).map((o) => operationByName(o.trim())),
    );
    for (const filter of resourceFilters(options, true)) put(filter, entries, false);
  }
  if (producer) {
    const filters = resourceFilters(options, true);
    const { WRITE, DESCRIBE, CREATE, IDEMPOTENT_WRITE } = AclOperation;
    for (const f of filters.filter((x) => x.resourceType === ResourceType.TOPIC))
      put(f, entriesFor(options, [WRITE, DESCRIBE, CREATE]), false);
    for (const f of filters.filter((x) => x.resourceType === ResourceType.TRANSACTIONAL_ID))
      put(f, entriesFor(options, [WRITE, DESCRIBE]), false);
    if (options.has("idempotent")) put(CLUSTER_FILTER, entriesFor(options, [IDEMPOTENT_WRITE]), false);
  }
  if (consumer) {
    const filters = resourceFilters(options, true);
    for (const f of filters.filter((x) => x.resourceType === ResourceType.TOPIC))
      put(f, entriesFor(options, [AclOperation.READ, AclOperation.DESCRIBE]), true);
    for (const f of filters.filter((x) => x.resourceType === ResourceType.GROUP))
      put(f, entriesFor(options, [AclOperation.READ]), true);
  }
  const selected = [...byFilter.values()];
  for (const { filter, entries } of selected) checkOperations(filter.resourceType, entries);
  return selected;
}

/**
 * Kafka's validateOperation: the resource type's operations and ALL. Kafka prints a Scala set of
 * them, whose order changes from one JVM to the next; Brook prints them in the enum's order.
 */
function checkOperations(resourceType: number, entries: readonly AccessControlEntry[]): void {
  const valid = [AclOperation.ALL, ...supportedOperations(resourceType)].sort((a, b) => a - b);
  if (entries.every((e) => (valid as number[]).includes(e.operation))) return;
  throw new UsageError(
    `ResourceType ${resourceTypeName(resourceType)} only supports operations ${valid.map((o) => pascalCase(operationName(o))).join(", ")}`,
  );
}

/** Whether a pattern type may be written (LITERAL, PREFIXED), not only matched (ANY, MATCH). */
export function isSpecificPatternType(patternType: number): boolean {
  return patternType === PatternType.LITERAL || patternType === PatternType.PREFIXED;
}
