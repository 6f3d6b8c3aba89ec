import { ConfigError } from "../../base/index.js";

/** One login module of a JAAS configuration, as Kafka's JaasConfig reads it. */
export interface JaasLoginModule {
  readonly loginModule: string;
  /** required, requisite, sufficient or optional (Kafka accepts any of them and uses none). */
  readonly controlFlag: string;
  readonly options: ReadonlyMap<string, string>;
}

export const PLAIN_LOGIN_MODULE = "org.apache.kafka.common.security.plain.PlainLoginModule";
export const SCRAM_LOGIN_MODULE = "org.apache.kafka.common.security.scram.ScramLoginModule";

const CONTROL_FLAGS = ["required", "requisite", "sufficient", "optional"];

/**
 * Parses a `sasl.jaas.config` value: `<LoginModuleClass> <flag> key=value ... ;`, values bare
 * words or double-quoted (backslash escapes inside quotes, as Java's StreamTokenizer reads them),
 * `//` and `/* *\/` comments skipped. `key` names the setting, for Kafka's messages. Kafka wants
 * exactly one module in such a value.
 */
export function parseJaasConfig(text: string, key = "sasl.jaas.config"): JaasLoginModule {
  const tokens = tokenize(text, key);
  const modules: JaasLoginModule[] = [];
  let i = 0;
  const next = (): Token | undefined => tokens[i++];
  while (i < tokens.length) {
    const name = next();
    if (name?.kind !== "word") throw invalid(key, "expected a login module class name");
    const flag = next();
    if (flag?.kind !== "word" || !CONTROL_FLAGS.includes(flag.text.toLowerCase())) {
      throw invalid(key, `invalid control flag ${flag?.text ?? "(none)"} for ${name.text}`);
    }
    const options = new Map<string, string>();
    for (;;) {
      const t = next();
      if (t === undefined) throw invalid(key, `the entry for ${name.text} does not end with ';'`);
      if (t.kind === ";") break;
      if (t.kind !== "word") throw invalid(key, `expected an option name, found ${t.text}`);
      if (next()?.kind !== "=") throw invalid(key, `option ${t.text} has no '=' and value`);
      const value = next();
      if (value === undefined || (value.kind !== "word" && value.kind !== "quoted")) {
        throw invalid(key, `option ${t.text} has no value`);
      }
      options.set(t.text, value.text);
    }
    modules.push({ loginModule: name.text, controlFlag: flag.text.toLowerCase(), options });
  }
  if (modules.length !== 1) {
    throw new ConfigError(
      `JAAS config property contains ${modules.length} login modules, should be 1 module`,
    );
  }
  return modules[0] as JaasLoginModule;
}

interface Token {
  kind: "word" | "quoted" | "=" | ";";
  text: string;
}

function invalid(key: string, why: string): ConfigError {
  return new ConfigError(`Invalid value for configuration ${key}: invalid JAAS configuration: ${why}`);
}

function tokenize(text: string, key: string): Token[] {
  const out: Token[] = [];
  let i = 0;
  while (i < text.length) {
    const c = text[i] as string;
    if (/\s/.test(c)) {
      i++;
    } else if (text.startsWith("//", i)) {
      const end = text.indexOf("\n", i);
      i = end < 0 ? text.length : end + 1;
    } else if (text.startsWith("/*", i)) {
      const end = text.indexOf("*/", i + 2);
      if (end < 0) throw invalid(key, "an unterminated comment");
      i = end + 2;
    } else if (c === "=" || c === ";") {
      out.push({ kind: c, text: c });
      i++;
    } else if (c === '"') {
      let value = "";
      i++;
      for (;;) {
        if (i >= text.length) throw invalid(key, "an unterminated quoted value");
        const d = text[i++] as string;
        if (d === '"') break;
        if (d === "\\" && i < text.length) {
          const e = text[i++] as string;
          value += e === "n" ? "\n" : e === "t" ? "\t" : e === "r" ? "\r" : e;
        } else {
          value += d;
        }
      }
      out.push({ kind: "quoted", text: value });
    } else {
      let end = i;
      while (end < text.length && !/[\s=;"]/.test(text[end] as string)) end++;
      out.push({ kind: "word", text: text.slice(i, end) });
      i = end;
    }
  }
  return out;
}

/** The users a PlainLoginModule entry defines for a broker: `user_<name>="<password>"` options. */
export function plainUsersOf(module: JaasLoginModule): Map<string, string> {
  const users = new Map<string, string>();
  for (const [name, value] of module.options) {
    if (name.startsWith("user_")) users.set(name.slice("user_".length), value);
  }
  return users;
}
