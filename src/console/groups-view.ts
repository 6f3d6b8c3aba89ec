import type {
  DescribedConsumerGroup,
  DescribedGroup,
  ListGroupsRequest,
  ListGroupsResponse,
  OffsetFetchRequestGroup,
  OffsetFetchResponseGroup,
} from "../coordinator/index.js";

/**
 * What the console reads about consumer groups: the read-only slice of the group coordinator.
 * `GroupCoordinatorRuntime` has exactly these methods, so the server passes the broker's runtime
 * as it is; tests pass a fake. Without one, the group endpoints answer an empty list (404 for one
 * group) and the group metrics are left out.
 */
export interface GroupsView {
  listGroups(request: ListGroupsRequest): Promise<ListGroupsResponse>;
  describeGroups(groupIds: readonly string[]): Promise<DescribedGroup[]>;
  /** `topics: null` asks for every committed offset of the group. */
  fetchOffsets(groups: readonly OffsetFetchRequestGroup[]): Promise<OffsetFetchResponseGroup[]>;
  /** KIP-848 consumer groups (DescribeGroups has them Dead); optional for fakes without them. */
  describeConsumerGroups?(groupIds: readonly string[]): Promise<DescribedConsumerGroup[]>;
}
