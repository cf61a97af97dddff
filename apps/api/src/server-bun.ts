/**
 * The Bun entry (`bun dist/server-bun.js`): the same config, logger, deps, first superuser and app as the Node entry,
 * served by `Bun.serve` instead of @hono/node-server. One process per container: scale Bun with replicas
 * (node:cluster's shared-port workers are a Node feature, so WEB_CONCURRENCY does not apply here).
 * SIGTERM/SIGINT stop accepting connections, let in-flight requests finish, close the database, exit 0.
 */
import type { Context } from "hono";
import { createApp } from "./app.js";
import { ConfigError, loadConfigFromEnvironment } from "./config.js";
import { createDeps, ensureFirstSuperuser } from "./deps.js";
import { createLogger } from "./logger.js";
import { startOutboxSender } from "./mail/outbox-sender.js";
import { startMaintenance } from "./maintenance.js";

/** The slice of Bun's global we use, typed here so the workspace does not need bun-types. */
interface BunServer {
  readonly port: number;
  stop(closeActiveConnections?: boolean): Promise<void>;
  requestIP(request: Request): { address: string } | null;
}
declare const Bun: {
  readonly version: string;
  serve(options: {
    fetch: (request: Request, server: BunServer) => Response | Promise<Response>;
    port: number;
    hostname: string;
  }): BunServer;
};

const SHUTDOWN_GRACE_MS = 10_000;

async function main(): Promise<void> {
  if (typeof Bun === "undefined") throw new Error("server-bun.js runs under Bun; use dist/server.js on Node");
  const config = loadConfigFromEnvironment();
  const logger = createLogger(config);
  if (config.jwt.secretWasGenerated) {
    logger.warn(
      "JWT_SECRET is not set: using a random per-process secret; tokens will not survive a restart",
    );
  }
  if (config.webConcurrency.explicit && config.webConcurrency.workers > 1) {
    logger.warn(
      { webConcurrency: config.webConcurrency.workers },
      "WEB_CONCURRENCY is ignored under Bun: one process per container, scale with replicas",
    );
  }
  const deps = await createDeps(config, logger, { socketAddress: bunSocketAddress });
  await ensureFirstSuperuser(deps, config);
  const maintenance = startMaintenance({
    database: deps.database,
    logger,
    settings: config.maintenance,
    metrics: deps.metrics,
  });
  const outboxSender = startOutboxSender({
    database: deps.database,
    transport: deps.mailTransport,
    logger,
    env: config.env,
    publicUrl: config.publicUrl,
    pollIntervalMs: config.outbox.pollIntervalMs,
  });
  const app = createApp(deps);
  // The server goes in as the request's env (c.env), where bunSocketAddress finds it.
  const server = Bun.serve({
    fetch: (request, bunServer) => app.fetch(request, bunServer),
    port: config.port,
    hostname: config.host,
  });
  logger.info(
    {
      port: server.port,
      host: config.host,
      database: deps.database.driver,
      env: config.env,
      runtime: `bun ${Bun.version}`,
    },
    `listening on http://${config.host === "0.0.0.0" ? "localhost" : config.host}:${server.port}`,
  );

  let stopping = false;
  const shutdown = (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, "shutting down");
    const force = setTimeout(() => {
      logger.error("in-flight requests did not finish in time; exiting");
      process.exit(1);
    }, SHUTDOWN_GRACE_MS);
    force.unref();
    server
      .stop(false)
      .then(() => maintenance.stop())
      .then(() => outboxSender.stop())
      .then(() => deps.database.close())
      .catch((error: unknown) => logger.error({ err: error }, "shutting down failed"))
      .finally(() => {
        logger.flush();
        process.exit(0);
      });
  };
  process.on("SIGTERM", () => shutdown("SIGTERM"));
  process.on("SIGINT", () => shutdown("SIGINT"));
}

/** Bun's own peer address for the request; @hono/node-server's getConnInfo throws under Bun. */
function bunSocketAddress(c: Context): string | undefined {
  return (c.env as BunServer | undefined)?.requestIP(c.req.raw)?.address;
}

main().catch((error: unknown) => {
  if (error instanceof ConfigError) {
    process.stderr.write(`${error.message}\n`);
  } else {
    process.stderr.write(
      `failed to start: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
    );
  }
  process.exit(1);
});
