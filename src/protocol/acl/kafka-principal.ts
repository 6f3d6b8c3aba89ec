/** Kafka's principal type for every principal its default builders make (SASL users, TLS subjects, ANONYMOUS). */
export const USER_PRINCIPAL_TYPE = "User";

export interface KafkaPrincipal {
  readonly principalType: string;
  readonly name: string;
}

/**
 * SecurityUtils.parseKafkaPrincipal: `type:name`, split at the first colon (names may hold
 * colons). Throws Kafka's IllegalArgumentException text for anything else.
 */
export function parseKafkaPrincipal(text: string): KafkaPrincipal {
  const colon = text.indexOf(":");
  if (text === "" || colon < 0) {
    throw new Error(`expected a string in format principalType:principalName but got ${text}`);
  }
  return { principalType: text.slice(0, colon), name: text.slice(colon + 1) };
}

/** A connection's user as Kafka prints its principal: `User:alice`. */
export function userPrincipal(name: string): string {
  return `${USER_PRINCIPAL_TYPE}:${name}`;
}
