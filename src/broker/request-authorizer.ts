import type { Clock, Logger } from "../base/index.js";
import {
  type AclsImage,
  type AuthorizationRule,
  StandardAuthorizer,
  type StandardAuthorizerConfig,
} from "../metadata/index.js";
import {
  AclOperation,
  apiSpec,
  CLUSTER_NAME,
  ErrorCode,
  KafkaError,
  operationName,
  pascalCase,
  ResourceType,
  resourceTypeName,
  supportedOperations,
  userPrincipal,
} from "../protocol/index.js";
import type { RequestContext } from "./api-handler.js";
import type { BrokerConfig } from "./broker-config.js";
import { forwardedClient } from "./controller-forwarder.js";

/** Who a request is from, as the authorizer sees it: a user name and the client's address. */
export interface Session {
  readonly principal: string;
  readonly hostAddress: string;
}

/** What the authorizer counted, for /metrics. */
export interface AuthorizerStats {
  /** Denied authorizations of resources a request named (Kafka's logIfDenied ones), by resource type (`topic`, ...). */
  readonly denialsByResourceType: Readonly<Record<string, number>>;
}

/** A denial of one (principal, operation, resource) is logged at most this often. */
const AUDIT_LOG_INTERVAL_MS = 60_000;
/** Denials remembered for that; past it the oldest half is forgotten (a client cycling names floods nothing). */
const AUDIT_KEYS_MAX = 10_000;

/**
 * Authorization for request handlers, Kafka's AuthHelper over the StandardAuthorizer: whether the
 * request's client may do an operation on a resource, read from the image's ACLs at the moment
 * of the call. Handlers hold `null` when no authorizer is configured and skip every check, so a
 * broker without one pays nothing.
 *
 * The client is the connection's principal and address, except for a client's request forwarded
 * by another node (controller-forwarder.ts): it is authorized as the client it names when the
 * connection is a broker's, one allowed CLUSTER_ACTION on the cluster (Kafka's condition for an
 * envelope); otherwise as the connection's principal, so naming someone in a client id gains a
 * client nothing.
 *
 * A denial of a resource the request named is counted and logged at INFO in Kafka's audit form
 * (kafka.authorizer.logger), once per principal, operation and resource a minute.
 */
export class RequestAuthorizer {
  private readonly authorizer: StandardAuthorizer;
  private readonly acls: () => AclsImage;
  private readonly log: Logger;
  private readonly clock: Clock;
  private readonly securityProtocolOf: (listenerName: string) => string;
  private readonly forwardedSessions = new WeakMap<RequestContext, Session>();
  private readonly lastLoggedMs = new Map<string, number>();
  private readonly denials: Record<string, number> = {};

  constructor(options: {
    config: StandardAuthorizerConfig;
    acls: () => AclsImage;
    log: Logger;
    clock: Clock;
    securityProtocolOf?: (listenerName: string) => string;
  }) {
    this.authorizer = new StandardAuthorizer(options.config);
    this.acls = options.acls;
    this.log = options.log;
    this.clock = options.clock;
    this.securityProtocolOf = options.securityProtocolOf ?? (() => "PLAINTEXT");
  }

  /** The broker's authorizer as server.properties configures it, or null for none (authorizer.class.name empty). */
  static fromConfig(
    config: BrokerConfig,
    acls: () => AclsImage,
    log: Logger,
    clock: Clock,
  ): RequestAuthorizer | null {
    if ((config.string("authorizer.class.name") ?? "") === "") return null;
    const superUsers = (config.string("super.users") ?? "")
      .split(";")
      .map((s) => s.trim())
      .filter((s) => s !== "");
    // Java's Boolean.parseBoolean: "true" in any case, anything else is false.
    const allowEveryoneIfNoAclFound =
      (config.string("allow.everyone.if.no.acl.found") ?? "").trim().toLowerCase() === "true";
    const authorizer = new RequestAuthorizer({
      config: { superUsers, allowEveryoneIfNoAclFound },
      acls,
      log,
      clock,
      securityProtocolOf: (name) => config.listenerSecurityProtocols.get(name) ?? "PLAINTEXT",
    });
    log.info(
      `set super.users=${superUsers.join(",")}, default result=${allowEveryoneIfNoAclFound ? "ALLOWED" : "DENIED"}`,
    );
    return authorizer;
  }

