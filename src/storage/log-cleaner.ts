import type { Log } from "./log.js";
import type { StorageEnv } from "./storage-env.js";

export interface LogCleanResult {
  log: Log;
}

export class LogCleaner {
  private readonly env: StorageEnv;
  constructor(env: StorageEnv) {
    this.env = env;
  }
  abort(_log: Log): void {}
  abortAll(): void {}
  async cleanFilthiestLog(_logs: readonly Log[], _nowMs: number): Promise<LogCleanResult | null> {
    void this.env;
    return null;
  }
}
