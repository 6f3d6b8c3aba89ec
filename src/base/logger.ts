/**
 * Brook logs lines, not objects: `2026-11-26T23:03:13.123Z INFO [component] message`, to stderr,
 * so stdout stays free for tools that print data (console consumer, kcat-style output).
 */
export type LogLevel = "debug" | "info" | "warn" | "error";

export interface Logger {
  debug(message: string): void;
  info(message: string): void;
  warn(message: string): void;
  error(message: string): void;
  child(component: string): Logger;
}

const LEVEL_ORDER: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

export function createLogger(
  options: { level?: LogLevel; component?: string; write?: (line: string) => void } = {},
): Logger {
  const threshold = LEVEL_ORDER[options.level ?? "info"];
  const write = options.write ?? ((line: string) => process.stderr.write(`${line}\n`));
  const make = (component: string | undefined): Logger => {
    const emit = (level: LogLevel, message: string) => {
      if (LEVEL_ORDER[level] < threshold) return;
      const where = component === undefined ? "" : ` [${component}]`;
      write(`${new Date().toISOString()} ${level.toUpperCase()}${where} ${message}`);
    };
    return {
      debug: (m) => emit("debug", m),
      info: (m) => emit("info", m),
      warn: (m) => emit("warn", m),
      error: (m) => emit("error", m),
      child: (c) => make(component === undefined ? c : `${component}/${c}`),
    };
  };
  return make(options.component);
}

export const silentLogger: Logger = {
  debug: () => {},
  info: () => {},
  warn: () => {},
  error: () => {},
  child: () => silentLogger,
};

export function describeError(error: unknown): string {
  if (error instanceof Error) return `${error.name}: ${error.message}`;
  return String(error);
}
