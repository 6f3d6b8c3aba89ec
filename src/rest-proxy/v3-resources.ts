import { ok, type ProxyReply, type ProxyRequest, type ProxyServices } from "./proxy-route.js";
import { restErrors } from "./rest-error.js";

/**
 * What every API v3 answer is built from (kafka-rest's Resource, ResourceCollection, UrlFactory
 * and CrnFactory): a resource has a `kind` and `metadata` with its `self` URL and its Confluent
 * resource name (`crn:///kafka=<cluster>/topic=<name>`, with kafka-rest's default empty
 * authority); a collection has `metadata.self` and `next: null` (no paging) and its `data`;
 * related resources are `{"related": url}`.
 */

export type Segment = string | number;

/** A URL under the proxy's base: each segment URL-encoded. */
export function v3Url(request: ProxyRequest, ...segments: Segment[]): string {
  return `${request.baseUrl}/v3/${segments.map((s) => encodeURIComponent(String(s))).join("/")}`;
}

/** A Confluent resource name from type and id pairs (an id of null: the type alone). */
function crn(components: readonly (Segment | null)[]): string {
  const parts: string[] = [];
  for (let i = 0; i < components.length; i += 2) {
    const id = components[i + 1];
    parts.push(id === null || id === undefined ? String(components[i]) : `${components[i]}=${id}`);
  }
  return `crn:///${parts.join("/")}`;
}

/** What every v3 resource starts with; each of kafka-rest's kinds names its cluster next. */
export interface V3Resource {
  kind: string;
  metadata: { self: string; resource_name: string };
  cluster_id: string;
}

/** The links of one request's answers about one cluster: URLs under `/v3/clusters/<id>`, names under `kafka=<id>`. */
export class V3Links {
  readonly clusterId: string;
  private readonly request: ProxyRequest;

  constructor(request: ProxyRequest, clusterId: string) {
    this.request = request;
    this.clusterId = clusterId;
  }

  url(...segments: Segment[]): string {
    return v3Url(this.request, "clusters", this.clusterId, ...segments);
  }

  related(...segments: Segment[]): { related: string } {
    return { related: this.url(...segments) };
  }

  /**
   * `kind`, `metadata` (self at `segments`, the resource name from type and id pairs after
   * `kafka=<cluster>`) and `cluster_id`.
   */
  resource(kind: string, segments: readonly Segment[], names: readonly (Segment | null)[]): V3Resource {
    return {
      kind,
      metadata: { self: this.url(...segments), resource_name: crn(["kafka", this.clusterId, ...names]) },
      cluster_id: this.clusterId,
    };
  }

  /** A collection answer: `kind`, `metadata.self` at `segments`, `next: null`, the data. */
  list(kind: string, segments: readonly Segment[], data: readonly unknown[]): ProxyReply {
    return ok({ kind, metadata: { self: this.url(...segments), next: null }, data });
  }
}

/**
 * The links for the cluster of the path, which must be this proxy's cluster (404 with kafka-rest's
 * message, whose wording differs between its resources).
 */
export function v3Links(
  request: ProxyRequest,
  services: ProxyServices,
  wording = "cannot be found",
): V3Links {
  const clusterId = request.params["cluster"] as string;
  if (clusterId !== services.settings.clusterId)
    throw restErrors.notFound(`Cluster ${clusterId} ${wording}.`);
  return new V3Links(request, clusterId);
}

/** Java's Instant.toString: milliseconds only when there are some. */
export function instantText(ms: number): string {
  return new Date(ms).toISOString().replace(".000Z", "Z");
}
