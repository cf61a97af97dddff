/**
 * Cluster mode of both entries: with a PostgreSQL `DATABASE_URL`, the primary forks `WEB_CONCURRENCY`
 * workers that share the port (Node: node:cluster hands connections out; Bun: every worker binds with
 * `reusePort` and the Linux kernel spreads connections), restarts one that dies unexpectedly (with
 * backoff), forwards SIGTERM/SIGINT and exits 0 once every worker has exited. The primary serves nothing
 * and never opens the database, so it imports nothing heavy.
 * The embedded database is a single-process store (PGlite holds its data folder), so it never clusters.
 */
import cluster, { type Worker } from "node:cluster";
import type { Config } from "./config.js";
import type { Logger } from "./logger.js";

const RESTART_BASE_DELAY_MS = 100;
const RESTART_MAX_DELAY_MS = 10_000;
/**
 * V8's young generation for each worker, in MiB per semi-space. Node 22 and later size it from the memory
 * the process may use (here: the host's RAM when no cgroup limit applies), up to 64 MiB per semi-space, so
 * a Node 24 worker on a large host holds ~130 MiB of mostly empty young generation (Node 20: 16 MiB).
 * 8 MiB keeps a worker near its live size; an operator's own `--max-semi-space-size` (command line or
 * NODE_OPTIONS) wins.
 */
export const WORKER_SEMI_SPACE_MIB = 8;

/**
 * The flags a Node worker starts with: the primary's own, plus the young-generation cap unless one was
 * chosen. Bun takes no V8 flags, so its workers get the primary's flags only. Pure, for tests.
 */
export function workerExecArgv(execArgv: readonly string[], nodeOptions: string, isBun: boolean): string[] {
  const chosen = [...execArgv, ...nodeOptions.split(/\s+/)].some((flag) =>
    /^--max[-_]semi[-_]space[-_]size/.test(flag),
  );
  if (isBun || chosen) return [...execArgv];
  return [...execArgv, `--max-semi-space-size=${WORKER_SEMI_SPACE_MIB}`];
}

/** Workers that die this many times in a row without ever listening mean the service cannot start. */
const MAX_CONSECUTIVE_FAILURES = 10;
/**
 * What the primary adds to a worker's own grace period (SHUTDOWN_TIMEOUT_MS) before it kills the workers:
 * a worker that runs out of time still flushes its logs (up to a second) and exits by itself first.
 */
export const PRIMARY_SHUTDOWN_MARGIN_MS = 5000;

/** How long the primary waits for its workers after a signal: always longer than the workers wait. */
export function primaryShutdownDeadlineMs(http: Pick<Config["http"], "shutdownTimeoutMs">): number {
  return http.shutdownTimeoutMs + PRIMARY_SHUTDOWN_MARGIN_MS;
}

/** The message a worker sends its primary once it listens (Bun.serve emits no cluster "listening"). */
const WORKER_LISTENING = "worker-listening";

/** Tells the primary this worker listens, so it counts as started (see superviseWorkers). */
export function announceWorkerListening(): void {
  process.send?.({ type: WORKER_LISTENING });
}

const isListeningMessage = (message: unknown) =>
  typeof message === "object" && message !== null && "type" in message && message.type === WORKER_LISTENING;

export type ProcessRole = "single" | "primary" | "worker";

/** How this process runs, given the configuration. Pure, for tests. */
export function processRole(
  config: Pick<Config, "database" | "webConcurrency">,
  isPrimary: boolean,
): ProcessRole {
  if (!isPrimary) return "worker";
  if (config.database.url === undefined || config.webConcurrency.workers <= 1) return "single";
  return "primary";
}

/**
 * Decides the process role and, in the primary, forks and supervises the workers.
 * @returns true when this process is the cluster primary (the caller must then not serve).
 */
export function runClusterPrimary(config: Config, logger: Logger): boolean {
  const role = processRole(config, cluster.isPrimary);
  if (role === "single" && config.database.url === undefined && config.webConcurrency.explicit) {
    if (config.webConcurrency.workers > 1) {
      logger.warn(
        { webConcurrency: config.webConcurrency.workers },
        "WEB_CONCURRENCY is ignored with the embedded database: it runs in one process (set DATABASE_URL to use several)",
      );
    }
  }
  if (role !== "primary") return false;
  // A generated (development) secret must be the same in every worker, or a token works on one in N.
  const workerEnv = config.jwt.secretWasGenerated ? { JWT_SECRET: config.jwt.secret } : {};
  const isBun = process.versions.bun !== undefined;
  if (!isBun) {
    cluster.setupPrimary({
      execArgv: workerExecArgv(process.execArgv, config.nodeOptions, isBun),
    });
  }
  superviseWorkers(config.webConcurrency.workers, workerEnv, primaryShutdownDeadlineMs(config.http), logger);
  return true;
}

function superviseWorkers(
  count: number,
  workerEnv: Record<string, string>,
  shutdownDeadlineMs: number,
  logger: Logger,
): void {
  let stopping = false;
  let consecutiveFailures = 0;
  const listened = new WeakSet<Worker>();

  const fork = () => {
    if (!stopping) cluster.fork(workerEnv);
  };

  cluster.on("message", (worker, message: unknown) => {
    if (!isListeningMessage(message)) return;
    listened.add(worker);
    consecutiveFailures = 0;
    logger.info({ pid: worker.process.pid }, "worker listening");
  });

  cluster.on("exit", (worker, code, signal) => {
    const alive = Object.keys(cluster.workers ?? {}).length;
    if (stopping) {
      if (alive === 0) {
        logger.info("every worker has exited");
        logger.flush();
        process.exit(); // 0, or the 1 set when giving up
      }
      return;
    }
    if (!listened.has(worker)) consecutiveFailures += 1;
    if (consecutiveFailures >= MAX_CONSECUTIVE_FAILURES) {
      logger.fatal({ failures: consecutiveFailures }, "workers keep failing before they listen; giving up");
      stopping = true;
      for (const other of Object.values(cluster.workers ?? {})) other?.process.kill("SIGTERM");
      logger.flush();
      process.exitCode = 1;
      if (alive === 0) process.exit();
      return;
    }
    const delay =
      consecutiveFailures === 0
        ? 0
        : Math.min(RESTART_BASE_DELAY_MS * 2 ** (consecutiveFailures - 1), RESTART_MAX_DELAY_MS);
    logger.error({ pid: worker.process.pid, code, signal, restartInMs: delay }, "worker died; restarting it");
    setTimeout(fork, delay);
  });

  const shutdown = (signal: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, "shutting down the workers");
    // Signal each worker directly (not worker.kill(), which disconnects first) so its own graceful
    // shutdown drains in-flight requests and closes its pool.
    const workers = Object.values(cluster.workers ?? {});
    for (const worker of workers) worker?.process.kill(signal);
    if (workers.length === 0) process.exit(0);
    setTimeout(() => {
      logger.error({ shutdownDeadlineMs }, "workers did not exit in time; killing them");
      for (const worker of Object.values(cluster.workers ?? {})) worker?.process.kill("SIGKILL");
      logger.flush();
      process.exit(1);
    }, shutdownDeadlineMs).unref();
  };
  process.once("SIGTERM", () => shutdown("SIGTERM"));
  process.once("SIGINT", () => shutdown("SIGINT"));

  logger.info({ workers: count, pid: process.pid }, `cluster primary: forking ${count} workers`);
  for (let i = 0; i < count; i += 1) fork();
}
