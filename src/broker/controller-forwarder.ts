import { describeError, type Logger } from "../base/index.js";
import { BrokerConnections, type ClientSasl, type ClientTls, type KafkaConnection } from "../client/index.js";
import type { BrokerEndpoint, ControllerInfo } from "../metadata/index.js";
import { ErrorCode, KafkaError } from "../protocol/index.js";
import type { RequestContext } from "./api-handler.js";
import type { NodeMetadata } from "./node-metadata.js";

/** Client id of requests one Brook node sends another's controller: never forwarded again. */
const FORWARDED_CLIENT_ID_PREFIX = "brook-broker-";
/** Separates, in a forwarded client's request, the node, the client's address and its principal's name. */
const FORWARDED_FIELD_SEPARATOR = ";";
/**
 * While no controller is named (an election), a forward looks again at every change of the active
 * controller and at least this often (this node may take office without the name changing).
 */
const CONTROLLER_WAIT_STEP_MS = 50;
/** A forward that has waited this long for a controller to answer says so (once). */
const CONTROLLER_WAIT_LOG_MS = 5000;

/**
 * Sends cluster changes to the active controller when this node is not it (KIP-590's
 * forwarding, without the envelope: the same request, re-encoded, on the controller's listener).
 * The answer is the controller's, returned once this node's image has caught up with what was
 * committed, so a client that sees success here can use the result here at once.
 *
 * A request that arrives forwarded (its client id says so) is never forwarded again: a node that
 * thinks another is the controller while that one thinks otherwise answers NOT_CONTROLLER, and
 * the sender (a client, or a broker's own request) retries after the election settles.
 *
 * A client's request carries who sent it, as KIP-590's envelope carries the principal and the
 * client's address: in its client id, `brook-broker-<node>;<address>;<user>`. The controller
 * authorizes it as that client, provided the connection it came on is a broker's (its principal
 * may CLUSTER_ACTION, as Kafka requires of an envelope's sender; request-authorizer.ts). The
 * broker's own requests (`brook-broker-<node>`) are authorized as the broker.
 */
export class ControllerForwarder {
  private readonly metadata: NodeMetadata;
  private readonly log: Logger;
  private readonly connections: BrokerConnections;
  private readonly clientId: string;
  private readonly tlsOf: (endPoint: BrokerEndpoint) => ClientTls | undefined;
  private readonly saslOf: (endPoint: BrokerEndpoint) => ClientSasl | undefined;

  constructor(options: {
    nodeId: number;
    metadata: NodeMetadata;
    log: Logger;
    requestTimeoutMs: number;
    /** TLS for the controller's endpoint (an SSL listener), or undefined for plaintext. */
    tlsOf?: (endPoint: BrokerEndpoint) => ClientTls | undefined;
    /** SASL for the controller's endpoint when its listener is SASL_*. */
    saslOf?: (endPoint: BrokerEndpoint) => ClientSasl | undefined;
  }) {
    this.metadata = options.metadata;
    this.tlsOf = options.tlsOf ?? (() => undefined);
    this.saslOf = options.saslOf ?? (() => undefined);
    this.log = options.log;
    this.clientId = `${FORWARDED_CLIENT_ID_PREFIX}${options.nodeId}`;
    this.connections = new BrokerConnections({
      clientId: this.clientId,
      requestTimeoutMs: options.requestTimeoutMs,
      connectTimeoutMs: Math.min(options.requestTimeoutMs, 10_000),
    });
  }

  /** true when the request must go to the controller: this node is not it, and it was not forwarded here. */
  shouldForward(context: RequestContext): boolean {
    return !this.metadata.isActiveController && !isForwarded(context);
  }

  /** Forwards a client's request as it came (same API and version), naming the client it came from. */
  forward<Res>(context: RequestContext, request: object, timeoutMs: number): Promise<Res> {
    const clientId = [this.clientId, context.connection.hostAddress, context.connection.principal].join(
      FORWARDED_FIELD_SEPARATOR,
    );
    return this.send<Res>(context.apiKey, context.apiVersion, request, timeoutMs, clientId);
  }

