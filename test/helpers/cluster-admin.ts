import assert from "node:assert/strict";
import { AdminClient, type AdminClientOptions } from "../../src/client/index.js";

/**
 * An admin client bootstrapped on a node that is not the active controller (asked through
 * `admin`): what it changes is forwarded to the controller, so a test sees forwarding at work.
 */
export async function adminViaNonController(
  admin: AdminClient,
  options: Omit<AdminClientOptions, "bootstrap">,
): Promise<AdminClient> {
  const { controllerId, brokers } = await admin.describeCluster();
  const other = brokers.find((b) => b.nodeId !== controllerId);
  assert.ok(other !== undefined, "a node that is not the controller");
  return new AdminClient({ ...options, bootstrap: `${other.host}:${other.port}` });
}
