import { isIP } from "node:net";
import { getConnInfo } from "@hono/node-server/conninfo";
import type { Context } from "hono";

/**
 * The address a request is counted against for per-address rate limits: an IPv4 address, or an IPv6
 * /64 written `2001:db8:0:1::/64`.
 */
export type ClientAddressResolver = (c: Context) => string;

/** What a request has no socket for (in-process `app.request()` tests): one shared bucket. */
export const UNKNOWN_ADDRESS = "unknown";

export interface ClientAddressOptions {
  /**
   * Reverse proxies in front of the service that append to `X-Forwarded-For` (TRUST_PROXY). 0 = use the
   * socket's peer and ignore the header, which any client can forge.
   */
  trustProxyHops: number;
  /**
   * The socket's peer address; the default reads it from @hono/node-server's bindings, which exist
   * only under Node (the Bun entry passes its own).
   */
  socketAddress?: ((c: Context) => string | undefined) | undefined;
}

/**
 * With N trusted hops, each proxy appends the address it saw to `X-Forwarded-For`, so the N-th entry
 * from the right is the one our outermost proxy (Traefik) saw connect: everything left of it is
 * whatever the client wrote and is never trusted. An entry that is not an IP falls back to the socket.
 */
export function createClientAddressResolver({
  trustProxyHops,
  socketAddress,
}: ClientAddressOptions): ClientAddressResolver {
  const peerOf = socketAddress ?? nodeSocketAddress;
  return function clientAddress(c) {
    const peer = addressBucket(peerOf(c)) ?? UNKNOWN_ADDRESS;
    if (trustProxyHops <= 0) return peer;
    const forwarded = c.req.header("x-forwarded-for");
    if (!forwarded) return peer;
    const hops = forwarded
      .split(",")
      .map((entry) => entry.trim())
      .filter(Boolean);
    const candidate = hops[Math.max(0, hops.length - trustProxyHops)];
    return addressBucket(candidate) ?? peer;
  };
}

function nodeSocketAddress(c: Context): string | undefined {
  try {
    return getConnInfo(c).remote.address;
  } catch {
    return undefined; // no Node socket behind this request
  }
}

/**
 * The bucket of an address: an IPv4 address as it is, an IPv6 address by its /64 (one subscriber's
 * link usually gets a whole /64, so per-/128 budgets would be endless), an IPv4-mapped IPv6 address
 * (`::ffff:192.0.2.1`, a dual-stack socket's IPv4 peer) as the IPv4 address. Not an IP: undefined.
 */
export function addressBucket(address: string | undefined): string | undefined {
  if (!address) return undefined;
  const unzoned = address.split("%")[0] ?? "";
  const version = isIP(unzoned);
  if (version === 4) return unzoned;
  if (version !== 6) return undefined;
  const groups = ipv6Groups(unzoned);
  const isMappedIpv4 = groups.slice(0, 5).every((group) => group === 0) && groups[5] === 0xffff;
  if (isMappedIpv4) {
    const [high = 0, low = 0] = groups.slice(6);
    return [high >> 8, high & 0xff, low >> 8, low & 0xff].join(".");
  }
  return `${groups
    .slice(0, 4)
    .map((group) => group.toString(16))
    .join(":")}::/64`;
}

/** The eight 16-bit groups of a valid IPv6 address (`::` expanded, a trailing dotted IPv4 as two groups). */
function ipv6Groups(address: string): number[] {
  const toGroups = (part: string): number[] =>
    part === ""
      ? []
      : part.split(":").flatMap((piece) => {
          if (!piece.includes(".")) return [Number.parseInt(piece, 16)];
          const [a = 0, b = 0, c = 0, d = 0] = piece.split(".").map(Number);
          return [(a << 8) | b, (c << 8) | d];
        });
  const [head = "", tail] = address.split("::");
  const left = toGroups(head);
  if (tail === undefined) return left;
  const right = toGroups(tail);
  return [...left, ...Array<number>(8 - left.length - right.length).fill(0), ...right];
}
