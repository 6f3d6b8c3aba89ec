export {
  type AdminTool,
  checkInvalidArgs,
  type ParsedCommandLine,
  parseSimpleCommandLine,
  runAdminTool,
  type ToolIo,
} from "./admin-tool.js";
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
export { type AdminSettings, type AdminTimeouts, adminSettings } from "./command-config.js";
export { consumerOptionsFrom, unusedConsumerProperties } from "./consumer-config.js";
export { CommandError, OptionsError, UsageError } from "./errors.js";
export {
  javaCopyCapacity,
  javaHashOrder,
  javaStringHash,
  topicPartitionHash,
} from "./java-order.js";
export {
  CONVERSION_EXCEPTION,
  helpText,
  javaInt,
  lineSegments,
  type Notices,
  type OptionSpec,
  ParsedOptions,
  readTokens,
} from "./jopt.js";
export { exceptionClassName, exceptionText, failureText } from "./kafka-exceptions.js";
export {
  asArray,
  asObject,
  field,
  JsonMappingError,
  type JsonNode,
  jsonText,
  parseJson,
  stringText,
  toInt,
  toLong,
  toText,
} from "./kafka-json.js";
export { type ProducerSettings, producerOptionsFrom } from "./producer-config.js";
export { JavaFileError, keyValueArgs, readFileAsString, readPropertiesFile } from "./properties.js";
export { prettyPrintTable } from "./table.js";
