import { isConnectionFailure } from "../../client/index.js";
import { ErrorCode, errorCodeInfo, KafkaError } from "../../protocol/index.js";

/**
 * Kafka's exception class for each error code (its Errors table), for what its tools
 * print: a failure as Java's Throwable.toString, `org.apache.kafka.common.errors.
 * UnknownTopicOrPartitionException: This server does not host this topic-partition.`, and a log
 * dir's error by its class name. Names without a package are in org.apache.kafka.common.errors.
 */
const CLASS_NAMES: ReadonlyMap<number, string> = new Map([
  [-1, "UnknownServerException"],
  [1, "OffsetOutOfRangeException"],
  [2, "CorruptRecordException"],
  [3, "UnknownTopicOrPartitionException"],
  [4, "InvalidFetchSizeException"],
  [5, "LeaderNotAvailableException"],
  [6, "NotLeaderOrFollowerException"],
  [7, "TimeoutException"],
  [8, "BrokerNotAvailableException"],
  [9, "ReplicaNotAvailableException"],
  [10, "RecordTooLargeException"],
  [11, "ControllerMovedException"],
  [12, "OffsetMetadataTooLarge"],
  [13, "NetworkException"],
  [14, "CoordinatorLoadInProgressException"],
  [15, "CoordinatorNotAvailableException"],
  [16, "NotCoordinatorException"],
  [17, "InvalidTopicException"],
  [18, "RecordBatchTooLargeException"],
  [19, "NotEnoughReplicasException"],
  [20, "NotEnoughReplicasAfterAppendException"],
  [21, "InvalidRequiredAcksException"],
  [22, "IllegalGenerationException"],
  [23, "InconsistentGroupProtocolException"],
  [24, "InvalidGroupIdException"],
  [25, "UnknownMemberIdException"],
  [26, "InvalidSessionTimeoutException"],
  [27, "RebalanceInProgressException"],
  [28, "InvalidCommitOffsetSizeException"],
  [29, "TopicAuthorizationException"],
  [30, "GroupAuthorizationException"],
  [31, "ClusterAuthorizationException"],
  [32, "InvalidTimestampException"],
  [33, "UnsupportedSaslMechanismException"],
  [34, "IllegalSaslStateException"],
  [35, "UnsupportedVersionException"],
  [36, "TopicExistsException"],
  [37, "InvalidPartitionsException"],
  [38, "InvalidReplicationFactorException"],
  [39, "InvalidReplicaAssignmentException"],
  [40, "InvalidConfigurationException"],
  [41, "NotControllerException"],
  [42, "InvalidRequestException"],
  [43, "UnsupportedForMessageFormatException"],
  [44, "PolicyViolationException"],
  [45, "OutOfOrderSequenceException"],
  [46, "DuplicateSequenceException"],
  [47, "InvalidProducerEpochException"],
  [48, "InvalidTxnStateException"],
  [49, "InvalidPidMappingException"],
  [50, "InvalidTxnTimeoutException"],
  [51, "ConcurrentTransactionsException"],
  [52, "TransactionCoordinatorFencedException"],
  [53, "TransactionalIdAuthorizationException"],
  [54, "SecurityDisabledException"],
  [55, "OperationNotAttemptedException"],
  [56, "KafkaStorageException"],
  [57, "LogDirNotFoundException"],
  [58, "SaslAuthenticationException"],
  [59, "UnknownProducerIdException"],
  [60, "ReassignmentInProgressException"],
  [61, "DelegationTokenDisabledException"],
  [62, "DelegationTokenNotFoundException"],
  [63, "DelegationTokenOwnerMismatchException"],
  [64, "UnsupportedByAuthenticationException"],
  [65, "DelegationTokenAuthorizationException"],
  [66, "DelegationTokenExpiredException"],
  [67, "InvalidPrincipalTypeException"],
  [68, "GroupNotEmptyException"],
  [69, "GroupIdNotFoundException"],
  [70, "FetchSessionIdNotFoundException"],
  [71, "InvalidFetchSessionEpochException"],
  [72, "ListenerNotFoundException"],
  [73, "TopicDeletionDisabledException"],
  [74, "FencedLeaderEpochException"],
  [75, "UnknownLeaderEpochException"],
  [76, "UnsupportedCompressionTypeException"],
  [77, "StaleBrokerEpochException"],
  [78, "OffsetNotAvailableException"],
  [79, "MemberIdRequiredException"],
  [80, "PreferredLeaderNotAvailableException"],
  [81, "GroupMaxSizeReachedException"],
  [82, "FencedInstanceIdException"],
  [83, "EligibleLeadersNotAvailableException"],
  [84, "ElectionNotNeededException"],
  [85, "NoReassignmentInProgressException"],
  [86, "GroupSubscribedToTopicException"],
  [87, "org.apache.kafka.common.InvalidRecordException"],
  [88, "UnstableOffsetCommitException"],
  [89, "ThrottlingQuotaExceededException"],
  [90, "ProducerFencedException"],
  [91, "ResourceNotFoundException"],
  [92, "DuplicateResourceException"],
  [93, "UnacceptableCredentialException"],
  [94, "InconsistentVoterSetException"],
  [95, "InvalidUpdateVersionException"],
  [96, "FeatureUpdateFailedException"],
  [97, "PrincipalDeserializationException"],
  [98, "SnapshotNotFoundException"],
  [100, "UnknownTopicIdException"],
  [101, "DuplicateBrokerRegistrationException"],
  [102, "BrokerIdNotRegisteredException"],
  [103, "InconsistentTopicIdException"],
  [104, "InconsistentClusterIdException"],
  [105, "TransactionalIdNotFoundException"],
  [106, "FetchSessionTopicIdException"],
  [107, "IneligibleReplicaException"],
  [108, "NewLeaderElectedException"],
  [109, "OffsetMovedToTieredStorageException"],
  [110, "FencedMemberEpochException"],
  [111, "UnreleasedInstanceIdException"],
  [112, "UnsupportedAssignorException"],
  [113, "StaleMemberEpochException"],
  [114, "MismatchedEndpointTypeException"],
  [115, "UnsupportedEndpointTypeException"],
  [116, "UnknownControllerIdException"],
  [117, "UnknownSubscriptionIdException"],
  [118, "TelemetryTooLargeException"],
  [119, "InvalidRegistrationException"],
  [120, "TransactionAbortableException"],
  [121, "InvalidRecordStateException"],
  [122, "ShareSessionNotFoundException"],
  [123, "InvalidShareSessionEpochException"],
  [124, "FencedStateEpochException"],
  [125, "InvalidVoterKeyException"],
  [126, "DuplicateVoterException"],
  [127, "VoterNotFoundException"],
  [128, "InvalidRegularExpression"],
]);

