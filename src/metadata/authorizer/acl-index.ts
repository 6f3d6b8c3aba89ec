import {
  AclOperation,
  AclPermissionType,
  PatternType,
  USER_PRINCIPAL_TYPE,
  WILDCARD_HOST,
  WILDCARD_RESOURCE,
} from "../../protocol/index.js";
import { type StandardAcl, standardAclString } from "./standard-acl.js";

/** What decided an authorization: Kafka's MatchingRule, named in its audit lines. */
export interface AuthorizationRule {
  readonly allowed: boolean;
  /** `SuperUser`, `DefaultAllow`, `DefaultDeny`, or `MatchingAcl(acl=StandardAcl(...))`. */
  describe(): string;
}

/** Action operations an ACL's operation covers, as bits (1 << AclOperation). */
const ALL_OPERATIONS = 0x7fff;
const DESCRIBE_BIT = 1 << AclOperation.DESCRIBE;
const DESCRIBE_CONFIGS_BIT = 1 << AclOperation.DESCRIBE_CONFIGS;

/**
 * Kafka's rule (StandardAuthorizerData.findResult): ALL matches every operation; an ALLOW for
 * READ, WRITE, DELETE or ALTER also allows DESCRIBE, and ALTER_CONFIGS allows DESCRIBE_CONFIGS;
 * a DENY denies only its own operation.
 */
function operationMask(operation: number, permissionType: number): number {
  if (operation === AclOperation.ALL) return ALL_OPERATIONS;
  const own = 1 << operation;
  if (permissionType !== AclPermissionType.ALLOW) return own;
  switch (operation) {
    case AclOperation.READ:
    case AclOperation.WRITE:
    case AclOperation.DELETE:
    case AclOperation.ALTER:
      return own | DESCRIBE_BIT;
    case AclOperation.ALTER_CONFIGS:
      return own | DESCRIBE_CONFIGS_BIT;
    default:
      return own;
  }
}

/** An ACL ready to be matched: what the hot path compares is computed once, when the index is built. */
export class IndexedAcl implements AuthorizationRule {
  readonly acl: StandardAcl;
  readonly allowed: boolean;
  /** The principal's name when its type is User (every principal Brook authenticates is), else null: it matches no one. */
  readonly userName: string | null;
  readonly operationMask: number;
  private text: string | null = null;

  constructor(acl: StandardAcl) {
    this.acl = acl;
    this.allowed = acl.permissionType === AclPermissionType.ALLOW;
    const colon = acl.principal.indexOf(":");
    this.userName =
      colon >= 0 && acl.principal.slice(0, colon) === USER_PRINCIPAL_TYPE
        ? acl.principal.slice(colon + 1)
        : null;
    this.operationMask = operationMask(acl.operation, acl.permissionType);
  }

  /** Whether the ACL applies to this user, host and operation (the resource already matched). */
  applies(userName: string, host: string, operationBit: number): boolean {
    return (
      this.userName !== null &&
      (this.userName === "*" || this.userName === userName) &&
      (this.acl.host === WILDCARD_HOST || this.acl.host === host) &&
      (this.operationMask & operationBit) !== 0
    );
  }

  /** Whether the ACL is for this principal exactly or User:* (Kafka compares parsed principals). */
  principalIs(userName: string): boolean {
    return this.userName === "*" || this.userName === userName;
  }

  describe(): string {
    this.text ??= `MatchingAcl(acl=${standardAclString(this.acl)})`;
    return this.text;
  }
}

/**
 * The prefixed ACLs of a resource type as a trie of their names' UTF-16 code units (the units
 * Java's startsWith compares): a name's prefixes are found by walking its characters, without
 * cutting substrings out of it.
 */
class PrefixNode {
  children: Map<number, PrefixNode> | null = null;
  /** The ACLs whose prefix ends here. */
  acls: IndexedAcl[] | null = null;

  child(code: number): PrefixNode {
    this.children ??= new Map();
    let node = this.children.get(code);
    if (node === undefined) {
      node = new PrefixNode();
      this.children.set(code, node);
    }
    return node;
  }
}

/** One resource type's ACLs: literal names (the wildcard `*` among them) by name, and prefixes. */
class ResourceTypeAcls {
  readonly literal = new Map<string, IndexedAcl[]>();
  readonly prefixes = new PrefixNode();
  /** The prefix lists, for sorting once built. */
  readonly prefixLists: IndexedAcl[][] = [];
  readonly all: IndexedAcl[] = [];
}

