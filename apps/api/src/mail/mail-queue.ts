/**
 * Outgoing mail, off the request path: `enqueue` returns at once, a background loop sends with retries
 * and exponential backoff, and a failure is logged, never thrown at a request. The queue is in-process
 * (a crash loses what is queued: the user asks again), which is what a reset or verification mail needs.
 */
import { createTransport } from "nodemailer";
import type { RenderedEmail } from "../emails/layout.js";
import type { Logger } from "../logger.js";

export interface MailMessage extends RenderedEmail {
  to: string;
}

/** Where messages go: SMTP in production, anything with `send` in tests. */
export interface MailTransport {
  send(message: MailMessage): Promise<void>;
  close?(): void;
}

/** nodemailer over `SMTP_URL` (smtp:// or smtps://, credentials in the URL). */
export function createSmtpTransport({ url, from }: { url: string; from: string }): MailTransport {
  const transporter = createTransport(url);
  return {
    async send(message) {
      await transporter.sendMail({ from, ...message });
    },
    close: () => transporter.close(),
  };
}

/** What a message is about, for logs: never the token. `link` is logged only when mail is not configured outside production. */
export interface MailMeta {
  kind: "password_reset" | "verify_email" | "second_factor_changed";
  link: string;
}

export interface MailQueue {
  enqueue(message: MailMessage, meta: MailMeta): void;
  /** Resolves once everything enqueued so far has been sent or given up on (tests, shutdown). */
  idle(): Promise<void>;
}

export interface MailQueueOptions {
  /** Undefined when `SMTP_URL` is not set. */
  transport: MailTransport | undefined;
  logger: Logger;
  env: "development" | "production" | "test";
  /** Tries per message (default 3). */
  attempts?: number;
  /** Wait before the second try; doubled for each further one (default 1000 ms). */
  backoffMs?: number;
}

export function createMailQueue({
  transport,
  logger,
  env,
  attempts = 3,
  backoffMs = 1000,
}: MailQueueOptions): MailQueue {
  const pending = new Set<Promise<void>>();

  async function deliver(message: MailMessage, meta: MailMeta): Promise<void> {
    if (!transport) {
      if (env === "production") {
        logger.warn({ mail: meta.kind }, "mail is not configured (SMTP_URL); message not sent");
      } else {
        logger.info(
          { mail: meta.kind, to: message.to, subject: message.subject, link: meta.link },
          "mail is not configured (SMTP_URL); this is the message that would have been sent",
        );
      }
      return;
    }
    for (let attempt = 1; attempt <= attempts; attempt++) {
      try {
        await transport.send(message);
        logger.info({ mail: meta.kind, attempt }, "mail sent");
        return;
      } catch (error) {
        const err = { type: (error as Error).name, code: (error as { code?: unknown }).code };
        if (attempt === attempts) {
          logger.error({ mail: meta.kind, attempt, err }, "mail could not be sent; giving up");
          return;
        }
        const delayMs = backoffMs * 2 ** (attempt - 1);
        logger.warn({ mail: meta.kind, attempt, retryInMs: delayMs, err }, "mail send failed; will retry");
        await new Promise((resolve) => setTimeout(resolve, delayMs));
      }
    }
  }

  return {
    enqueue(message, meta) {
      const job = deliver(message, meta).catch((error: unknown) => {
        logger.error({ mail: meta.kind, err: { type: (error as Error).name } }, "mail queue failure");
      });
      pending.add(job);
      void job.finally(() => pending.delete(job));
    },
    async idle() {
      while (pending.size > 0) await Promise.all([...pending]);
    },
  };
}
