/**
 * The Node entry: loadConfig → logger → (cluster primary? fork workers, see cluster.ts) → database and
 * services → createApp → listen.
 * SIGTERM/SIGINT stop accepting connections, let in-flight requests finish, close the database, exit 0.
 */
import { runClusterPrimary } from "./cluster.js";
import { ConfigError, loadConfigFromEnvironment } from "./config.js";
import { createLogger } from "./logger.js";

const SHUTDOWN_GRACE_MS = 10_000;

async function main(): Promise<void> {
  const config = loadConfigFromEnvironment();
  const logger = createLogger(config);
  if (config.jwt.secretWasGenerated) {
    logger.warn(
      "JWT_SECRET is not set: using a random per-process secret; tokens will not survive a restart",
    );
  }
  // issue 7: a cluster primary only supervises workers, so the app and database modules load lazily.
  if (runClusterPrimary(config, logger)) return;
  const [{ serve }, { createApp }, { createDeps, ensureFirstSuperuser }] = await Promise.all([
    import("@hono/node-server"),
    import("./app.js"),
    import("./deps.js"),
  ]);
  const deps = await createDeps(config, logger);
  await ensureFirstSuperuser(deps, config);
  const app = createApp(deps);
  const server = serve({ fetch: app.fetch, port: config.port, hostname: config.host }, (info) => {
    logger.info(
      { port: info.port, host: config.host, database: deps.database.driver, env: config.env },
      `listening on http://${config.host === "0.0.0.0" ? "localhost" : config.host}:${info.port}`,
    );
  });

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
    server.close(() => {
      deps.database
        .close()
        .catch((error: unknown) => logger.error({ err: error }, "closing the database failed"))
        .finally(() => {
          logger.flush();
          process.exit(0);
        });
    });
    // Idle keep-alive sockets would hold close() open until they time out.
    if ("closeIdleConnections" in server) server.closeIdleConnections();
  };
  process.on("SIGTERM", () => shutdown("SIGTERM"));
  process.on("SIGINT", () => shutdown("SIGINT"));
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