/** Kafka's sort within a resource: operation, principal, host, permission (which ACL a line names). */
function compareAcls(a: IndexedAcl, b: IndexedAcl): number {
  return (
    a.acl.operation - b.acl.operation ||
    (a.acl.principal < b.acl.principal ? -1 : a.acl.principal > b.acl.principal ? 1 : 0) ||
    (a.acl.host < b.acl.host ? -1 : a.acl.host > b.acl.host ? 1 : 0) ||
    a.acl.permissionType - b.acl.permissionType
  );
}

/** The ACLs of a resource exist but none applies: Kafka's DENY_RULE. */
export const DEFAULT_DENY_RULE: AuthorizationRule = { allowed: false, describe: () => "DefaultDeny" };

/**
 * The ACLs indexed for authorization: by resource type, then literal names in a map and prefixes
 * in a trie, so that an authorization looks at the ACLs of its resource only, whatever the
 * cluster holds: the exact name, each prefix of it that has ACLs, and `*` (Kafka walks its sorted
 * set through the same candidates). Built once per set of ACLs (an AclsImage builds it on first
 * use) and read-only after, so one index serves every request until the ACLs change.
 */
export class AclIndex {
  private readonly types: (ResourceTypeAcls | undefined)[] = [];
  // Scratch state of one findRule call: authorization is synchronous, so no call interleaves.
  private allow: IndexedAcl | null = null;
  private matchedAny = false;
  /** The prefix lists a name's walk passed, shortest first (reused: nothing is allocated per call). */
  private readonly path: IndexedAcl[][] = [];

  constructor(acls: Iterable<StandardAcl>) {
    for (const acl of acls) {
      let section = this.types[acl.resourceType];
      if (section === undefined) {
        section = new ResourceTypeAcls();
        this.types[acl.resourceType] = section;
      }
      const indexed = new IndexedAcl(acl);
      section.all.push(indexed);
      if (acl.patternType === PatternType.PREFIXED) {
        let node = section.prefixes;
        for (let i = 0; i < acl.resourceName.length; i++) node = node.child(acl.resourceName.charCodeAt(i));
        if (node.acls === null) {
          node.acls = [];
          section.prefixLists.push(node.acls);
        }
        node.acls.push(indexed);
      } else {
        const list = section.literal.get(acl.resourceName);
        if (list === undefined) section.literal.set(acl.resourceName, [indexed]);
        else list.push(indexed);
      }
    }
    for (const section of this.types) {
      if (section === undefined) continue;
      for (const list of section.literal.values()) list.sort(compareAcls);
      for (const list of section.prefixLists) list.sort(compareAcls);
    }
  }

  /**
   * The ACL that decides (the first DENY that applies, else the last ALLOW), DEFAULT_DENY_RULE
   * when the resource has ACLs and none applies, or null when it has none (the caller's
   * allow.everyone.if.no.acl.found decides).
   */
  findRule(
    userName: string,
    host: string,
    operation: number,
    resourceType: number,
    name: string,
  ): AuthorizationRule | null {
    const section = this.types[resourceType];
    if (section === undefined) return null;
    const bit = 1 << operation;
    this.allow = null;
    this.matchedAny = false;
    let deny = this.scan(section.literal.get(name), userName, host, bit);
    // The prefixes of the name, longest first, as Kafka's walk of its reverse-sorted set meets them.
    let depth = 0;
    let node: PrefixNode | undefined = deny === null ? section.prefixes : undefined;
    for (let i = 0; node !== undefined; i++) {
      if (node.acls !== null) this.path[depth++] = node.acls;
      node = i < name.length ? node.children?.get(name.charCodeAt(i)) : undefined;
    }
    for (let d = depth - 1; deny === null && d >= 0; d--) deny = this.scan(this.path[d], userName, host, bit);
    if (deny === null && name !== WILDCARD_RESOURCE)
      deny = this.scan(section.literal.get(WILDCARD_RESOURCE), userName, host, bit);
    if (deny !== null) return deny;
    if (this.allow !== null) return this.allow;
    return this.matchedAny ? DEFAULT_DENY_RULE : null;
  }

  /** Every ACL of a resource type (authorizeByResourceType walks them). */
  ofType(resourceType: number): readonly IndexedAcl[] {
    return this.types[resourceType]?.all ?? [];
  }

  private scan(
    list: IndexedAcl[] | undefined,
    userName: string,
    host: string,
    bit: number,
  ): IndexedAcl | null {
    if (list === undefined) return null;
    this.matchedAny = true;
    for (const acl of list) {
      if (!acl.applies(userName, host, bit)) continue;
      if (!acl.allowed) return acl;
      this.allow = acl;
    }
    return null;
  }
}
