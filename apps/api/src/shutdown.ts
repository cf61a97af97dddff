import type { Database } from "@app/core";
import type { ServerType } from "@hono/node-server";
import { closeLogger, type Logger } from "./logger.js";

export interface GracefulShutdownOptions {
  server: ServerType;
  database: Pick<Database, "close">;
  logger: Logger;
  /** In-flight requests get this long to finish (SHUTDOWN_TIMEOUT_MS); then the process exits 1. */
  timeoutMs: number;
  /** Queued mail is given the rest of `timeoutMs` to go out (a reset link asked for just before a deploy). */
  mail?: { idle(): Promise<void> } | undefined;
  /** Scheduled clean-up: stopped (and a sweep in progress awaited) before the database closes. */
  maintenance?: { stop(): Promise<void> } | undefined;
  /** The outbox sender: stopped (a send in progress awaited) before the database closes. */
  outboxSender?: { stop(): Promise<void> } | undefined;
  /** Injected by tests; the real one ends the process. */
  exit?: ((code: number) => void) | undefined;
}

/**
 * SIGTERM/SIGINT: stop accepting connections, let in-flight requests finish (bounded by `timeoutMs`),
 * close the database pool, flush the logs, exit 0. Keep-alive connections that sit idle are closed at
 * once, and any that go idle after their last response are closed too, or `server.close()` would wait
 * for them to time out.
 */
export function installGracefulShutdown({
  server,
  database,
  logger,
  timeoutMs,
  mail,
  maintenance,
  outboxSender,
  exit = (code) => process.exit(code),
}: GracefulShutdownOptions): (signal: string) => Promise<void> {
  let stopping: Promise<void> | undefined;

  const shutdown = (signal: string): Promise<void> => {
    stopping ??= (async () => {
      logger.info({ signal, timeoutMs }, "shutting down");
      const force = setTimeout(() => {
        logger.error({ timeoutMs }, "in-flight requests did not finish in time; exiting");
        void closeLogger(logger, 1000).finally(() => exit(1));
      }, timeoutMs);
      force.unref();
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      closeIdle(server);
      const idleSweep = setInterval(() => closeIdle(server), 100);
      idleSweep.unref();
      await closed;
      clearInterval(idleSweep);
      await mail?.idle();
      await maintenance?.stop();
      await outboxSender?.stop();
      try {
        await database.close();
      } catch (error) {
        logger.error({ err: { type: (error as Error).name } }, "closing the database failed");
      }
      clearTimeout(force);
      logger.info("shut down cleanly");
      await closeLogger(logger);
      exit(0);
    })();
    return stopping;
  };

  process.once("SIGTERM", () => void shutdown("SIGTERM"));
  process.once("SIGINT", () => void shutdown("SIGINT"));
  return shutdown;
}

function closeIdle(server: ServerType): void {
  if ("closeIdleConnections" in server) server.closeIdleConnections();
}
