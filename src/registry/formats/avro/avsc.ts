import { createRequire } from "node:module";
import type avro from "avsc";

const require = createRequire(import.meta.url);
let loaded: typeof avro | undefined;

/** avsc, loaded by the first Avro schema: ~2 MB of resident memory a registry without Avro never pays. */
export function avsc(): typeof avro {
  loaded ??= require("avsc") as typeof avro;
  return loaded;
}
