import { createRequire } from "node:module";
import type protobuf from "protobufjs";
import type descriptorModule from "protobufjs/ext/descriptor/index.js";

const require = createRequire(import.meta.url);
let loaded: typeof protobuf | undefined;

/**
 * protobufjs, loaded by the first Protobuf schema or record that needs it: loading it costs ~8 MB of
 * resident memory, which a broker whose registry never sees a Protobuf schema should not carry.
 */
export function protobufjs(): typeof protobuf {
  loaded ??= require("protobufjs") as typeof protobuf;
  return loaded;
}

let descriptors: typeof descriptorModule | undefined;

/** protobufjs's descriptor.proto types (FileDescriptorProto), loaded with protobufjs on first use. */
export function protobufDescriptors(): typeof descriptorModule {
  descriptors ??= require("protobufjs/ext/descriptor/index.js") as typeof descriptorModule;
  return descriptors;
}
