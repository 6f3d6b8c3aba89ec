import { checkCompatibility } from "./compatibility-routes.js";
import { deleteConfig, deleteMode, getConfig, getMode, putConfig, putMode } from "./config-routes.js";
import type { RestHandler } from "./rest-types.js";
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

/** Every endpoint the registry serves. */
export function registryRoutes(clusterId: string): Router<RestHandler> {
  return new Router<RestHandler>()
    .add("GET", "/", () => ({ json: {} }))
    .add("GET", "/schemas/types", schemaTypes)
    .add("GET", "/schemas", listSchemas)
    .add("GET", "/schemas/ids/:id", getSchemaById)
    .add("GET", "/schemas/ids/:id/schema", getSchemaTextById)
    .add("GET", "/schemas/ids/:id/subjects", getSubjectsById)
    .add("GET", "/schemas/ids/:id/versions", getVersionsById)
    .add("GET", "/subjects", listSubjects)
    .add("POST", "/subjects/:subject", lookupSchema)
    .add("DELETE", "/subjects/:subject", deleteSubject)
    .add("GET", "/subjects/:subject/versions", listVersions)
    .add("POST", "/subjects/:subject/versions", registerSchema)
    .add("GET", "/subjects/:subject/versions/:version", getVersion)
    .add("DELETE", "/subjects/:subject/versions/:version", deleteVersion)
    .add("GET", "/subjects/:subject/versions/:version/schema", getVersionSchema)
    .add("GET", "/subjects/:subject/versions/:version/referencedby", getReferencedBy)
    .add("POST", "/compatibility/subjects/:subject/versions", checkCompatibility)
    .add("POST", "/compatibility/subjects/:subject/versions/:version", checkCompatibility)
    .add("GET", "/config", getConfig)
    .add("PUT", "/config", putConfig)
    .add("DELETE", "/config", deleteConfig)
    .add("GET", "/config/:subject", getConfig)
    .add("PUT", "/config/:subject", putConfig)
    .add("DELETE", "/config/:subject", deleteConfig)
    .add("GET", "/mode", getMode)
    .add("PUT", "/mode", putMode)
    .add("DELETE", "/mode", deleteMode)
    .add("GET", "/mode/:subject", getMode)
    .add("PUT", "/mode/:subject", putMode)
    .add("DELETE", "/mode/:subject", deleteMode)
    .add("GET", "/contexts", () => ({ json: ["."] }))
    .add("GET", "/v1/metadata/id", () => ({
      json: {
        scope: {
          path: [],
          clusters: { "kafka-cluster": clusterId, "schema-registry-cluster": "schema-registry" },
        },
        id: "",
      },
    }))
    .add("GET", "/v1/metadata/version", () => ({
      json: { version: COMPATIBLE_CONFLUENT_VERSION, commitId: "brook" },
    }));
}
