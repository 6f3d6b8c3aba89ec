import { getCiphers } from "node:tls";

/**
 * Kafka's `ssl.cipher.suites` names suites as Java does (the IANA names,
 * `TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384`); Node's `ciphers` takes OpenSSL's
 * (`ECDHE-RSA-AES256-GCM-SHA384`) for TLS 1.2 and the IANA names for TLS 1.3. The table is
 * `openssl ciphers -stdname` for the suites OpenSSL 3 enables by default; OpenSSL names are
 * accepted as they are.
 */
const IANA_TO_OPENSSL: ReadonlyMap<string, string> = new Map([
  ["TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384", "ECDHE-ECDSA-AES256-GCM-SHA384"],
  ["TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384", "ECDHE-RSA-AES256-GCM-SHA384"],
  ["TLS_DHE_RSA_WITH_AES_256_GCM_SHA384", "DHE-RSA-AES256-GCM-SHA384"],
  ["TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256", "ECDHE-ECDSA-CHACHA20-POLY1305"],
  ["TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256", "ECDHE-RSA-CHACHA20-POLY1305"],
  ["TLS_DHE_RSA_WITH_CHACHA20_POLY1305_SHA256", "DHE-RSA-CHACHA20-POLY1305"],
  ["TLS_ECDHE_ECDSA_WITH_AES_256_CCM_8", "ECDHE-ECDSA-AES256-CCM8"],
  ["TLS_ECDHE_ECDSA_WITH_AES_256_CCM", "ECDHE-ECDSA-AES256-CCM"],
  ["TLS_DHE_RSA_WITH_AES_256_CCM_8", "DHE-RSA-AES256-CCM8"],
  ["TLS_DHE_RSA_WITH_AES_256_CCM", "DHE-RSA-AES256-CCM"],
  ["TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256", "ECDHE-ECDSA-AES128-GCM-SHA256"],
  ["TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256", "ECDHE-RSA-AES128-GCM-SHA256"],
  ["TLS_DHE_RSA_WITH_AES_128_GCM_SHA256", "DHE-RSA-AES128-GCM-SHA256"],
  ["TLS_ECDHE_ECDSA_WITH_AES_128_CCM_8", "ECDHE-ECDSA-AES128-CCM8"],
  ["TLS_ECDHE_ECDSA_WITH_AES_128_CCM", "ECDHE-ECDSA-AES128-CCM"],
  ["TLS_DHE_RSA_WITH_AES_128_CCM_8", "DHE-RSA-AES128-CCM8"],
  ["TLS_DHE_RSA_WITH_AES_128_CCM", "DHE-RSA-AES128-CCM"],
  ["TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA384", "ECDHE-ECDSA-AES256-SHA384"],
  ["TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA384", "ECDHE-RSA-AES256-SHA384"],
  ["TLS_DHE_RSA_WITH_AES_256_CBC_SHA256", "DHE-RSA-AES256-SHA256"],
  ["TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256", "ECDHE-ECDSA-AES128-SHA256"],
  ["TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256", "ECDHE-RSA-AES128-SHA256"],
  ["TLS_DHE_RSA_WITH_AES_128_CBC_SHA256", "DHE-RSA-AES128-SHA256"],
  ["TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA", "ECDHE-ECDSA-AES256-SHA"],
  ["TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA", "ECDHE-RSA-AES256-SHA"],
  ["TLS_DHE_RSA_WITH_AES_256_CBC_SHA", "DHE-RSA-AES256-SHA"],
  ["TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA", "ECDHE-ECDSA-AES128-SHA"],
  ["TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA", "ECDHE-RSA-AES128-SHA"],
  ["TLS_DHE_RSA_WITH_AES_128_CBC_SHA", "DHE-RSA-AES128-SHA"],
  ["TLS_RSA_WITH_AES_256_GCM_SHA384", "AES256-GCM-SHA384"],
  ["TLS_RSA_WITH_AES_256_CCM_8", "AES256-CCM8"],
  ["TLS_RSA_WITH_AES_256_CCM", "AES256-CCM"],
  ["TLS_RSA_WITH_AES_128_GCM_SHA256", "AES128-GCM-SHA256"],
  ["TLS_RSA_WITH_AES_128_CCM_8", "AES128-CCM8"],
  ["TLS_RSA_WITH_AES_128_CCM", "AES128-CCM"],
  ["TLS_RSA_WITH_AES_256_CBC_SHA256", "AES256-SHA256"],
  ["TLS_RSA_WITH_AES_128_CBC_SHA256", "AES128-SHA256"],
  ["TLS_RSA_WITH_AES_256_CBC_SHA", "AES256-SHA"],
  ["TLS_RSA_WITH_AES_128_CBC_SHA", "AES128-SHA"],
]);

/** TLS 1.3's suites: the same name in Java and OpenSSL. */
const TLS13_SUITES = new Set([
  "TLS_AES_256_GCM_SHA384",
  "TLS_CHACHA20_POLY1305_SHA256",
  "TLS_AES_128_GCM_SHA256",
  "TLS_AES_128_CCM_SHA256",
  "TLS_AES_128_CCM_8_SHA256",
]);

/**
 * Node's `ciphers` string for a list of Java or OpenSSL suite names; the name Node does not know,
 * if one is not (as Java's setEnabledCipherSuites refuses an unsupported suite).
 */
export function opensslCipherList(suites: readonly string[]): { ciphers: string } | { unknown: string } {
  const known = new Set(getCiphers().map((c) => c.toUpperCase()));
  const names: string[] = [];
  for (const suite of suites) {
    const name = suite.trim();
    if (TLS13_SUITES.has(name)) names.push(name);
    else if (IANA_TO_OPENSSL.has(name)) names.push(IANA_TO_OPENSSL.get(name) as string);
    else if (known.has(name.toUpperCase())) names.push(name.toUpperCase());
    else return { unknown: name };
  }
  return { ciphers: names.join(":") };
}
