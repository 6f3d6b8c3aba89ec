import { BrookError } from "../base/index.js";

/**
 * An error the Schema Registry REST API answers with: `errorCode` is Confluent's code
 * (`40401`, `42201`, ...) and the HTTP status is its first three digits, except the legacy
 * incompatible-schema code `409`. Clients branch on `errorCode`, so each factory below is the
 * one place a code is chosen.
 */
export class RegistryError extends BrookError {
  readonly errorCode: number;
  readonly httpStatus: number;

  constructor(errorCode: number, message: string, brookCode: string, options?: ErrorOptions) {
    super(brookCode, message, options);
    this.name = "RegistryError";
    this.errorCode = errorCode;
    this.httpStatus = errorCode < 1000 ? errorCode : Math.floor(errorCode / 100);
  }
}

const make = (errorCode: number, what: string) => (message: string, options?: ErrorOptions) =>
  new RegistryError(errorCode, message, `BRK_ERR_REGISTRY_${what}`, options);

export const registryErrors = {
  subjectNotFound: (subject: string) => make(40401, "SUBJECT_NOT_FOUND")(`Subject '${subject}' not found.`),
  versionNotFound: (version: number | string) =>
    make(40402, "VERSION_NOT_FOUND")(`Version ${version} not found.`),
  schemaNotFound: (detail = "Schema not found") => make(40403, "SCHEMA_NOT_FOUND")(detail),
  subjectSoftDeleted: (subject: string) =>
    make(
      40404,
      "SUBJECT_SOFT_DELETED",
    )(`Subject '${subject}' was soft deleted.Set permanent=true to delete permanently`),
  subjectNotSoftDeleted: (subject: string) =>
    make(
      40405,
      "SUBJECT_NOT_SOFT_DELETED",
    )(`Subject '${subject}' was not deleted first before being permanently deleted`),
  versionSoftDeleted: (subject: string, version: number) =>
    make(
      40406,
      "VERSION_SOFT_DELETED",
    )(`Subject '${subject}' Version ${version} was soft deleted.Set permanent=true to delete permanently`),
  versionNotSoftDeleted: (subject: string, version: number) =>
    make(
      40407,
      "VERSION_NOT_SOFT_DELETED",
    )(`Subject '${subject}' Version ${version} was not deleted first before being permanently deleted`),
  subjectConfigNotFound: (subject: string) =>
    make(
      40408,
      "CONFIG_NOT_FOUND",
    )(`Subject '${subject}' does not have subject-level compatibility configured`),
  subjectModeNotFound: (subject: string) =>
    make(40409, "MODE_NOT_FOUND")(`Subject '${subject}' does not have subject-level mode configured`),
  routeNotFound: () => make(404, "ROUTE_NOT_FOUND")("HTTP 404 Not Found"),
  methodNotAllowed: () => make(405, "METHOD_NOT_ALLOWED")("HTTP 405 Method Not Allowed"),
  incompatible: (message: string) => make(409, "INCOMPATIBLE_SCHEMA")(message),
  unsupportedMediaType: () => make(415, "UNSUPPORTED_MEDIA_TYPE")("HTTP 415 Unsupported Media Type"),
  notAcceptable: () => make(406, "NOT_ACCEPTABLE")("HTTP 406 Not Acceptable"),
  badRequest: (message: string) => make(400, "BAD_REQUEST")(message),
  bodyTooLarge: (limitBytes: number) =>
    make(413, "BODY_TOO_LARGE")(`Request body larger than ${limitBytes} bytes`),
  invalidSchema: (message: string, options?: ErrorOptions) => make(42201, "INVALID_SCHEMA")(message, options),
  invalidVersion: (version: string) =>
    make(
      42202,
      "INVALID_VERSION",
    )(
      `The specified version '${version}' is not a valid version id. Allowed values are between [1, 2^31-1] and the string "latest"`,
    ),
  invalidCompatibilityLevel: (level: string) =>
    make(
      42203,
      "INVALID_COMPATIBILITY_LEVEL",
    )(
      `Invalid compatibility level. Valid values are none, backward, forward, full, backward_transitive, forward_transitive, and full_transitive (got '${level}')`,
    ),
  invalidMode: (mode: string) =>
    make(
      42204,
      "INVALID_MODE",
    )(`Invalid mode. Valid values are READWRITE, READONLY, READONLY_OVERRIDE, IMPORT (got '${mode}')`),
  operationNotPermitted: (message: string) => make(42205, "OPERATION_NOT_PERMITTED")(message),
  referenceExists: (message: string) => make(42206, "REFERENCE_EXISTS")(message),
  idDoesNotMatch: (message: string) => make(42207, "ID_DOES_NOT_MATCH")(message),
  invalidSubject: (subject: string) =>
    make(42208, "INVALID_SUBJECT")(`Invalid subject ${JSON.stringify(subject)}`),
  contextNotEmpty: (context: string) =>
    make(42211, "CONTEXT_NOT_EMPTY")(`The specified context '${context}' is not empty.`),
  schemaTooLarge: (message: string) => make(42209, "SCHEMA_TOO_LARGE")(message),
  storeError: (message: string, options?: ErrorOptions) => make(50001, "STORE")(message, options),
  storeTimeout: (message: string) => make(50002, "STORE_TIMEOUT")(message),
  forwardingFailed: (detail: string, options?: ErrorOptions) =>
    make(50003, "FORWARDING")(`Error while forwarding the request to the leader: ${detail}`, options),
  unknownLeader: (detail: string) => make(50004, "UNKNOWN_LEADER")(`Unknown leader: ${detail}`),
  internal: (message: string, options?: ErrorOptions) => make(500, "INTERNAL")(message, options),
} as const;
