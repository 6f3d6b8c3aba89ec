import { ConfigError } from "../base/index.js";

/** One `console.listeners` entry: where the console's HTTP server binds. */
export interface ConsoleListener {
  host: string;
  /** 0 picks a free port. */
  port: number;
}

/** Listeners one process may open for the console: a named limit, as on every list. */
export const CONSOLE_LISTENERS_MAX = 16;

/**
 * Parses `console.listeners` (`http://host:port`, comma-separated, as Confluent's `listeners`).
 * Only plain HTTP: TLS for the console is not implemented, so `https://` is refused rather than
 * silently served in the clear.
 */
export function parseConsoleListeners(entries: readonly string[]): ConsoleListener[] {
  if (entries.length === 0) throw new ConfigError("console.listeners must name at least one listener");
  if (entries.length > CONSOLE_LISTENERS_MAX)
    throw new ConfigError(`console.listeners names more than ${CONSOLE_LISTENERS_MAX} listeners`);
  return entries.map((entry) => {
    const match = /^([A-Za-z]+):\/\/(\[[^\]]*\]|[^:/]*):(\d{1,5})\/?$/.exec(entry.trim());
    if (match === null) throw new ConfigError(`console.listeners: '${entry}' is not http://host:port`);
    const [, scheme, rawHost, rawPort] = match as unknown as [string, string, string, string];
    if (scheme.toLowerCase() !== "http")
      throw new ConfigError(`console.listeners: '${entry}': only http:// is supported`);
    const port = Number(rawPort);
    if (port > 65535) throw new ConfigError(`console.listeners: '${entry}': port out of range`);
    const host = rawHost.startsWith("[") ? rawHost.slice(1, -1) : rawHost;
    return { host, port };
  });
}

/** The URL a browser uses for a bound listener: a wildcard host is shown as localhost. */
export function listenerUrl(host: string, port: number): string {
  const shown = host === "" || host === "0.0.0.0" || host === "::" ? "localhost" : host;
  return `http://${shown.includes(":") ? `[${shown}]` : shown}:${port}`;
}
