/** A coordinator (of groups or of transactions) cannot answer now, starting or loading: the console says 503. */
export class CoordinatorUnavailableError extends Error {
  readonly errorCode: number;
  constructor(coordinator: "group" | "transaction", errorCode: number) {
    super(`the ${coordinator} coordinator cannot answer now (Kafka error code ${errorCode})`);
    this.name = "CoordinatorUnavailableError";
    this.errorCode = errorCode;
  }
}
