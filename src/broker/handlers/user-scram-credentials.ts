import { alterScramCredentials } from "../../metadata/index.js";
import {
  AclOperation,
  type AlterUserScramCredentialsRequest,
  type AlterUserScramCredentialsResponseInput,
  ApiKey,
  CLUSTER_NAME,
  type DescribeUserScramCredentialsRequest,
  type DescribeUserScramCredentialsResponseInput,
  ErrorCode,
  ResourceType,
} from "../../protocol/index.js";
import { defineHandler } from "../api-handler.js";
import type { AuthorizerAccess, ControllerAccess, MetadataView } from "../handler-context.js";

/** AlterUserScramCredentials has no timeout of its own: a forward waits as long as Kafka's inter-broker requests. */
const FORWARD_TIMEOUT_MS = 30_000;

/**
 * AlterUserScramCredentials (v0): creates, replaces and deletes users' SCRAM credentials. As in
 * KRaft the request goes to the active controller, which checks each user with Kafka's messages
 * and commits UserScramCredential records; every broker authenticates from them.
 */
export function alterUserScramCredentialsHandler(broker: MetadataView & ControllerAccess & AuthorizerAccess) {
  return defineHandler<AlterUserScramCredentialsRequest, AlterUserScramCredentialsResponseInput>({
    apiKey: ApiKey.AlterUserScramCredentials,
    minVersion: 0,
    maxVersion: 0,
    async handle(request, context) {
      if (broker.forwarder.shouldForward(context))
        return broker.forwarder.forward<AlterUserScramCredentialsResponseInput>(
          context,
          request,
          FORWARD_TIMEOUT_MS,
        );
      broker.authorizer?.requireCluster(context, AclOperation.ALTER);
      if (request.deletions.length === 0 && request.upsertions.length === 0)
        return { throttleTimeMs: 0, results: [] };
      const results = await broker.decide("alter user SCRAM credentials", (image) =>
        toOutcome(alterScramCredentials(image.scramCredentials, request.deletions, request.upsertions)),
      );
      return { throttleTimeMs: 0, results };
    },
    errorResponse: (request, errorCode, _context, errorMessage) => ({
      throttleTimeMs: 0,
      results: [...new Set([...request.deletions, ...request.upsertions].map((a) => a.name))].map((user) => ({
        user,
        errorCode,
        errorMessage: errorMessage ?? null,
      })),
    }),
  });
}

function toOutcome(outcome: ReturnType<typeof alterScramCredentials>) {
  return { records: outcome.records, result: outcome.results.map((r) => ({ ...r })) };
}

/**
 * DescribeUserScramCredentials (v0): each user's mechanisms and iteration counts from the
 * metadata image (never salts or keys). Users named twice are DUPLICATE_RESOURCE, unknown ones
 * RESOURCE_NOT_FOUND, with Kafka's messages; no users named: every user with a credential.
 */
export function describeUserScramCredentialsHandler(broker: MetadataView & AuthorizerAccess) {
  return defineHandler<DescribeUserScramCredentialsRequest, DescribeUserScramCredentialsResponseInput>({
    apiKey: ApiKey.DescribeUserScramCredentials,
    minVersion: 0,
    maxVersion: 0,
    requestBytesBorrowed: true,
    handle(request, context) {
      broker.authorizer?.require(context, AclOperation.DESCRIBE, ResourceType.CLUSTER, CLUSTER_NAME);
      const credentials = broker.image.scramCredentials;
      const describe = (user: string) => {
        const byMechanism = credentials.get(user);
        if (byMechanism === undefined) {
          return {
            user,
            errorCode: ErrorCode.RESOURCE_NOT_FOUND,
            errorMessage: `Attempt to describe a user credential that does not exist: ${user}`,
            credentialInfos: [],
          };
        }
        return {
          user,
          errorCode: ErrorCode.NONE,
          errorMessage: null,
          credentialInfos: [...byMechanism]
            .sort(([a], [b]) => a - b)
            .map(([mechanism, c]) => ({ mechanism, iterations: c.iterations })),
        };
      };
      if (request.users === null || request.users.length === 0) {
        return {
          throttleTimeMs: 0,
          errorCode: ErrorCode.NONE,
          errorMessage: null,
          results: [...credentials.keys()].sort().map(describe),
        };
      }
      const counts = new Map<string, number>();
      for (const u of request.users) counts.set(u.name, (counts.get(u.name) ?? 0) + 1);
      return {
        throttleTimeMs: 0,
        errorCode: ErrorCode.NONE,
        errorMessage: null,
        results: [...counts].map(([user, n]) =>
          n > 1
            ? {
                user,
                errorCode: ErrorCode.DUPLICATE_RESOURCE,
                errorMessage: `Cannot describe SCRAM credentials for the same user twice in a single request: ${user}`,
                credentialInfos: [],
              }
            : describe(user),
        ),
      };
    },
    errorResponse: (_request, errorCode) => ({
      throttleTimeMs: 0,
      errorCode,
      errorMessage: null,
      results: [],
    }),
  });
}
