import { type Config, ConfigError, loadConfigFromEnvironment } from "./config.js";
import { createLogger, type Logger } from "./logger.js";

/**
 * What both entries do before anything runtime-specific: read the configuration, build the logger, warn
 * about a generated secret, and turn a start-up failure into a message on stderr and exit 1. It imports
 * nothing heavy, so a cluster primary that only supervises stays small.
 */
export function runEntry(main: (config: Config, logger: Logger) => Promise<void>): void {
  const start = async () => {
    const config = loadConfigFromEnvironment();
    const logger = createLogger(config);
    if (config.jwt.secretWasGenerated) {
      logger.warn(
        "JWT_SECRET is not set: using a random per-process secret; tokens will not survive a restart",
      );
    }
    await main(config, logger);
  };
  start().catch((error: unknown) => {
    if (error instanceof ConfigError) {
      process.stderr.write(`${error.message}\n`);
    } else {
      process.stderr.write(
        `failed to start: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
      );
    }
    process.exit(1);
  });
}
