/**
 * The Node entry: loadConfig → logger → (cluster primary? fork workers, see cluster.ts) → database and
 * services → createApp → listen.
 * SIGTERM/SIGINT stop accepting connections, let in-flight requests finish, close the database, exit 0.
 */
import { runClusterPrimary } from "./cluster.js";
import { ConfigError, loadConfigFromEnvironment } from "./config.js";
import { createLogger } from "./logger.js";
import { startOutboxSender } from "./mail/outbox-sender.js";
import { startMaintenance } from "./maintenance.js";
import { installGracefulShutdown } from "./shutdown.js";

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
  const server = serve({ fetch: app.fetch, port: config.port, hostname: config.host }, (info) => {
    logger.info(
      { port: info.port, host: config.host, database: deps.database.driver, env: config.env },
      `listening on http://${config.host === "0.0.0.0" ? "localhost" : config.host}:${info.port}`,
    );
  });

  // --- hardening (issue 4): graceful shutdown lives in shutdown.ts ---
  installGracefulShutdown({
    server,
    database: deps.database,
    logger,
    timeoutMs: config.http.shutdownTimeoutMs,
    mail: deps.mail,
    maintenance,
    outboxSender,
  });
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
