/**
 * One start-up path for every runtime. `startService` builds this process's services (deps.ts), applies
 * FIRST_SUPERUSER_*, serves the app through a runtime adapter and returns `{ fetch, stop }`. The entries
 * only adapt: server.ts (Node, @hono/node-server, node:cluster) and server-bun.ts (Bun.serve, reusePort).
 *
 * `stop(signal)` runs the shutdown once, in this order: stop accepting and let in-flight requests finish
 * (bounded by SHUTDOWN_TIMEOUT_MS, else exit code 1) → stop background timers → send queued mail within
 * what is left of that deadline → close the database → close the logger (the Loki transport sends its
 * last batch) → resolve with the exit code.
 */
import cluster from "node:cluster";
import type { Context } from "hono";
import { createApp } from "./app.js";
import type { AppDeps } from "./app-env.js";
import { announceWorkerListening } from "./cluster.js";
import type { Config } from "./config.js";
import { createDeps, ensureFirstSuperuser } from "./deps.js";
import { closeLogger, type Logger } from "./logger.js";
import { startOutboxSender } from "./mail/outbox-sender.js";
import { startMaintenance } from "./maintenance.js";

/** Hono's fetch: the runtime passes its own bindings as the second argument (they become `c.env`). */
export type FetchHandler = (request: Request, bindings?: unknown) => Response | Promise<Response>;

/** A listening socket, as the runtime adapter opened it. */
export interface Listener {
  readonly port: number;
  /** Stops accepting connections; resolves once the requests in flight have been answered. */
  close(): Promise<void>;
}

/** What differs between runtimes: how to read a request's peer, and how to listen. */
export interface RuntimeAdapter {
  /** For the listening line, e.g. `node 24.1.0` or `bun 1.4.5`. */
  readonly runtime: string;
  /** The socket's peer address, for the client-address resolver (X-Forwarded-For is handled there). */
  socketAddress(c: Context): string | undefined;
  listen(fetch: FetchHandler, at: { host: string; port: number }): Promise<Listener> | Listener;
}

export interface Service {
  readonly fetch: FetchHandler;
  readonly deps: AppDeps;
  /** Shuts down (once; later calls get the same promise) and resolves with the process's exit code. */
  stop(signal: string): Promise<number>;
}

/** Work that runs beside the requests in every process (periodic sweeps), stopped before the mail drain. */
export interface BackgroundTask {
  stop(): void | Promise<void>;
}

export async function startService(
  config: Config,
  logger: Logger,
  adapter: RuntimeAdapter,
): Promise<Service> {
  const deps = await createDeps(config, logger, { socketAddress: adapter.socketAddress });
  await ensureFirstSuperuser(deps, config);
  const background: BackgroundTask[] = [
    deps.accessTokenKeys,
    startMaintenance({
      database: deps.database,
      logger,
      settings: config.maintenance,
      metrics: deps.metrics,
    }),
    startOutboxSender({
      database: deps.database,
      transport: deps.mailTransport,
      logger,
      env: config.env,
      publicUrl: config.publicUrl,
      pollIntervalMs: config.outbox.pollIntervalMs,
    }),
  ];
  const app = createApp(deps);
  const fetch: FetchHandler = (request, bindings) => app.fetch(request, bindings);
  const listener = await adapter.listen(fetch, { host: config.host, port: config.port });
  logger.info(
    {
      port: listener.port,
      host: config.host,
      database: deps.database.driver,
      env: config.env,
      runtime: adapter.runtime,
    },
    `listening on http://${config.host === "0.0.0.0" ? "localhost" : config.host}:${listener.port}`,
  );
  if (cluster.isWorker) announceWorkerListening();

  const timeoutMs = config.http.shutdownTimeoutMs;
  let stopping: Promise<number> | undefined;
  const stop = (signal: string): Promise<number> => {
    stopping ??= (async () => {
      logger.info({ signal, timeoutMs }, "shutting down");
      const deadline = Date.now() + timeoutMs;
      const drained = await withinDeadline(listener.close(), deadline);
      if (!drained) {
        logger.error({ timeoutMs }, "in-flight requests did not finish in time; exiting");
        await closeLogger(logger, 1000);
        return 1;
      }
      await Promise.all(background.map((task) => task.stop()));
      if (!(await withinDeadline(deps.mail.idle(), deadline))) {
        logger.error({ timeoutMs }, "queued mail was not sent before the shutdown deadline");
      }
      try {
        await deps.database.close();
      } catch (error) {
        logger.error({ err: { type: (error as Error).name } }, "closing the database failed");
      }
      logger.info("shut down cleanly");
      await closeLogger(logger);
      return 0;
    })();
    return stopping;
  };
  return { fetch, deps, stop };
}

/**
 * SIGTERM/SIGINT run `service.stop` and exit with its code. Installed before the service listens (pass the
 * promise `startService` returns): a signal that arrives while it starts waits for the start, then stops it,
 * instead of killing a worker that already told its primary it listens. `once`: a second signal while stopping gets
 * the runtime's default action, so an operator can still force the exit. A cluster worker is the
 * exception: a terminal's Ctrl-C reaches it twice (from the terminal and forwarded by its primary), and
 * its primary's own deadline ends it if it hangs.
 */
export function exitOnSignals(service: Pick<Service, "stop"> | Promise<Pick<Service, "stop">>): void {
  const onSignal = (signal: NodeJS.Signals) => {
    if (cluster.isWorker) process.on(signal, () => undefined);
    void Promise.resolve(service)
      .then((started) => started.stop(signal))
      .then((code) => process.exit(code));
  };
  process.once("SIGTERM", onSignal);
  process.once("SIGINT", onSignal);
}

/** Resolves true when `work` settles before `deadline` (epoch ms), false otherwise. */
async function withinDeadline(work: Promise<unknown>, deadline: number): Promise<boolean> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const overdue = new Promise<false>((resolve) => {
    timer = setTimeout(() => resolve(false), Math.max(0, deadline - Date.now()));
  });
  try {
    return await Promise.race([
      work.then(
        () => true as const,
        () => true as const,
      ),
      overdue,
    ]);
  } finally {
    clearTimeout(timer);
  }
}
