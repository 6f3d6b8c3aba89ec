/**
 * The root of Brook's typed errors. Every error Brook raises on purpose carries a stable `code`
 * (`BRK_ERR_<AREA>_<WHAT>`, documented in docs/errors.md) so that callers branch on codes, not on
 * messages. The brand makes `instanceof` work across duplicated copies of the package.
 */
const brand = Symbol.for("brook.error");

export class BrookError extends Error {
  readonly code: string;

  constructor(code: string, message: string, options?: ErrorOptions) {
    super(message, options);
    this.code = code;
    this.name = "BrookError";
  }

  get [brand](): true {
    return true;
  }

  // `this` is the class `instanceof` was asked about: subclasses keep the ordinary prototype check.
  static override [Symbol.hasInstance](value: unknown): boolean {
    if (this === BrookError) {
      return (
        typeof value === "object" && value !== null && (value as Record<symbol, unknown>)[brand] === true
      );
    }
    return Function.prototype[Symbol.hasInstance].call(this, value);
  }
}

/** Raised when a configuration value is missing or invalid; the CLI prints it and exits with 2. */
export class ConfigError extends BrookError {
  constructor(message: string, options?: ErrorOptions) {
    super("BRK_ERR_CONFIG_INVALID", message, options);
    this.name = "ConfigError";
  }
}
