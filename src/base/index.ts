export { AssertionError, assert, unreachable } from "./assert.js";
export { type Clock, ManualClock, systemClock } from "./clock.js";
export { BrookError, ConfigError } from "./errors.js";
export { SeededRandom } from "./random.js";