  /**
   * Whether the request's client may do `operation` on the literal resource. `logIfDenied` false
   * for resources the client did not name (an all-topics listing, a filter): not logged, not counted.
   */
  authorize(
    context: RequestContext,
    operation: number,
    resourceType: number,
    name: string,
    logIfDenied = true,
    refCount = 1,
  ): boolean {
    const session = this.sessionOf(context);
    const rule = this.authorizer.authorize(
      this.acls(),
      session.principal,
      session.hostAddress,
      operation,
      resourceType,
      name,
    );
    if (!rule.allowed && logIfDenied)
      this.denied(context, session, operation, resourceType, name, refCount, rule);
    return rule.allowed;
  }

  authorizeCluster(context: RequestContext, operation: number, logIfDenied = true): boolean {
    return this.authorize(context, operation, ResourceType.CLUSTER, CLUSTER_NAME, logIfDenied);
  }

  /**
   * Kafka's authorizeClusterOperation: throws CLUSTER_AUTHORIZATION_FAILED with Kafka's message
   * unless the client may do `operation` on the cluster; the handler's error response answers it.
   */
  requireCluster(context: RequestContext, operation: number): void {
    if (!this.authorizeCluster(context, operation))
      throw new KafkaError(ErrorCode.CLUSTER_AUTHORIZATION_FAILED, this.notAuthorizedMessage(context));
  }

  /**
   * Throws the resource type's authorization error (GROUP_AUTHORIZATION_FAILED, ...) unless the
   * client may do `operation` on the resource: for requests Kafka refuses whole with
   * `getErrorResponse(error.exception)`, which the handler's error response builds.
   */
  require(context: RequestContext, operation: number, resourceType: number, name: string): void {
    if (!this.authorize(context, operation, resourceType, name))
      throw new KafkaError(authorizationError(resourceType));
  }

  /** The names among `names` the client may do `operation` on (each authorized once, with its count). */
  filterAuthorized(
    context: RequestContext,
    operation: number,
    resourceType: number,
    names: Iterable<string>,
    logIfDenied = true,
  ): Set<string> {
    const counts = new Map<string, number>();
    for (const name of names) counts.set(name, (counts.get(name) ?? 0) + 1);
    const allowed = new Set<string>();
    for (const [name, count] of counts) {
      if (this.authorize(context, operation, resourceType, name, logIfDenied, count)) allowed.add(name);
    }
    return allowed;
  }

  /** The names among `names` the client may not do `operation` on, or null when it may do it on all. */
  deniedNames(
    context: RequestContext,
    operation: number,
    resourceType: number,
    names: Iterable<string>,
    logIfDenied = true,
  ): Set<string> | null {
    const all = [...names];
    const allowed = this.filterAuthorized(context, operation, resourceType, all, logIfDenied);
    const denied = new Set(all.filter((n) => !allowed.has(n)));
    return denied.size === 0 ? null : denied;
  }

  /** Kafka's authorizeByResourceType: `operation` on some resource of the type (an idempotent producer's WRITE on a topic). */
  authorizeByResourceType(context: RequestContext, operation: number, resourceType: number): boolean {
    const session = this.sessionOf(context);
    return this.authorizer.authorizeByResourceType(
      this.acls(),
      session.principal,
      session.hostAddress,
      operation,
      resourceType,
    );
  }

  /** KIP-430's bit field: the operations of the resource's type that the client may do on it. */
  authorizedOperations(context: RequestContext, resourceType: number, name: string): number {
    let bits = 0;
    for (const operation of supportedOperations(resourceType)) {
      if (this.authorize(context, operation, resourceType, name, false)) bits |= 1 << operation;
    }
    return bits;
  }

  /**
   * Kafka's ClusterAuthorizationException text for a request its AuthHelper refused outright:
   * `Request Request(processor=0, connectionId=..., session=Session(User:bob,/127.0.0.1), ...) is not authorized.`
   */
  notAuthorizedMessage(context: RequestContext): string {
    const session = this.sessionOf(context);
    const socket = context.connection.socket;
    const index = context.connection.id.slice(context.connection.id.lastIndexOf("-") + 1);
    const connectionId = `${socket.localAddress}:${socket.localPort}-${socket.remoteAddress}:${socket.remotePort}-${index}`;
    return (
      `Request Request(processor=0, connectionId=${connectionId}, session=Session(${userPrincipal(session.principal)},/${session.hostAddress}), ` +
      `listenerName=ListenerName(${context.listenerName}), securityProtocol=${this.securityProtocolOf(context.listenerName)}, buffer=null, envelope=None) is not authorized.`
    );
  }

