import type { Connection } from "../network/index.js";

const CLOSE_HOOKS_ATTRIBUTE = "brook.closeHooks";

/**
 * Runs `hook` once when the client connection closes, for work parked on the client's behalf (a
 * long-poll fetch) that nobody will read once it has gone. One socket listener per connection
 * serves all its hooks, so a connection with hundreds of parked requests adds no listeners; the
 * hooks live in the connection's attributes and go with it. Returns the hook's removal; on a
 * connection already closed the hook runs at once.
 */
export function onConnectionClose(connection: Connection, hook: () => void): () => void {
  if (connection.isClosed) {
    hook();
    return () => {};
  }
  let hooks = connection.attributes.get(CLOSE_HOOKS_ATTRIBUTE) as Set<() => void> | undefined;
  if (hooks === undefined) {
    const created = new Set<() => void>();
    connection.attributes.set(CLOSE_HOOKS_ATTRIBUTE, created);
    connection.socket.once("close", () => {
      const pending = [...created];
      created.clear();
      for (const h of pending) h();
    });
    hooks = created;
  }
  const registered = hooks;
  registered.add(hook);
  return () => {
    registered.delete(hook);
  };
}
