/** `pnpm db:migrate`: applies the committed migrations to DATABASE_URL (or the embedded database). */
import { createDatabase, migrateDatabase } from "@app/core";
import { ConfigError, loadConfigFromEnvironment } from "./config.js";

async function main(): Promise<void> {
  const config = loadConfigFromEnvironment();
  // The configured timeouts apply here too: a migration against an unreachable database fails after
  // DATABASE_CONNECT_TIMEOUT_SECONDS, as the server would, instead of after the driver's own 30 s.
  const database = await createDatabase(
    config.database.url
      ? {
          url: config.database.url,
          poolSize: 1,
          connectTimeoutSeconds: config.databaseTimeouts.connectSeconds,
          statementTimeoutMs: config.databaseTimeouts.statementMs,
          preparedStatements: config.database.preparedStatements,
        }
      : { dataDir: config.database.dataDir },
  );
  try {
    await migrateDatabase(database);
    process.stdout.write(`migrations applied (${database.driver})\n`);
  } finally {
    await database.close();
  }
}

main().catch((error: unknown) => {
  process.stderr.write(
    error instanceof ConfigError
      ? `${error.message}\n`
      : `migration failed: ${error instanceof Error ? error.message : String(error)}\n`,
  );
  process.exit(1);
});
