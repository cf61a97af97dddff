import { createPasswordHasher, createTokenService } from "@app/auth";
import { createDatabase, createUserService, migrateDatabase } from "@app/core";
import type { AppDeps } from "./app-env.js";
import type { Config } from "./config.js";
import type { Logger } from "./logger.js";

/**
 * Opens the database and builds the services once per process. The embedded database migrates itself
 * (there is no separate operator to run `pnpm db:migrate` on a laptop); PostgreSQL is migrated by
 * `pnpm db:migrate` or the compose `migrate` service before the API starts.
 */
export async function createDeps(config: Config, logger: Logger): Promise<AppDeps> {
  const database = await createDatabase(
    config.database.url
      ? { url: config.database.url, poolSize: config.database.poolSize }
      : { dataDir: config.database.dataDir },
  );
  if (database.driver === "pglite") await migrateDatabase(database);
  const passwords = createPasswordHasher({ cost: config.bcryptCost });
  return {
    logger,
    database,
    users: createUserService({ db: database.db, passwords }),
    tokens: createTokenService({ secret: config.jwt.secret, ttlSeconds: config.jwt.ttlSeconds }),
    webDistDir: config.webDistDir,
  };
}
