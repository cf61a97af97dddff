/**
 * Scheduled clean-up, started by `startService` in every process: every `MAINTENANCE_INTERVAL_SECONDS`,
 * in bounded batches, core's `sweepStaleRows` deletes what can never be used again (spent and expired
 * one-time tokens, refresh tokens of finished sessions, long-ended sessions, security-log events past
 * retention, sent outbox mail, dead mfa_tokens and passkey challenges). Replicas may all run it; the
 * sweep's advisory lock lets one of them work at a time. Retired signing keys are deleted by the key
 * store's own periodic `ensureKeys`, under its own advisory lock.
 */
import { type Database, type SweepResult, sweepStaleRows } from "@app/core";
import type { MaintenanceSettings } from "./config.js";
import type { Logger } from "./logger.js";
import type { Metrics } from "./metrics.js";

/** Batches per table and run: a backlog is worked off over several runs, never in one long burst. */
const MAX_BATCHES_PER_RUN = 100;
/** The first run comes soon after start-up, so a process that never lives a whole interval still sweeps. */
const FIRST_RUN_DELAY_MS = 5_000;

export interface Maintenance {
  /** One sweep now (also what the timer runs). Never rejects: a failure is logged. */
  runOnce(): Promise<SweepResult | undefined>;
  /** Stops the timer and waits for a sweep in progress, so the database can close after it. */
  stop(): Promise<void>;
}

export interface MaintenanceOptions {
  database: Pick<Database, "db">;
  logger: Logger;
  settings: Pick<MaintenanceSettings, "intervalSeconds" | "batchSize"> &
    Partial<Pick<MaintenanceSettings, "auditRetentionDays">>;
  /** Counts what each sweep removed, by table. */
  metrics?: Pick<Metrics, "sweptRows"> | undefined;
  /** Injected by tests. */
  now?: () => Date;
  firstRunDelayMs?: number;
}

export function startMaintenance({
  database,
  logger,
  settings,
  metrics,
  now = () => new Date(),
  firstRunDelayMs = FIRST_RUN_DELAY_MS,
}: MaintenanceOptions): Maintenance {
  let running: Promise<SweepResult | undefined> | undefined;
  let timer: NodeJS.Timeout | undefined;
  let stopped = false;

  const runOnce = (): Promise<SweepResult | undefined> => {
    running ??= sweepStaleRows(database.db, {
      before: now(),
      batchSize: settings.batchSize,
      maxBatches: MAX_BATCHES_PER_RUN,
      ...(settings.auditRetentionDays !== undefined
        ? { auditRetentionDays: settings.auditRetentionDays }
        : {}),
    })
      .then(
        (result) => {
          const { skipped: _skipped, ...counts } = result;
          for (const [table, removed] of Object.entries(counts)) {
            if (removed > 0) metrics?.sweptRows.inc({ table }, removed);
          }
          if (Object.values(counts).some((removed) => removed > 0))
            logger.info({ sweep: result }, "swept stale tokens");
          return result;
        },
        (error: unknown) => {
          logger.warn({ err: { type: (error as Error).name } }, "sweeping stale tokens failed");
          return undefined;
        },
      )
      .finally(() => {
        running = undefined;
      });
    return running;
  };

  // A chain of timeouts rather than an interval: a slow sweep never overlaps the next one.
  const schedule = (delayMs: number) => {
    if (stopped || settings.intervalSeconds === 0) return;
    timer = setTimeout(() => {
      void runOnce().finally(() => schedule(settings.intervalSeconds * 1000));
    }, delayMs);
    // The sweep never keeps a process alive that has nothing else to do.
    timer.unref();
  };
  schedule(Math.min(firstRunDelayMs, settings.intervalSeconds * 1000));

  return {
    runOnce,
    async stop() {
      stopped = true;
      clearTimeout(timer);
      await running;
    },
  };
}
