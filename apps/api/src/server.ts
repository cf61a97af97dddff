/**
 * The Node entry (`node dist/server.js`). What runs where:
 * - entry.ts: config, logger, start-up failures (every process);
 * - cluster.ts: with PostgreSQL and WEB_CONCURRENCY > 1, this process becomes the primary that only forks
 *   and supervises workers, each of which runs this file again;
 * - start-service.ts: deps, first superuser, the app, and the ordered shutdown (single process or worker);
 * - here: only what is Node's: @hono/node-server's listener, its socket address and how it drains.
 * server-bun.ts is the same for Bun; a behaviour in one entry and not the other is a bug.
 */
import { runClusterPrimary } from "./cluster.js";
import { runEntry } from "./entry.js";

runEntry(async (config, logger) => {
  // The primary only supervises, so the server, app and database modules load after this line.
  if (runClusterPrimary(config, logger)) return;
  const [{ serve }, { getConnInfo }, { exitOnSignals, startService }] = await Promise.all([
    import("@hono/node-server"),
    import("@hono/node-server/conninfo"),
    import("./start-service.js"),
  ]);
  const service = startService(config, logger, {
    runtime: `node ${process.versions.node}`,
    socketAddress: (c) => getConnInfo(c).remote.address,
    listen: (fetch, { host, port }) =>
      new Promise((resolve) => {
        const server = serve({ fetch, port, hostname: host }, (info) =>
          resolve({
            port: info.port,
            close: () => {
              // Keep-alive connections that sit idle, or go idle after their last response, are closed
              // as we go, or server.close() would wait for them to time out.
              const closed = new Promise<void>((done) => server.close(() => done()));
              const closeIdle = () => {
                if ("closeIdleConnections" in server) server.closeIdleConnections();
              };
              closeIdle();
              const idleSweep = setInterval(closeIdle, 100);
              return closed.finally(() => clearInterval(idleSweep));
            },
          }),
        );
      }),
  });
  exitOnSignals(service);
  await service;
});
