import { isIP } from "node:net";
import { getConnInfo } from "@hono/node-server/conninfo";
import type { Context } from "hono";

/** The address a request is counted against for per-address rate limits. */
export type ClientAddressResolver = (c: Context) => string;

/** What a request has no socket for (in-process `app.request()` tests): one shared bucket. */
export const UNKNOWN_ADDRESS = "unknown";

export interface ClientAddressOptions {
  /**
   * Reverse proxies in front of the service that append to `X-Forwarded-For` (TRUST_PROXY). 0 = use the
   * socket's peer and ignore the header, which any client can forge.
   */
  trustProxyHops: number;
  /** The socket's peer address; the default reads it from @hono/node-server's bindings. */
  socketAddress?: ((c: Context) => string | undefined) | undefined;
}

/**
 * With N trusted hops, each proxy appends the address it saw to `X-Forwarded-For`, so the N-th entry
 * from the right is the one our outermost proxy (Traefik) saw connect: everything left of it is
 * whatever the client wrote and is never trusted. An entry that is not an IP falls back to the socket.
 */
export function createClientAddressResolver({
  trustProxyHops,
  socketAddress = socketAddressOf,
}: ClientAddressOptions): ClientAddressResolver {
  return function clientAddress(c) {
    const peer = normalize(socketAddress(c)) ?? UNKNOWN_ADDRESS;
    if (trustProxyHops <= 0) return peer;
    const forwarded = c.req.header("x-forwarded-for");
    if (!forwarded) return peer;
    const hops = forwarded
      .split(",")
      .map((entry) => entry.trim())
      .filter(Boolean);
    const candidate = hops[Math.max(0, hops.length - trustProxyHops)];
    return normalize(candidate) ?? peer;
  };
}

function socketAddressOf(c: Context): string | undefined {
  try {
    return getConnInfo(c).remote.address;
  } catch {
    return undefined; // no Node socket behind this request
  }
}

function normalize(address: string | undefined): string | undefined {
  if (!address) return undefined;
  const unmapped = address.startsWith("::ffff:") ? address.slice(7) : address;
  return isIP(unmapped) ? unmapped.toLowerCase() : undefined;
}
