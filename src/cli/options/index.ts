export { type AdminTool, type ParsedCommandLine, runAdminTool, type ToolIo } from "./admin-tool.js";
export {
  type ArgType,
  ArgumentParserError,
  type ArgumentSpec,
  type ArgValue,
  formatArgumentError,
  type ParseOutcome,
  type ParserSpec,
  parseArguments,
} from "./argparse.js";
export { type AdminSettings, adminSettings } from "./command-config.js";
export { consumerOptionsFrom, unusedConsumerProperties } from "./consumer-config.js";
export { CommandError, OptionsError, UsageError } from "./errors.js";
export { helpText, javaInt, type Notices, type OptionSpec, ParsedOptions, readTokens } from "./jopt.js";
export { type ProducerSettings, producerOptionsFrom } from "./producer-config.js";
export { keyValueArgs, readPropertiesFile } from "./properties.js";
export { prettyPrintTable } from "./table.js";
