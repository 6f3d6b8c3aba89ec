export { AssertionError, assert, unreachable } from "./assert.js";
export { BufferLease } from "./buffer-lease.js";
export { type Clock, ManualClock, systemClock } from "./clock.js";
export {
  atLeast,
  between,
  type ConfigKey,
  type ConfigProblem,
  type ConfigType,
  type ConfigValue,
  configValueProblem,
  formatConfigValue,
  invalidValueMessage,
  javaDoubleText,
  oneOf,
  type ParsedConfig,
  parseConfig,
  parseConfigValue,
} from "./config-def.js";
export {
  type Env,
  KillableTimers,
  seededEnv,
  systemEnv,
  systemTimers,
  type Timer,
  type Timers,
} from "./env.js";
export { BrookError, ConfigError } from "./errors.js";
export { groupBy } from "./group-by.js";
export { createLogger, describeError, type Logger, type LogLevel, silentLogger } from "./logger.js";
export { parseProperties } from "./properties.js";
export { SeededRandom } from "./random.js";
export {
  QuotaRate,
  quotaThrottleTimeMs,
  SampledStat,
  type SampledStatConfig,
} from "./sampled-rate.js";
export { tlsErrorText } from "./tls-error-text.js";