const ERRORS_PACKAGE = "org.apache.kafka.common.errors.";

/** The code's exception class; a code Kafka does not know is its UNKNOWN_SERVER_ERROR, as Errors.forCode makes it. */
export function exceptionClassName(errorCode: number): string {
  const name = CLASS_NAMES.get(errorCode) ?? (CLASS_NAMES.get(ErrorCode.UNKNOWN_SERVER_ERROR) as string);
  return name.includes(".") ? name : `${ERRORS_PACKAGE}${name}`;
}

/** Throwable.toString of the code's exception: the class, then the message, Kafka's own when none is given. */
export function exceptionText(errorCode: number, message?: string | null): string {
  const known = errorCodeInfo.get(errorCode) ?? errorCodeInfo.get(ErrorCode.UNKNOWN_SERVER_ERROR);
  return `${exceptionClassName(errorCode)}: ${message ?? known?.message ?? ""}`;
}

/**
 * A failed admin call as a Kafka tool prints it (ExecutionException.getMessage, its cause's
 * toString): a broker's error by its exception, no connection within the timeout as Kafka's
 * TimeoutException, anything else by its message.
 */
export function failureText(error: unknown): string {
  if (error instanceof KafkaError) return exceptionText(error.errorCode, error.message);
  if (isConnectionFailure(error)) return exceptionText(ErrorCode.REQUEST_TIMED_OUT, error.message);
  return error instanceof Error ? error.message : String(error);
}