  get stats(): AuthorizerStats {
    return { denialsByResourceType: { ...this.denials } };
  }

  /** The ACLs the authorizer reads now (the console's count). */
  get aclCount(): number {
    return this.acls().size;
  }

  /** Whether the request's connection may CLUSTER_ACTION (a broker's, as Kafka tells them). */
  allowsClusterAction(context: RequestContext): boolean {
    const connection = context.connection;
    return this.authorizer.authorize(
      this.acls(),
      connection.principal,
      connection.hostAddress,
      AclOperation.CLUSTER_ACTION,
      ResourceType.CLUSTER,
      CLUSTER_NAME,
    ).allowed;
  }

  private sessionOf(context: RequestContext): Session {
    const clientId = context.clientId;
    // The common case costs one prefix test: only Brook's inter-broker client ids start so.
    if (clientId === null || !clientId.startsWith("brook-broker-")) return context.connection;
    let session = this.forwardedSessions.get(context);
    if (session === undefined) {
      const client = forwardedClient(clientId);
      session = client !== null && this.allowsClusterAction(context) ? client : context.connection;
      this.forwardedSessions.set(context, session);
    }
    return session;
  }

  private denied(
    context: RequestContext,
    session: Session,
    operation: number,
    resourceType: number,
    name: string,
    refCount: number,
    rule: AuthorizationRule,
  ): void {
    const type = resourceTypeName(resourceType).toLowerCase();
    this.denials[type] = (this.denials[type] ?? 0) + 1;
    const key = `${session.principal}\u0000${operation}\u0000${resourceType}\u0000${name}`;
    const nowMs = this.clock.nowMs();
    const last = this.lastLoggedMs.get(key);
    if (last !== undefined && nowMs - last < AUDIT_LOG_INTERVAL_MS) return;
    if (this.lastLoggedMs.size >= AUDIT_KEYS_MAX) {
      let drop = AUDIT_KEYS_MAX / 2;
      for (const k of this.lastLoggedMs.keys()) {
        if (drop-- <= 0) break;
        this.lastLoggedMs.delete(k);
      }
    }
    this.lastLoggedMs.delete(key);
    this.lastLoggedMs.set(key, nowMs);
    this.log.info(
      `Principal = ${userPrincipal(session.principal)} is Denied operation = ${operationName(operation)} ` +
        `from host = ${session.hostAddress} on resource = ${pascalCase(resourceTypeName(resourceType))}:LITERAL:${name} ` +
        `for request = ${apiSpec(context.apiKey)?.name ?? context.apiKey} with resourceRefCount = ${refCount} ` +
        `based on rule ${rule.describe()}`,
    );
  }
}

/**
 * The topics of a request the client may not do `operation` on (each named once, its count for
 * the audit line), or null when it may on all of them or there is no authorizer.
 */
export function deniedTopics(
  authorizer: RequestAuthorizer | null,
  context: RequestContext,
  operation: number,
  topics: readonly { readonly name: string }[],
): Set<string> | null {
  if (authorizer === null) return null;
  return authorizer.deniedNames(
    context,
    operation,
    ResourceType.TOPIC,
    topics.map((t) => t.name),
  );
}

/** The error that tells a client it may not use a resource of this type (Kafka's AclEntry.authorizationError). */
export function authorizationError(resourceType: number): number {
  switch (resourceType) {
    case ResourceType.TOPIC:
      return ErrorCode.TOPIC_AUTHORIZATION_FAILED;
    case ResourceType.GROUP:
      return ErrorCode.GROUP_AUTHORIZATION_FAILED;
    case ResourceType.TRANSACTIONAL_ID:
      return ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED;
    case ResourceType.DELEGATION_TOKEN:
      return ErrorCode.DELEGATION_TOKEN_AUTHORIZATION_FAILED;
    default:
      return ErrorCode.CLUSTER_AUTHORIZATION_FAILED;
  }
}
