import { AdminClient, type ClientSasl, KafkaConnection } from "../../../src/client/index.js";
import { type BrookServer, startBroker } from "../../../src/server/index.js";

/**
 * An in-process broker with an authorizer: a SASL_PLAINTEXT listener (PLAIN users admin, alice,
 * bob; admin a super user) beside PLAINTEXT, where clients are User:ANONYMOUS.
 */
export const USERS = { admin: "admin-secret", alice: "alice-secret", bob: "bob-secret" } as const;
export type User = keyof typeof USERS;

export const saslOf = (user: User): ClientSasl => ({
  mechanism: "PLAIN",
  username: user,
  password: USERS[user],
});

export interface AclBroker {
  server: BrookServer;
  saslPort: number;
  plainPort: number;
  admin(user?: User): AdminClient;
  connect(user: User | null, clientId?: string): Promise<KafkaConnection>;
  stop(): Promise<void>;
}

export async function startAclBroker(properties: Record<string, string> = {}): Promise<AclBroker> {
  const jaas = `org.apache.kafka.common.security.plain.PlainLoginModule required ${Object.entries(USERS)
    .map(([u, p]) => `user_${u}="${p}"`)
    .join(" ")};`;
  const server = await startBroker({
    properties: {
      listeners: "PLAINTEXT://127.0.0.1:0,SASL_PLAINTEXT://127.0.0.1:0,CONTROLLER://127.0.0.1:0",
      "advertised.listeners": "PLAINTEXT://127.0.0.1:0,SASL_PLAINTEXT://127.0.0.1:0",
      "listener.security.protocol.map":
        "PLAINTEXT:PLAINTEXT,SASL_PLAINTEXT:SASL_PLAINTEXT,CONTROLLER:PLAINTEXT",
      "sasl.enabled.mechanisms": "PLAIN",
      "listener.name.sasl_plaintext.plain.sasl.jaas.config": jaas,
      "authorizer.class.name": "org.apache.kafka.metadata.authorizer.StandardAuthorizer",
      "super.users": "User:admin",
      ...properties,
    },
  });
  const portOf = (name: string) => server.broker.listeners.find((l) => l.name === name)?.boundPort ?? 0;
  const saslPort = portOf("SASL_PLAINTEXT");
  const plainPort = portOf("PLAINTEXT");
  const admins: AdminClient[] = [];
  const connections: KafkaConnection[] = [];
  return {
    server,
    saslPort,
    plainPort,
    admin: (user = "admin") => {
      const admin = new AdminClient({
        bootstrap: `127.0.0.1:${saslPort}`,
        timeoutMs: 10_000,
        sasl: saslOf(user),
      });
      admins.push(admin);
      return admin;
    },
    connect: async (user, clientId = "acl-test") => {
      const c = await KafkaConnection.connect({
        host: "127.0.0.1",
        port: user === null ? plainPort : saslPort,
        clientId,
        connectTimeoutMs: 5000,
        ...(user === null ? {} : { sasl: saslOf(user) }),
      });
      connections.push(c);
      return c;
    },
    stop: async () => {
      for (const a of admins) a.close();
      for (const c of connections) c.close();
      await server.stop();
    },
  };
}
