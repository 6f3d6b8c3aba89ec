import type { AnyApiHandler } from "../api-handler.js";
import type { Broker } from "../broker.js";
import { apiVersionsHandler } from "./api-versions.js";
import { createPartitionsHandler } from "./create-partitions.js";
import { createTopicsHandler } from "./create-topics.js";
import { deleteTopicsHandler } from "./delete-topics.js";
import { describeClusterHandler } from "./describe-cluster.js";
import { fetchHandler } from "./fetch.js";
import { listOffsetsHandler } from "./list-offsets.js";
import { metadataHandler } from "./metadata.js";
import { produceHandler } from "./produce.js";

/** Every API the broker serves; ApiVersions advertises exactly these. */
export function brokerHandlers(broker: Broker): AnyApiHandler[] {
  return [
    apiVersionsHandler(() => broker.dispatcher.advertisedVersions()),
    metadataHandler(broker),
    produceHandler(broker),
    fetchHandler(broker),
    listOffsetsHandler(broker),
    createTopicsHandler(broker),
    deleteTopicsHandler(broker),
    createPartitionsHandler(broker),
    describeClusterHandler(broker),
  ];
}
