import { checkCompatibility } from "./compatibility-routes.js";
import { deleteConfig, deleteMode, getConfig, getMode, putConfig, putMode } from "./config-routes.js";
import { deleteContext, listContexts } from "./context-routes.js";
import type { RestHandler, RestRoute } from "./rest-types.js";
import { Router } from "./router.js";
import {
  getSchemaById,
  getSchemaTextById,
  getSubjectsById,
  getVersionsById,
  listSchemas,
  schemaTypes,
} from "./schema-routes.js";
import {
  deleteSubject,
  deleteVersion,
  getLatestWithMetadata,
  getReferencedBy,
  getVersion,
  getVersionSchema,
  listSubjects,
  listVersions,
  lookupSchema,
  registerSchema,
} from "./subject-routes.js";

/** Version reported by `/v1/metadata/version`: the Confluent release whose behaviour is followed. */
export const COMPATIBLE_CONFLUENT_VERSION = "7.6.0";

const read = (handler: RestHandler): RestRoute => ({ handler, writes: false });
const write = (handler: RestHandler): RestRoute => ({ handler, writes: true });

/**
 * Every endpoint the registry serves. The writes are registration and every PUT and DELETE;
 * lookups (`POST /subjects/{s}`) and compatibility checks only read.
 */
export function registryRoutes(clusterId: string): Router<RestRoute> {
  return new Router<RestRoute>()
    .add(
      "GET",
      "/",
      read(() => ({ json: {} })),
    )
    .add("GET", "/schemas/types", read(schemaTypes))
    .add("GET", "/schemas", read(listSchemas))
    .add("GET", "/schemas/ids/:id", read(getSchemaById))
    .add("GET", "/schemas/ids/:id/schema", read(getSchemaTextById))
    .add("GET", "/schemas/ids/:id/subjects", read(getSubjectsById))
    .add("GET", "/schemas/ids/:id/versions", read(getVersionsById))
    .add("GET", "/subjects", read(listSubjects))
    .add("POST", "/subjects/:subject", read(lookupSchema))
    .add("DELETE", "/subjects/:subject", write(deleteSubject))
    .add("GET", "/subjects/:subject/versions", read(listVersions))
    .add("GET", "/subjects/:subject/metadata", read(getLatestWithMetadata))
    .add("POST", "/subjects/:subject/versions", write(registerSchema))
    .add("GET", "/subjects/:subject/versions/:version", read(getVersion))
    .add("DELETE", "/subjects/:subject/versions/:version", write(deleteVersion))
    .add("GET", "/subjects/:subject/versions/:version/schema", read(getVersionSchema))
    .add("GET", "/subjects/:subject/versions/:version/referencedby", read(getReferencedBy))
    .add("POST", "/compatibility/subjects/:subject/versions", read(checkCompatibility))
    .add("POST", "/compatibility/subjects/:subject/versions/:version", read(checkCompatibility))
    .add("GET", "/config", read(getConfig))
    .add("PUT", "/config", write(putConfig))
    .add("DELETE", "/config", write(deleteConfig))
    .add("GET", "/config/:subject", read(getConfig))
    .add("PUT", "/config/:subject", write(putConfig))
    .add("DELETE", "/config/:subject", write(deleteConfig))
    .add("GET", "/mode", read(getMode))
    .add("PUT", "/mode", write(putMode))
    .add("DELETE", "/mode", write(deleteMode))
    .add("GET", "/mode/:subject", read(getMode))
    .add("PUT", "/mode/:subject", write(putMode))
    .add("DELETE", "/mode/:subject", write(deleteMode))
    .add("GET", "/contexts", read(listContexts))
    .add("DELETE", "/contexts/:context", write(deleteContext))
    .add(
      "GET",
      "/v1/metadata/id",
      read(() => ({
        json: {
          scope: {
            path: [],
            clusters: { "kafka-cluster": clusterId, "schema-registry-cluster": "schema-registry" },
          },
          id: "",
        },
      })),
    )
    .add(
      "GET",
      "/v1/metadata/version",
      read(() => ({ json: { version: COMPATIBLE_CONFLUENT_VERSION, commitId: "brook" } })),
    );
}
