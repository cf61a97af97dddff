/**
 * Sends the mail core queued in the `outbox` table (written in the transaction of the change it is
 * about, so it survives a crash after the commit). Every process may run a sender: a claim takes due rows
 * `FOR UPDATE SKIP LOCKED` and leases them, so two replicas never send the same row; a failed send is
 * retried with exponential backoff, and a sender that died lets its lease lapse for another to retry.
 */
import { claimDueMail, type Database, markMailFailed, markMailSent, type OutboxRow } from "@app/core";
import { renderSecurityNotice } from "../emails/security-notices.js";
import type { Logger } from "../logger.js";
import type { MailTransport } from "./mail-queue.js";

export interface OutboxSender {
  /** One pass: claims and sends what is due; resolves with how many were sent. Never rejects. */
  runOnce(): Promise<number>;
  /** Stops polling and waits for a pass in progress. */
  stop(): Promise<void>;
}

export interface OutboxSenderOptions {
  database: Pick<Database, "db">;
  /** Undefined when `SMTP_URL` is not set: messages are logged (outside production) and marked sent. */
  transport: MailTransport | undefined;
  logger: Logger;
  env: "development" | "production" | "test";
  publicUrl: string;
  /** `OUTBOX_POLL_INTERVAL_MS`; 0 = never poll (runOnce still works). */
  pollIntervalMs: number;
  /** How long a claim keeps other senders off a row: longer than any SMTP conversation. */
  leaseMs?: number;
  batchSize?: number;
  /** Tries per mail before it is given up (default 8). */
  maxAttempts?: number;
  /** Wait after the first failure; doubled for each further one (default 30 s). */
  backoffMs?: number;
}

export function startOutboxSender({
  database,
  transport,
  logger,
  env,
  publicUrl,
  pollIntervalMs,
  leaseMs = 5 * 60_000,
  batchSize = 20,
  maxAttempts = 8,
  backoffMs = 30_000,
}: OutboxSenderOptions): OutboxSender {
  let running: Promise<number> | undefined;
  let timer: NodeJS.Timeout | undefined;
  let stopped = false;

  async function deliver(row: OutboxRow): Promise<boolean> {
    const message = { to: row.recipient, ...renderSecurityNotice(row.kind, row.data, publicUrl) };
    if (!transport) {
      if (env === "production") {
        logger.warn({ mail: row.kind }, "mail is not configured (SMTP_URL); message not sent");
      } else {
        logger.info(
          { mail: row.kind, to: message.to, subject: message.subject },
          "mail is not configured (SMTP_URL); this is the message that would have been sent",
        );
      }
      return true;
    }
    await transport.send(message);
    return true;
  }

  async function pass(): Promise<number> {
    let sent = 0;
    const claimed = await claimDueMail(database.db, { now: new Date(), leaseMs, limit: batchSize });
    for (const row of claimed) {
      try {
        await deliver(row);
        await markMailSent(database.db, row.id);
        logger.info({ mail: row.kind, outboxId: row.id, attempt: row.attempts }, "mail sent");
        sent++;
      } catch (error) {
        const err = { type: (error as Error).name, code: (error as { code?: unknown }).code };
        const giveUp = row.attempts >= maxAttempts;
        const retryAt = giveUp ? null : new Date(Date.now() + backoffMs * 2 ** (row.attempts - 1));
        await markMailFailed(database.db, row.id, { retryAt }).catch(() => undefined);
        if (giveUp)
          logger.error(
            { mail: row.kind, outboxId: row.id, attempt: row.attempts, err },
            "mail could not be sent; giving up",
          );
        else
          logger.warn(
            { mail: row.kind, outboxId: row.id, attempt: row.attempts, retryAt, err },
            "mail send failed; will retry",
          );
      }
    }
    return sent;
  }

  const runOnce = (): Promise<number> => {
    running ??= pass()
      .catch((error: unknown) => {
        logger.warn({ err: { type: (error as Error).name } }, "outbox pass failed");
        return 0;
      })
      .finally(() => {
        running = undefined;
      });
    return running;
  };

  const schedule = () => {
    if (stopped || pollIntervalMs === 0) return;
    timer = setTimeout(() => {
      void runOnce().finally(schedule);
    }, pollIntervalMs);
    timer.unref();
  };
  schedule();

  return {
    runOnce,
    async stop() {
      stopped = true;
      clearTimeout(timer);
      await running;
    },
  };
}
