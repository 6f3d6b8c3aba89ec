import { isIPv6 } from "node:net";

/**
 * A client's address as Java's InetAddress.getHostAddress() prints it, which Kafka's ACL hosts and
 * audit lines compare against: IPv4 dotted; an IPv4-mapped IPv6 address (what a dual-stack listener
 * sees of an IPv4 client) as the IPv4 address, since Java makes it an Inet4Address; other IPv6
 * addresses in full, eight groups of lower-case hex without leading zeros (`0:0:0:0:0:0:0:1`), a
 * zone kept after `%`.
 */
export function javaHostAddress(address: string | undefined): string {
  if (address === undefined) return "";
  // Every accepted connection asks: an IPv4 address (no colon) is returned without isIPv6's regex.
  if (!address.includes(":")) return address;
  const zoneAt = address.indexOf("%");
  const bare = zoneAt < 0 ? address : address.slice(0, zoneAt);
  if (!isIPv6(bare)) return address;
  const groups = ipv6Groups(bare);
  if (groups.slice(0, 5).every((g) => g === 0) && groups[5] === 0xffff) {
    const [high = 0, low = 0] = groups.slice(6);
    return `${high >> 8}.${high & 0xff}.${low >> 8}.${low & 0xff}`;
  }
  return groups.map((g) => g.toString(16)).join(":") + (zoneAt < 0 ? "" : address.slice(zoneAt));
}

/** The eight 16-bit groups of a valid IPv6 address (`::` expanded, a dotted IPv4 tail converted). */
function ipv6Groups(address: string): number[] {
  let text = address;
  const lastColon = text.lastIndexOf(":");
  const tail = text.slice(lastColon + 1);
  if (tail.includes(".")) {
    const [a = 0, b = 0, c = 0, d = 0] = tail.split(".").map(Number);
    text = `${text.slice(0, lastColon + 1)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [head = "", rest] = text.split("::");
  const left = head === "" ? [] : head.split(":");
  const right = rest === undefined || rest === "" ? [] : rest.split(":");
  const missing = rest === undefined ? 0 : 8 - left.length - right.length;
  return [...left, ...Array.from({ length: missing }, () => "0"), ...right].map((g) =>
    Number.parseInt(g, 16),
  );
}
