import { ErrorCode } from "../protocol/index.js";

/** A coordinator runtime's life: answering only while "active". */
export type CoordinatorLifecycle = "starting" | "active" | "closed";

/**
 * Kafka's answer for a request routed to a coordinator partition, the same for groups and
 * transactions: not started or shut down, COORDINATOR_NOT_AVAILABLE; a partition this broker does
 * not lead, NOT_COORDINATOR; one still loading, COORDINATOR_LOAD_IN_PROGRESS.
 */
export function routeToPartition<C extends { status: "loading" | "active" }>(
  lifecycle: CoordinatorLifecycle,
  ctx: C | undefined,
): { ctx: C | undefined; errorCode: number } {
  if (lifecycle !== "active") return { ctx: undefined, errorCode: ErrorCode.COORDINATOR_NOT_AVAILABLE };
  if (ctx === undefined) return { ctx: undefined, errorCode: ErrorCode.NOT_COORDINATOR };
  if (ctx.status === "loading") return { ctx: undefined, errorCode: ErrorCode.COORDINATOR_LOAD_IN_PROGRESS };
  return { ctx, errorCode: ErrorCode.NONE };
}
