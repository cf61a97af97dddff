/**
 * The Node entry: loadConfig → logger → database and services → createApp → listen.
 * SIGTERM/SIGINT stop accepting connections, let in-flight requests finish, close the database, exit 0.
 */
import { serve } from "@hono/node-server";
import { createApp } from "./app.js";
import { ConfigError, loadConfigFromEnvironment } from "./config.js";
import { createDeps } from "./deps.js";
import { createLogger } from "./logger.js";
import { installGracefulShutdown } from "./shutdown.js";

async function main(): Promise<void> {
  const config = loadConfigFromEnvironment();
  const logger = createLogger(config);
  if (config.jwt.secretWasGenerated) {
    logger.warn(
      "JWT_SECRET is not set: using a random per-process secret; tokens will not survive a restart",
    );
  }
  const deps = await createDeps(config, logger);
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