  /**
   * Sends a request to the active controller and waits for this node's image to include what it
   * committed. Throws KafkaError(NOT_CONTROLLER) when no controller answers within `timeoutMs`.
   */
  async send<Res>(
    apiKey: number,
    apiVersion: number,
    request: object,
    timeoutMs: number,
    clientId: string = this.clientId,
  ): Promise<Res> {
    const deadline = performance.now() + timeoutMs;
    for (;;) {
      let controller = this.metadata.activeController;
      const waitingSince = performance.now();
      let waitLogged = false;
      // The store may name this very node while its controller is still taking office: wait for it.
      while (controller?.endPoint == null || controller.nodeId === this.metadata.nodeId) {
        if (this.metadata.isActiveController)
          throw new KafkaError(ErrorCode.NOT_CONTROLLER, "this node became the controller");
        if (performance.now() >= deadline)
          throw new KafkaError(ErrorCode.NOT_CONTROLLER, "no active controller");
        if (!waitLogged && performance.now() - waitingSince >= CONTROLLER_WAIT_LOG_MS) {
          waitLogged = true;
          this.log.warn(
            controller == null
              ? `a request for the controller has waited ${CONTROLLER_WAIT_LOG_MS} ms for one to be elected`
              : `a request for the controller has waited ${CONTROLLER_WAIT_LOG_MS} ms for this node, named controller, to take office`,
          );
        }
        await this.controllerChange(CONTROLLER_WAIT_STEP_MS);
        controller = this.metadata.activeController;
      }
      const endPoint = controller.endPoint;
      let response: Res;
      try {
        const connection = await this.connect(controller, endPoint);
        // A new controller was named while connecting to the old one (a crashed controller's
        // connection waits out the reconnect backoff, up to a second): nothing was sent, so the
        // request goes to the new one at once.
        if (connection === null) continue;
        response = await connection.request<Res>(apiKey, apiVersion, request, {
          timeoutMs: Math.max(1, deadline - performance.now()),
          clientId,
        });
      } catch (error) {
        this.log.warn(`forwarding to controller ${controller.nodeId} failed: ${describeError(error)}`);
        throw new KafkaError(
          ErrorCode.NOT_CONTROLLER,
          `the controller (node ${controller.nodeId}) did not answer`,
        );
      }
      await this.metadata.loader.catchUp().catch(() => {});
      return response;
    }
  }

  /** Resolves at the next change of the active controller, or after `maxWaitMs`. */
  private controllerChange(maxWaitMs: number): Promise<void> {
    return new Promise((resolve) => {
      let stop = () => {};
      const timer = setTimeout(() => {
        stop();
        resolve();
      }, maxWaitMs);
      timer.unref();
      stop = this.metadata.onControllerChange(() => {
        clearTimeout(timer);
        stop();
        resolve();
      });
    });
  }

  /** The connection to the controller's endpoint, or null once another controller is named first. */
  private connect(controller: ControllerInfo, endPoint: BrokerEndpoint): Promise<KafkaConnection | null> {
    return new Promise((resolve, reject) => {
      const stop = this.metadata.onControllerChange((c) => {
        if (c?.nodeId === controller.nodeId && sameEndpoint(c.endPoint, endPoint)) return;
        stop();
        resolve(null);
      });
      const ssl = this.tlsOf(endPoint);
      const sasl = this.saslOf(endPoint);
      const target = {
        host: endPoint.host,
        port: endPoint.port,
        ...(ssl === undefined ? {} : { ssl }),
        ...(sasl === undefined ? {} : { sasl }),
      };
      this.connections.connection(target, "controller").then(
        (connection) => {
          stop();
          resolve(connection);
        },
        (error: unknown) => {
          stop();
          reject(error);
        },
      );
    });
  }

  close(): void {
    void this.connections.close();
  }
}

function sameEndpoint(a: BrokerEndpoint | null, b: BrokerEndpoint): boolean {
  return a !== null && a.host === b.host && a.port === b.port;
}

export function isForwarded(context: RequestContext): boolean {
  return context.clientId?.startsWith(FORWARDED_CLIENT_ID_PREFIX) === true;
}

/** Who a forwarded client's request came from, or null for a broker's own request (or any other). */
export function forwardedClient(clientId: string | null): { hostAddress: string; principal: string } | null {
  if (clientId === null || !clientId.startsWith(FORWARDED_CLIENT_ID_PREFIX)) return null;
  const first = clientId.indexOf(FORWARDED_FIELD_SEPARATOR);
  const second = first < 0 ? -1 : clientId.indexOf(FORWARDED_FIELD_SEPARATOR, first + 1);
  if (second < 0) return null;
  // The principal's name comes last: it may hold the separator.
  return { hostAddress: clientId.slice(first + 1, second), principal: clientId.slice(second + 1) };
}
