import { AclOperation, operationName, pascalCase } from "../../protocol/index.js";
import type { OptionSpec } from "../options/index.js";

/*
 * The options of `brook acls`: kafka-acls.sh's (Kafka 4.0's AclCommandOptions, CommandDefaultOptions'
 * --help and --version), with their descriptions, `describedAs` and defaults as jopt-simple shows
 * them.
 */

export const HELP_MESSAGE = "This tool helps to manage acls on kafka.";

/**
 * The operations --operation names in its help: every AclOperation but UNKNOWN and ANY. Kafka
 * lists a HashSet of the enum, whose order changes from one JVM to the next; Brook lists them in
 * the enum's order.
 */
const OPERATION_NAMES = Object.values(AclOperation)
  .filter((code) => code !== AclOperation.UNKNOWN && code !== AclOperation.ANY)
  .map((code) => pascalCase(operationName(code)));

const string = (describedAs: string) => ({ type: "String", describedAs }) as const;
const BOOTSTRAP_DESCRIPTION =
  "A list of host/port pairs to use for establishing the connection to the Kafka cluster. This list should be in the form host1:port1,host2:port2,... This config is required for acl management using admin client API.";

export const OPTION_SPECS: readonly OptionSpec[] = [
  { name: "help", description: "Print usage information." },
  { name: "version", description: "Display Brook's version." },
  { name: "bootstrap-server", arg: string("server to connect to"), description: BOOTSTRAP_DESCRIPTION },
  {
    name: "bootstrap-controller",
    arg: string("controller to connect to"),
    description: BOOTSTRAP_DESCRIPTION,
  },
  {
    name: "command-config",
    arg: { ...string("command-config"), optional: true },
    description: "A property file containing configs to be passed to Admin Client.",
  },
  {
    name: "topic",
    arg: string("topic"),
    description:
      "topic to which ACLs should be added or removed. A value of '*' indicates ACL should apply to all topics.",
  },
  { name: "cluster", description: "Add/Remove cluster ACLs." },
  {
    name: "group",
    arg: string("group"),
    description:
      "Consumer Group to which the ACLs should be added or removed. A value of '*' indicates the ACLs should apply to all groups.",
  },
  {
    name: "transactional-id",
    arg: string("transactional-id"),
    description:
      "The transactionalId to which ACLs should be added or removed. A value of '*' indicates the ACLs should apply to all transactionalIds.",
  },
  {
    name: "idempotent",
    description:
      "Enable idempotence for the producer. This should be used in combination with the --producer option. Note that idempotence is enabled automatically if the producer is authorized to a particular transactional-id.",
  },
  {
    name: "delegation-token",
    arg: string("delegation-token"),
    description:
      "Delegation token to which ACLs should be added or removed. A value of '*' indicates ACL should apply to all tokens.",
  },
  {
    name: "resource-pattern-type",
    arg: { type: "ANY|MATCH|LITERAL|PREFIXED", describedAs: "" },
    description:
      "The type of the resource pattern or pattern filter. When adding acls, this should be a specific pattern type, e.g. 'literal' or 'prefixed'. When listing or removing acls, a specific pattern type can be used to list or remove acls from specific resource patterns, or use the filter values of 'any' or 'match', where 'any' will match any pattern type, but will match the resource name exactly, where as 'match' will perform pattern matching to list or remove all acls that affect the supplied resource(s). WARNING: 'match', when used in combination with the '--remove' switch, should be used with care. (default: LITERAL)",
  },
  { name: "add", description: "Indicates you are trying to add ACLs." },
  { name: "remove", description: "Indicates you are trying to remove ACLs." },
  {
    name: "list",
    description:
      "List ACLs for the specified resource, use --topic <topic> or --group <group> or --cluster to specify a resource.",
  },
  {
    name: "operation",
    arg: { type: "String", describedAs: "" },
    description: `Operation that is being allowed or denied. Valid operation names are: \n${OPERATION_NAMES.map((n) => `\t${n}`).join("\n")}\n (default: All)`,
  },
  {
    name: "allow-principal",
    arg: string("allow-principal"),
    description:
      "principal is in principalType:name format. Note that principalType must be supported by the Authorizer being used. For example, User:'*' is the wild card indicating all users.",
  },
  {
    name: "deny-principal",
    arg: string("deny-principal"),
    description:
      "principal is in principalType:name format. By default anyone not added through --allow-principal is denied access. You only need to use this option as negation to already allowed set. Note that principalType must be supported by the Authorizer being used. For example if you wanted to allow access to all users in the system but not test-user you can define an ACL that allows access to User:'*' and specify --deny-principal=User:test@EXAMPLE.COM. AND PLEASE REMEMBER DENY RULES TAKES PRECEDENCE OVER ALLOW RULES.",
  },
  {
    name: "principal",
    arg: { ...string("principal"), optional: true },
    description:
      "List ACLs for the specified principal. principal is in principalType:name format. Note that principalType must be supported by the Authorizer being used. Multiple --principal option can be passed.",
  },
  {
    name: "allow-host",
    arg: string("allow-host"),
    description:
      "Host from which principals listed in --allow-principal will have access. If you have specified --allow-principal then the default for this option will be set to '*' which allows access from all hosts.",
  },
  {
    name: "deny-host",
    arg: string("deny-host"),
    description:
      "Host from which principals listed in --deny-principal will be denied access. If you have specified --deny-principal then the default for this option will be set to '*' which denies access from all hosts.",
  },
  {
    name: "producer",
    description:
      "Convenience option to add/remove ACLs for producer role. This will generate ACLs that allows WRITE,DESCRIBE and CREATE on topic.",
  },
  {
    name: "consumer",
    description:
      "Convenience option to add/remove ACLs for consumer role. This will generate ACLs that allows READ,DESCRIBE on topic and READ on group.",
  },
  { name: "force", description: "Assume Yes to all queries and do not prompt." },
  {
    name: "user-principal",
    arg: string("user-principal"),
    description:
      "Specifies a user principal as a resource in relation with the operation. For instance one could grant CreateTokens or DescribeTokens permission on a given user principal.",
  },
];

export const SPECS_BY_NAME: ReadonlyMap<string, OptionSpec> = new Map(OPTION_SPECS.map((s) => [s.name, s]));
