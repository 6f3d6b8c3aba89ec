/**
 * A request the console answers with an HTTP error status and a message for the user: bad query
 * parameters (400), something that does not exist (404), data this node does not hold (409, 503).
 * `details` are extra fields of the JSON answer (e.g. which broker leads a partition), so that a
 * script can act on them without parsing the message.
 */
export class ConsoleRequestError extends Error {
  readonly status: number;
  readonly details: Readonly<Record<string, unknown>>;
  readonly headers: Readonly<Record<string, string>> | undefined;

  constructor(
    status: number,
    message: string,
    details: Record<string, unknown> = {},
    headers?: Record<string, string>,
  ) {
    super(message);
    this.name = "ConsoleRequestError";
    this.status = status;
    this.details = details;
    this.headers = headers;
  }
}
