import {
  AclOperation,
  AclPermissionType,
  PatternType,
  parseKafkaPrincipal,
  USER_PRINCIPAL_TYPE,
  WILDCARD_HOST,
  WILDCARD_RESOURCE,
} from "../../protocol/index.js";
import type { AuthorizationRule, IndexedAcl } from "./acl-index.js";
import type { AclsImage } from "./acls-image.js";

export interface StandardAuthorizerConfig {
  /** super.users: principals allowed everything (`User:admin`), as configured. */
  readonly superUsers: readonly string[];
  /** allow.everyone.if.no.acl.found: what a resource without any ACL answers. */
  readonly allowEveryoneIfNoAclFound: boolean;
}

export const SUPER_USER_RULE: AuthorizationRule = { allowed: true, describe: () => "SuperUser" };
export const DEFAULT_ALLOW_RULE: AuthorizationRule = { allowed: true, describe: () => "DefaultAllow" };
const NO_ACL_DENY_RULE: AuthorizationRule = { allowed: false, describe: () => "DefaultDeny" };

/** The name authorizeByResourceType first authorizes, so that super users pass whatever the DENY ACLs say. */
const HARDCODED_NAME = "hardcode";

/**
 * Kafka's StandardAuthorizer (KRaft), as pure functions of the image's ACLs: a super user may do
 * anything; otherwise a DENY that applies wins over any ALLOW, an ALLOW decides, and a resource
 * with ACLs none of which applies is denied; a resource without any ACL gets
 * allow.everyone.if.no.acl.found. A principal here is a user name (every principal Brook's
 * listeners authenticate is of type User) and the client's address as Java prints it. No I/O and
 * no allocation per call: the caller logs and counts.
 */
export class StandardAuthorizer {
  private readonly superUserNames: ReadonlySet<string>;
  private readonly noAclRule: AuthorizationRule;

  constructor(config: StandardAuthorizerConfig) {
    const names = new Set<string>();
    for (const principal of config.superUsers) {
      const parsed = parseKafkaPrincipal(principal);
      if (parsed.principalType === USER_PRINCIPAL_TYPE) names.add(parsed.name);
    }
    this.superUserNames = names;
    this.noAclRule = config.allowEveryoneIfNoAclFound ? DEFAULT_ALLOW_RULE : NO_ACL_DENY_RULE;
  }

  isSuperUser(userName: string): boolean {
    return this.superUserNames.has(userName);
  }

  /** What decides `operation` on the literal resource `resourceType:resourceName` for the user at `host`. */
  authorize(
    acls: AclsImage,
    userName: string,
    host: string,
    operation: number,
    resourceType: number,
    resourceName: string,
  ): AuthorizationRule {
    if (this.superUserNames.has(userName)) return SUPER_USER_RULE;
    return acls.index.findRule(userName, host, operation, resourceType, resourceName) ?? this.noAclRule;
  }

  /**
   * Kafka's Authorizer.authorizeByResourceType: whether the user may do `operation` on some
   * resource of the type (what an idempotent producer's InitProducerId needs: WRITE on any topic).
   * Allowed for super users and when a resource named `hardcode` would be; else there must be an
   * ALLOW for the user (or User:*) and operation (or ALL), literal or prefixed, that no DENY
   * covers: a wildcard literal DENY denies everything, a literal DENY its own name, a prefixed DENY
   * every name it prefixes. The implications of authorize() (READ implies DESCRIBE) do not apply.
   */
  authorizeByResourceType(
    acls: AclsImage,
    userName: string,
    host: string,
    operation: number,
    resourceType: number,
  ): boolean {
    if (this.authorize(acls, userName, host, operation, resourceType, HARDCODED_NAME).allowed) return true;
    const denyLiteral = new Set<string>();
    const denyPrefixed = new Set<string>();
    const allowed: IndexedAcl[] = [];
    let wildcardAllowed = false;
    for (const indexed of acls.index.ofType(resourceType)) {
      const acl = indexed.acl;
      if (acl.host !== host && acl.host !== WILDCARD_HOST) continue;
      if (!indexed.principalIs(userName)) continue;
      if (acl.operation !== operation && acl.operation !== AclOperation.ALL) continue;
      if (acl.permissionType === AclPermissionType.DENY) {
        if (acl.patternType === PatternType.LITERAL) {
          if (acl.resourceName === WILDCARD_RESOURCE) return false;
          denyLiteral.add(acl.resourceName);
        } else denyPrefixed.add(acl.resourceName);
      } else if (acl.permissionType === AclPermissionType.ALLOW) {
        if (acl.patternType === PatternType.LITERAL && acl.resourceName === WILDCARD_RESOURCE)
          wildcardAllowed = true;
        else allowed.push(indexed);
      }
    }
    if (wildcardAllowed) return true;
    return allowed.some(({ acl }) => {
      if (acl.patternType === PatternType.LITERAL && denyLiteral.has(acl.resourceName)) return false;
      for (let length = 1; length <= acl.resourceName.length; length++) {
        if (denyPrefixed.has(acl.resourceName.slice(0, length))) return false;
      }
      return true;
    });
  }
}
