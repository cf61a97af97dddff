/**
 * The Bun entry (`bun dist/server-bun.js`, `pnpm start:bun`). What runs where is the same as on Node
 * (see server.ts): entry.ts reads config; cluster.ts makes a PostgreSQL deployment with WEB_CONCURRENCY > 1
 * a primary that forks and supervises workers (Bun implements node:cluster); start-service.ts builds and
 * stops the service. Only what is Bun's lives here: `Bun.serve` (with `reusePort` in a worker, so the
 * workers share the port; the kernel spreads connections on Linux), `server.requestIP` for the socket
 * address, and `server.stop(false)` to drain.
 */
import cluster from "node:cluster";
import type { Context } from "hono";
import { runClusterPrimary } from "./cluster.js";
import { runEntry } from "./entry.js";

/** The slice of Bun's global we use, typed here so the workspace does not need bun-types. */
interface BunServer {
  readonly port: number;
  requestIP(request: Request): { address: string } | null;
  stop(closeActiveConnections?: boolean): Promise<void>;
}
declare const Bun: {
  readonly version: string;
  serve(options: {
    fetch: (request: Request, server: BunServer) => Response | Promise<Response>;
    port: number;
    hostname: string;
    reusePort?: boolean;
  }): BunServer;
};

/** Bun hands its server to `fetch` as the second argument, so Hono's `c.env` is the server. */
function socketAddress(c: Context): string | undefined {
  const server = c.env as BunServer | undefined;
  return server?.requestIP?.(c.req.raw)?.address;
}

runEntry(async (config, logger) => {
  if (typeof Bun === "undefined") throw new Error("server-bun.js runs under Bun; use dist/server.js on Node");
  if (runClusterPrimary(config, logger)) return;
  const { exitOnSignals, startService } = await import("./start-service.js");
  const service = startService(config, logger, {
    runtime: `bun ${Bun.version}`,
    socketAddress,
    listen: (fetch, { host, port }) => {
      const server = Bun.serve({ fetch, port, hostname: host, reusePort: cluster.isWorker });
      return { port: server.port, close: () => server.stop(false) };
    },
  });
  exitOnSignals(service);
  await service;
});
